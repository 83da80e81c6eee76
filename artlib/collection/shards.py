"""A collection as Parquet shards of ``id, path`` rows: what a Ray job reads, one shard at a time.

A million paintings are listed in shards of ``rows_per_shard`` rows (``shard-00000.parquet``, ...), so that a job
can be stopped and resumed shard by shard, and each worker reads only its own rows. Extra columns (title, artist,
date) may ride along; the embedding keeps only ``id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..utils.files import atomic_write

SHARD_GLOB = "shard-*.parquet"


def write_path_shards(
    paths: Sequence[str | Path],
    ids: Sequence[str] | None,
    folder: str | Path,
    rows_per_shard: int = 10_000,
    extra: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``paths`` (with their ``ids``, default the path itself; and ``extra`` columns, row for row) as
    Parquet shards of at most ``rows_per_shard`` rows in ``folder``; returns the shard files in order."""
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
    frame = pd.DataFrame({"id": [str(i) for i in (ids if ids is not None else paths)], "path": [str(p) for p in paths]})
    if extra is not None:
        if len(extra) != len(frame):
            raise ValueError(f"extra has {len(extra)} rows for {len(frame)} paths")
        frame = pd.concat([frame, extra.drop(columns=["id", "path"], errors="ignore").reset_index(drop=True)], axis=1)
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"ids must be unique: {len(duplicated)} repeated, e.g. {duplicated.iloc[0]!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stale = sorted(folder.glob(SHARD_GLOB))
    if stale:
        raise FileExistsError(f"{folder} already holds {len(stale)} shards: write to an empty folder")
    out = []
    for number, start in enumerate(range(0, len(frame), rows_per_shard)):
        path = folder / f"shard-{number:05d}.parquet"
        with atomic_write(path, suffix=".parquet") as tmp:
            frame.iloc[start : start + rows_per_shard].to_parquet(tmp, index=False)
        out.append(path)
    return out


def shard_files(folder: str | Path) -> list[Path]:
    """The shard files of ``folder`` in order; a folder without shards raises ``FileNotFoundError``."""
    found = sorted(Path(folder).glob(SHARD_GLOB))
    if not found:
        raise FileNotFoundError(f"no {SHARD_GLOB} in {folder}: write the collection's shards first")
    return found


def read_ids(path: str | Path) -> pd.Series:
    """The ``id`` column of one shard (input or output), as strings."""
    return pd.read_parquet(path, columns=["id"])["id"].astype(str)
