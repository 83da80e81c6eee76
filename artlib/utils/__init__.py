"""Small helpers shared across artlib."""
from .files import atomic_write, hash_file
from .runtime import resolve_device, seed_everything

__all__ = ["atomic_write", "hash_file", "resolve_device", "seed_everything"]
