"""A clustered collection written as notebook 15 writes one (disk index + catalogue), for tests of any size."""

import numpy as np
import pandas as pd

from artlib.collection.catalogue import write_catalogue
from artlib.collection.large import CATALOGUE, INDEX_DIR
from artlib.retrieval.disk_index import DiskIndex, IndexParams


def make_collection(folder, n=3000, dim=32, seed=0, with_map=True):
    """A clustered collection of ``n`` vectors: its disk index and catalogue, as notebook 15 writes them."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(40, dim))
    group = rng.integers(0, 40, n)
    vectors = (centres[group] + 0.4 * rng.normal(size=(n, dim))).astype(np.float32)
    ids = [f"painting-{i:06d}" for i in range(n)]
    shards = [(ids[i : i + 1000], vectors[i : i + 1000]) for i in range(0, n, 1000)]
    index = DiskIndex.build(
        vectors, shards, IndexParams(nlist=16, m=8, width=dim, nprobe=8, rerank=4), folder / INDEX_DIR
    )
    items = pd.DataFrame(
        {"id": ids, "title": [f"Study {i}" for i in range(n)], "style": [f"style {g % 5}" for g in group]}
    )
    if with_map:
        items["x"], items["y"] = rng.normal(size=n) + group % 8, rng.normal(size=n) + group // 8
    write_catalogue(folder / CATALOGUE, items)
    return index, vectors, ids
