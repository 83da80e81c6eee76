"""Notebook 15's steps, reusable: a collection's tables as shards, and the flat index against the disk one.

shards = table_shards(splits, cfg.out("collection", "shards"))        # every painting once, id = its path
flat_vs_disk(ids, vectors, disk_index, queries=200)                     # recall@10 and ms per query, side by side
table_catalogue(splits, ids, vectors, cfg.out("collection", "catalogue.parquet"))   # rows + map, for the app
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..features.maps import map_coordinates
from ..retrieval.disk_index import DiskIndex
from ..retrieval.index import SimilarityIndex
from ..store.artifacts import collection_items
from .catalogue import write_catalogue
from .shards import write_path_shards

if TYPE_CHECKING:
    from ..data.table import ArtTable


def table_shards(tables: dict[str, ArtTable], folder: str | Path, rows_per_shard: int = 10_000) -> list[Path]:
    """Every painting of ``tables`` once (ids: the paths), written afresh as Parquet shards in ``folder``."""
    paths = list(dict.fromkeys(str(p) for table in tables.values() for p in table.image_paths()))
    shutil.rmtree(folder, ignore_errors=True)
    return write_path_shards(paths, None, folder, rows_per_shard)


def flat_vs_disk(
    ids: list[str], vectors: np.ndarray, disk: DiskIndex, queries: int = 200, k: int = 10, seed: int = 0
) -> pd.DataFrame:
    """Recall@``k`` (against exact search) and milliseconds per query, one query at a time, of the exact flat
    index and of ``disk``, on ``queries`` of the collection's own paintings (each one's own row left out of the
    comparison: it finds itself first)."""
    flat = SimilarityIndex(vectors, ids, kind="flat")
    rows = np.random.default_rng(seed).choice(len(ids), min(queries, len(ids)), replace=False)
    searches = {
        "flat (exact, in memory)": lambda q: [ids[p] for p in flat.search(q, k + 1)[1][0] if p >= 0],
        "IVF-PQ on disk": lambda q: [str(i) for i in disk.search(q, k + 1)[1][0] if i],
    }
    found, table = {}, {}
    for name, search in searches.items():
        started = time.perf_counter()
        found[name] = [[i for i in search(vectors[r][None]) if i != ids[r]][:k] for r in rows]
        table[name] = {"ms_per_query": 1000 * (time.perf_counter() - started) / len(rows)}
    exact = found["flat (exact, in memory)"]
    for name in searches:
        table[name]["recall_at_k"] = float(
            np.mean([len(set(f) & set(e)) / max(len(e), 1) for f, e in zip(found[name], exact, strict=True)])
        )
    frame = pd.DataFrame.from_dict(table, orient="index")[["recall_at_k", "ms_per_query"]]
    frame["paintings"], frame["k"] = len(ids), k
    return frame


def table_catalogue(
    tables: dict[str, ArtTable],
    ids: list[str],
    vectors: np.ndarray,
    path: str | Path,
    method: str = "umap",
    seed: int = 0,
) -> Path:
    """The catalogue of the indexed paintings (``ids``: their paths, in index order): each one's labels, artist
    and title from ``tables``, and its map point (``method`` of :func:`map_coordinates` on ``vectors``)."""
    known = pd.concat([collection_items(t, [str(p) for p in t.image_paths()]) for t in tables.values()])
    items = known.drop_duplicates("id").set_index("id").reindex([str(i) for i in ids])
    items["path"] = items.index
    xy = map_coordinates(vectors, method, seed=seed)
    items["x"], items["y"] = xy[:, 0], xy[:, 1]
    return write_catalogue(path, items.rename_axis("id").reset_index())
