"""How good a similarity index is: precision / recall at k by label, and agreement with a proxy (title) similarity;
as rows with a 95 % interval over the queries and what neighbours drawn at random would score (``score, low, high,
chance``, the columns of every artlib score table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .index import SimilarityIndex, normalize

if TYPE_CHECKING:
    from ..data.table import ArtTable


def other_neighbours(index: SimilarityIndex, k: int) -> np.ndarray:
    """``(n, k)`` positions of each stored item's ``k`` nearest other items (the item itself, first, left out)."""
    _, pos = index.search(index.vectors, k + 1)
    return pos[:, 1:]


def query_precision(index: SimilarityIndex, labels: np.ndarray, k: int = 10) -> np.ndarray:
    """Each stored item's precision@k as a query: the share of its ``k`` nearest other items with its label."""
    labels = np.asarray(labels)
    return (labels[other_neighbours(index, k)] == labels[:, None]).mean(1)


def precision_recall_at_k(index: SimilarityIndex, labels: np.ndarray, k: int = 10) -> dict[str, float]:
    """Mean precision@k and recall@k of querying every stored item, relevant = same label."""
    labels = np.asarray(labels)
    precision = query_precision(index, labels, k)
    relevant = np.bincount(labels)[labels] - 1
    recall = precision * k / np.maximum(relevant, 1)
    return {f"precision@{k}": float(precision.mean()), f"recall@{k}": float(recall.mean())}


def chance_precision(labels: np.ndarray) -> float:
    """The precision@k of neighbours drawn at random among the other items: the mean over the items of the share
    of the others that have its label."""
    labels = np.asarray(labels)
    return float(((np.bincount(labels)[labels] - 1) / max(len(labels) - 1, 1)).mean())


def label_precision_row(vectors: np.ndarray, labels: np.ndarray, k: int = 10, seed: int = 0) -> dict[str, float]:
    """Precision@k of querying every labelled item (``labels >= 0``) among the labelled ones, with its bootstrap
    interval over the queries and :func:`chance_precision`; empty with at most ``k + 1`` labelled items."""
    from ..evaluation.significance import mean_interval

    labels = np.asarray(labels)
    mask = labels >= 0
    if mask.sum() <= k + 1:
        return {}
    index = SimilarityIndex(np.asarray(vectors)[mask], [str(i) for i in np.flatnonzero(mask)])
    score = mean_interval(query_precision(index, labels[mask], k), seed=seed)
    return {"score": score.estimate, "low": score.low, "high": score.high, "chance": chance_precision(labels[mask])}


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


#: queries whose neighbours' proxy vectors are gathered at once (k x 384 floats each: 40 MB at k = 5)
PROXY_CHUNK = 4096


def query_proxy_agreement(index: SimilarityIndex, proxy: np.ndarray, k: int = 10) -> np.ndarray:
    """Each stored item's mean proxy similarity (e.g. title cosine) to its ``k`` nearest other items (in chunks of
    :data:`PROXY_CHUNK` queries, so that memory does not grow with the collection)."""
    proxy = normalize(proxy)
    pos = other_neighbours(index, k)
    return np.concatenate(
        [
            np.einsum("nd,nkd->nk", proxy[start : start + PROXY_CHUNK], proxy[pos[start : start + PROXY_CHUNK]])
            for start in range(0, len(pos), PROXY_CHUNK)
        ]
        or [np.zeros((0, k))]
    ).mean(1)


def proxy_agreement(index: SimilarityIndex, proxy: np.ndarray, k: int = 10) -> float:
    """Mean proxy similarity (e.g. title cosine) between each item and its k image neighbours."""
    return float(query_proxy_agreement(index, proxy, k).mean())


def chance_proxy(proxy: np.ndarray) -> float:
    """The mean proxy similarity of two different items drawn at random (every pair, computed exactly)."""
    proxy = normalize(proxy)
    n = len(proxy)
    if n < 2:
        return float("nan")
    total = proxy.sum(0)
    return float((total @ total - np.einsum("nd,nd->", proxy, proxy)) / (n * (n - 1)))


def proxy_row(index: SimilarityIndex, proxy: np.ndarray, k: int = 10, seed: int = 0) -> dict[str, float]:
    """:func:`proxy_agreement` with its bootstrap interval over the queries and :func:`chance_proxy`."""
    from ..evaluation.significance import mean_interval

    score = mean_interval(query_proxy_agreement(index, proxy, k), seed=seed)
    return {"score": score.estimate, "low": score.low, "high": score.high, "chance": chance_proxy(proxy)}
