"""Small helpers shared across artlib."""
from .files import hash_file
from .runtime import resolve_device, seed_everything

__all__ = ["hash_file", "resolve_device", "seed_everything"]
