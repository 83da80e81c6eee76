"""Small helpers shared across artlib."""
from .runtime import resolve_device, seed_everything

__all__ = ["resolve_device", "seed_everything"]
