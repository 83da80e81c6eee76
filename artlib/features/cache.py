"""Frozen-network features kept on disk, one row per image, so that notebooks embedding the same
paintings with the same network and preprocessing compute each of them once.

A cache file belongs to one fingerprint: the SHA-256 of the weights and buffers ``embed`` uses, the
transform (its ``repr``, which albumentations fills with every parameter) and the decode size. A row
is keyed by the image's content (a digest of the file's bytes): an edited file is embedded anew, and a copied,
moved or extracted-again dataset (new paths, new modification times) keeps its features.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch.nn as nn

from ..data.duplicates import file_digest
from ..utils.files import atomic_write

log = logging.getLogger(__name__)


#: State-dict prefixes of classification heads, which ``embed`` does not use (MultiTaskClassifier's ``head``,
#: SiameseNet's ``classifier``): models that differ only there share features.
HEAD_PREFIXES = ("head.", "classifier.")


def fingerprint(model: nn.Module, transform: Callable[..., Any] | None, decode_side: int | None = None) -> str:
    """16 hex digits naming (the weights ``model.embed`` uses, transform, decode size).

    Every parameter and buffer counts except those of classification heads (:data:`HEAD_PREFIXES`):
    two embedding networks on one backbone with different projections get different fingerprints.
    """
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        if name.startswith(HEAD_PREFIXES):
            continue
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(repr(transform).encode())
    digest.update(repr(decode_side).encode())
    return digest.hexdigest()[:16]


def image_key(path: str | Path) -> str | None:
    """The SHA-1 of the file's bytes (:func:`~artlib.data.duplicates.file_digest`, the digest duplicates are found
    by): a changed file gets a new key, and one picture has one key wherever it lies and however a table names
    it; ``None`` for a file that is not there. A file is read once per process while it stays unchanged."""
    try:
        return file_digest(os.path.abspath(path))
    except FileNotFoundError:
        return None


class FeatureCache:
    """Features of one fingerprint under ``folder/<fingerprint>.npz``."""

    def __init__(self, folder: str | Path, key: str) -> None:
        self.path = Path(folder) / f"{key}.npz"
        self.rows: dict[str, np.ndarray] = {}
        if self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as stored:
                    self.rows = dict(zip(stored["keys"].tolist(), stored["features"], strict=True))
                self._drop_path_keys()
            except (
                OSError,
                ValueError,
                KeyError,
                EOFError,
                zipfile.BadZipFile,
            ) as exc:  # truncated or foreign: start again
                log.warning("ignoring unreadable feature cache %s (%s); it will be rewritten", self.path, exc)

    def _drop_path_keys(self) -> None:
        """Rows of an older artlib, keyed by ``path|size|mtime``, are never looked up again: leave them out."""
        stale = [key for key in self.rows if "|" in key]
        if stale:
            log.info("dropping %d path-keyed rows from %s (features are now keyed by content)", len(stale), self.path)
            for key in stale:
                del self.rows[key]

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, keys: Sequence[str]) -> np.ndarray:
        return np.stack([self.rows[k] for k in keys])

    def add(self, keys: Sequence[str], features: np.ndarray) -> None:
        if len(keys) != len(features):
            raise ValueError(f"{len(keys)} keys but {len(features)} feature rows")
        self.rows.update(zip(keys, np.asarray(features, dtype=np.float32), strict=True))

    def save(self) -> Path:
        """Write the file atomically (a temporary file renamed into place)."""
        keys = list(self.rows)
        with atomic_write(self.path, suffix=".npz") as tmp:
            np.savez(
                tmp,
                keys=np.asarray(keys, dtype=str),
                features=np.stack([self.rows[k] for k in keys]) if keys else np.zeros((0, 0), np.float32),
            )
        return self.path
