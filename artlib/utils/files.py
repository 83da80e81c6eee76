"""File helpers."""
from __future__ import annotations

import hashlib
from pathlib import Path


def hash_file(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in 1 MiB blocks (``algorithm``: any :func:`hashlib.new` name)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
