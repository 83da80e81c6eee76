"""A collection as Parquet shards of ``id, path`` rows: what a Ray job reads, one shard at a time.

A collection already packed as WebDataset tar shards (``00000.tar`` holding ``key.jpg``, ``key.json``...) is listed
the same way by :func:`list_tar_shards`: one Parquet shard per tar, a row per image member with the byte range
of its file inside the tar (``offset``, ``size``), which the workers read directly: nothing is unpacked.

A million paintings are listed in shards of ``rows_per_shard`` rows (``shard-00000.parquet``, ...), so that a job
can be stopped and resumed shard by shard, and each worker reads only its own rows. Extra columns (title, artist,
date) may ride along; the embedding keeps only ``id``.
"""

from __future__ import annotations

import logging
import tarfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..utils.files import atomic_write

log = logging.getLogger(__name__)

SHARD_GLOB = "shard-*.parquet"
#: the members of a WebDataset tar that are images (the key is the name before its first dot)
TAR_IMAGE_SUFFIXES = ("jpg", "jpeg", "png", "webp", "tif", "tiff", "avif")


def write_path_shards(
    paths: Sequence[str | Path],
    ids: Sequence[str] | None,
    folder: str | Path,
    rows_per_shard: int = 10_000,
    extra: pd.DataFrame | None = None,
    start: int = 0,
) -> list[Path]:
    """Write ``paths`` (with their ``ids``, default the path itself; and ``extra`` columns, row for row) as
    Parquet shards of at most ``rows_per_shard`` rows in ``folder``, numbered from ``start`` (0: ``folder`` must
    hold no shard; more: shards added after those there); returns the shard files in order."""
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
    frame = pd.DataFrame({"id": [str(i) for i in (ids if ids is not None else paths)], "path": [str(p) for p in paths]})
    if extra is not None:
        if len(extra) != len(frame):
            raise ValueError(f"extra has {len(extra)} rows for {len(frame)} paths")
        frame = pd.concat([frame, extra.drop(columns=["id", "path"], errors="ignore").reset_index(drop=True)], axis=1)
    refuse_repeated_ids(frame["id"])
    folder = shard_folder(folder, start)
    rows = [frame.iloc[first : first + rows_per_shard] for first in range(0, len(frame), rows_per_shard)]
    return [write_shard(part, folder, start + n) for n, part in enumerate(rows)]


def refuse_repeated_ids(ids: pd.Series) -> None:
    """``ValueError`` naming how many of ``ids`` repeat, and one of them."""
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise ValueError(f"ids must be unique: {len(repeated)} repeated, e.g. {repeated.iloc[0]!r}")


def shard_folder(folder: str | Path, start: int = 0) -> Path:
    """``folder``, created, where shards numbered from ``start`` go; ``FileExistsError`` when it already holds
    shards numbered ``start`` or more (a listing is written once, and only added to)."""
    if start < 0:
        raise ValueError(f"start must be at least 0, got {start}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    taken = [p for p in sorted(folder.glob(SHARD_GLOB)) if shard_number(p) >= start]
    if taken:
        said = "write to an empty folder" if start == 0 else f"new shards start at {start}"
        raise FileExistsError(f"{folder} already holds {len(taken)} shards: {said}")
    return folder


def shard_number(shard: Path) -> int:
    """The number of ``shard-<number>.parquet`` (-1 for a name not of that form)."""
    tail = shard.stem.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def write_shard(rows: pd.DataFrame, folder: Path, number: int) -> Path:
    """``rows`` as ``folder/shard-<number>.parquet``, written whole (a temporary file renamed into place)."""
    path = folder / f"shard-{number:05d}.parquet"
    with atomic_write(path, suffix=".parquet") as tmp:
        rows.to_parquet(tmp, index=False)
    return path


def shard_files(folder: str | Path) -> list[Path]:
    """The shard files of ``folder`` in order; a folder without shards raises ``FileNotFoundError``."""
    found = sorted(Path(folder).glob(SHARD_GLOB))
    if not found:
        raise FileNotFoundError(f"no {SHARD_GLOB} in {folder}: write the collection's shards first")
    return found


def read_ids(path: str | Path) -> pd.Series:
    """The ``id`` column of one shard (input or output), as strings."""
    return pd.read_parquet(path, columns=["id"])["id"].astype(str)


def list_tar_shards(tars: Sequence[str | Path], folder: str | Path, start: int = 0) -> list[Path]:
    """List each WebDataset tar of ``tars`` as a Parquet shard in ``folder`` (``shard-<start>.parquet``... in the
    tars' order; ``start`` as :func:`write_path_shards`): ``id`` (the tar's name and the member's key,
    ``00000.tar/key``), ``path`` (the tar), ``offset`` and ``size`` of the image's bytes in it. A tar that cannot
    be read raises ``ValueError`` naming it; a tar without images gives an empty shard, with a warning."""
    folder = shard_folder(folder, start)
    out = []
    for number, tar in enumerate((Path(t) for t in tars), start=start):
        try:
            with tarfile.open(tar) as archive:
                members = [m for m in archive.getmembers() if m.isfile()]
        except (tarfile.TarError, OSError) as exc:
            raise ValueError(f"{tar} is not a readable tar shard ({exc})") from exc
        images = [m for m in members if m.name.rsplit(".", 1)[-1].lower() in TAR_IMAGE_SUFFIXES]
        if not images:
            log.warning("%s holds no image members (%s)", tar, ", ".join(TAR_IMAGE_SUFFIXES))
        keys = [f"{tar.name}/{Path(m.name).parent / Path(m.name).name.split('.', 1)[0]}" for m in images]
        frame = pd.DataFrame(
            {
                "id": keys,
                "path": str(tar.resolve()),
                "offset": [m.offset_data for m in images],
                "size": [m.size for m in images],
            }
        )
        duplicated = frame["id"][frame["id"].duplicated()]
        if len(duplicated):
            raise ValueError(f"{tar}: {len(duplicated)} keys hold two images, e.g. {duplicated.iloc[0]!r}")
        out.append(write_shard(frame, folder, number))
    return out
