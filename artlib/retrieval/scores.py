"""How good a similarity index is: precision / recall at k by label, and agreement with a proxy (title) similarity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .index import SimilarityIndex, normalize

if TYPE_CHECKING:
    from ..data.table import ArtTable


def precision_recall_at_k(index: SimilarityIndex, labels: np.ndarray, k: int = 10) -> dict[str, float]:
    """Mean precision@k and recall@k of querying every stored item, relevant = same label."""
    labels = np.asarray(labels)
    _, pos = index.search(index.vectors, k + 1)
    neighbours = pos[:, 1:]  # drop the item itself
    hits = labels[neighbours] == labels[:, None]
    relevant = np.bincount(labels)[labels] - 1
    return {f"precision@{k}": float(hits.mean()), f"recall@{k}": float((hits.sum(1) / np.maximum(relevant, 1)).mean())}


def label_retrieval(vectors: np.ndarray, ids: Sequence, table: ArtTable, k: int = 10) -> dict[str, float]:
    """:func:`precision_recall_at_k` for each task of an :class:`~artlib.data.ArtTable` (rows in the order of
    ``vectors``), over the paintings labelled for it; tasks with at most ``k + 1`` of them are left out.
    Keys ``"<task> precision@k"`` and ``"<task> recall@k"``."""
    out = {}
    for task in table.tasks:
        labels = table.frame[task].to_numpy()
        mask = labels >= 0
        if mask.sum() > k + 1:
            index = SimilarityIndex(vectors[mask], np.asarray(ids)[mask])
            out.update({f"{task} {name}": v for name, v in precision_recall_at_k(index, labels[mask], k).items()})
    return out


def proxy_agreement(index: SimilarityIndex, proxy: np.ndarray, k: int = 10) -> float:
    """Mean proxy similarity (e.g. title cosine) between each item and its k image neighbours."""
    proxy = normalize(proxy)
    _, pos = index.search(index.vectors, k + 1)
    return float(np.mean([proxy[i] @ proxy[pos[i, 1:]].T for i in range(len(pos))]))
