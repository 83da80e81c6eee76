"""Exact-duplicate images by content hash."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..utils.files import hash_file
from .table import ArtTable


@lru_cache(maxsize=1_000_000)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hash_file(path, "sha1")


def file_digest(path: str | Path) -> str:
    """SHA-1 of a file's bytes (a missing file raises ``FileNotFoundError``).

    Remembered per (path, modification time, size), so splitting after
    de-duplicating does not read the files twice.
    """
    st = os.stat(path)
    return _digest(os.fspath(path), st.st_mtime_ns, st.st_size)


def content_hashes(table: ArtTable) -> pd.Series:
    """SHA-1 per row; rows whose file is missing get a unique ``missing:<path>`` key."""
    out = []
    for rel, path in zip(table.frame["path"], table.image_paths(), strict=True):
        try:
            out.append(file_digest(path))
        except OSError:
            out.append(f"missing:{rel}")
    return pd.Series(out, index=table.frame.index, name="sha1")


def find_duplicates(table: ArtTable, hashes: pd.Series | None = None) -> pd.DataFrame:
    """Groups of byte-identical images: ``path, sha1, group, group_size`` + task labels.

    Only rows in groups of two or more are returned, so label conflicts between
    copies of one image can be read off directly.
    """
    hashes = content_hashes(table) if hashes is None else hashes
    frame = table.frame[["path", *table.tasks]].copy()
    frame["sha1"] = hashes.to_numpy()
    sizes = frame.groupby("sha1")["path"].transform("size")
    dup = frame[sizes > 1].copy()
    dup["group_size"] = sizes[sizes > 1]
    dup["group"] = dup.groupby("sha1").ngroup()
    return dup.sort_values(["group", "path"]).reset_index(drop=True)


def drop_overlap(table: ArtTable, held_out: ArtTable) -> tuple[ArtTable, pd.DataFrame]:
    """Remove from ``table`` the images byte-identical to one in ``held_out`` (test leakage).

    Returns the cleaned table and the dropped rows (with the held-out path they copy).
    """
    held = content_hashes(held_out)
    held_paths = dict(zip(held.to_numpy(), held_out.frame["path"], strict=True))
    hashes = content_hashes(table)
    leak = hashes.isin(held_paths).to_numpy()
    dropped = table.frame.loc[leak, ["path"]].assign(copy_of=[held_paths[h] for h in hashes[leak]])
    if leak.any():
        import logging

        logging.getLogger(__name__).warning(
            "%d image(s) also in the held-out split removed from %s", int(leak.sum()), table.name
        )
    return table.subset(~leak), dropped.reset_index(drop=True)
