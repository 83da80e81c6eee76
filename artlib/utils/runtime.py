"""Device choice and seeding."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``'auto'`` -> CUDA if available, else Apple MPS, else CPU (``ARTLIB_DEVICE`` overrides)."""
    device = os.environ.get("ARTLIB_DEVICE", device) if str(device) == "auto" else device
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))  # noqa: NPY002  (libraries that draw from the global RNG)
    torch.manual_seed(seed)
