"""Small helpers shared across artlib."""

from .files import atomic_write, hash_file
from .locks import FolderBusyError, exclusive_folder
from .runtime import resolve_device, seed_everything

__all__ = ["FolderBusyError", "atomic_write", "exclusive_folder", "hash_file", "resolve_device", "seed_everything"]
