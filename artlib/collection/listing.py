"""``artlib-embed``'s listing of a collection: an image folder or a folder of WebDataset tars, listed into Parquet
shards once and listed again on every later run, so that a resumed or repeated run embeds what the folder holds now.

    shards = list_collection(Path("paintings/"), Path("out/shards"), rows_per_shard=10_000)

The listing records the collection it was made from (``listing.json``). Paths are absolute (Ray workers, and a run
started from another folder, find the files); ids are the paths inside the collection (a tar member's: the tar's name
and its key). A later run adds the images (or tars) that appeared since as new shards, after the others; images gone
since are counted in a warning and keep their rows (embedded already, or listed with their error); a listing of
another collection is refused.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from ..utils.files import atomic_write
from .shards import SHARD_GLOB, list_tar_shards, read_ids, shard_number, write_path_shards

log = logging.getLogger(__name__)

LISTING_FILE = "listing.json"


def list_collection(collection: Path, folder: Path, rows_per_shard: int = 10_000) -> list[Path]:
    """The input shards of ``collection`` in ``folder``: listed now when ``folder`` holds none, else the shards there
    followed by new ones for what ``collection`` gained since. ``ValueError`` when ``folder`` lists another
    collection, or ``collection`` holds no images."""
    root = collection.resolve()
    tars = sorted(root.glob("*.tar"))
    kind = "tar" if tars else "folder"
    listed = sorted(folder.glob(SHARD_GLOB))
    if not listed:
        shards = list_tar_shards(tars, folder) if tars else _list_images(root, folder, rows_per_shard, start=0)
        _write_record(folder, root, kind)
        return shards
    record = _read_record(folder)
    if record is None:
        log.warning("%s was listed by an older artlib (no %s): its %d shards are used as they are; remove the folder "
                    "to list %s again", folder, LISTING_FILE, len(listed), root)  # fmt: skip
        return listed
    if record != {"collection": str(root), "kind": kind}:
        raise ValueError(
            f"{folder} lists {record['kind']} {record['collection']!r}, not {kind} {str(root)!r}: give "
            f"another --out, or remove {folder} to list this collection there (embeddings of the same ids are kept)"
        )
    start = max(shard_number(s) for s in listed) + 1
    if kind == "tar":
        seen = {str(p) for shard in listed for p in pd.read_parquet(shard, columns=["path"])["path"]}
        return listed + list_tar_shards([t for t in tars if str(t.resolve()) not in seen], folder, start=start)
    return listed + _list_images(root, folder, rows_per_shard, start, {i for shard in listed for i in read_ids(shard)})


def _list_images(
    root: Path, folder: Path, rows_per_shard: int, start: int, known: set[str] | None = None
) -> list[Path]:
    """Shards of the images under ``root`` not among ``known`` ids (all on a first listing), numbered from
    ``start``; images of ``known`` that are gone are counted in a warning."""
    from ..inference.files import find_images

    paths, problems = find_images([root])
    for path, why in problems:
        log.warning("left out %s: %s", path, why)
    ids = [str(p.relative_to(root)) for p in paths]
    if known is None and not paths:
        raise ValueError(f"no images and no {SHARD_GLOB} in {root}")
    if known is not None:
        gone = known - set(ids)
        if gone:
            log.warning("%d listed images are no longer in %s (e.g. %s): their rows stay", len(gone), root, min(gone))
        new = [i for i, id_ in enumerate(ids) if id_ not in known]
        if new:
            log.info("%d images added to %s since it was listed: listed after the others", len(new), root)
        paths, ids = [paths[i] for i in new], [ids[i] for i in new]
    if not paths:
        return []
    return write_path_shards(paths, ids, folder, rows_per_shard, start=start)


def _write_record(folder: Path, root: Path, kind: str) -> None:
    with atomic_write(folder / LISTING_FILE) as tmp:
        tmp.write_text(json.dumps({"collection": str(root), "kind": kind}, indent=1), encoding="utf-8")


def _read_record(folder: Path) -> dict | None:
    """The listing's record; None when there is none; a damaged one raises ``ValueError`` naming the file."""
    path = folder / LISTING_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path} is damaged ({exc}): remove {folder} to list the collection again") from exc
    if not isinstance(record, dict) or not all(isinstance(record.get(key), str) for key in ("collection", "kind")):
        raise ValueError(
            f"{path} is damaged (not an object with a collection and a kind): remove {folder} to list the collection "
            "again"
        )
    return record
