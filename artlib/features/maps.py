"""Features seen whole: 2-D maps (PCA, UMAP) and how well they cluster by label."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    normalized_mutual_info_score,
)

log = logging.getLogger(__name__)


#: Up to this many points, :func:`umap_2d` finds the neighbours exactly (brute force, seconds) instead of through
#: UMAP's own search, whose just-in-time compilation takes 5 s (exact, below 4,096 points) to 30 s (approximate)
#: on 2 CPU cores.
EXACT_NEIGHBOURS_UP_TO = 20_000


#: Below this many points :func:`umap_2d` falls back to :func:`pca_2d` (UMAP needs a neighbour graph).
MIN_UMAP_POINTS = 5


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The first two principal components (zeros where fewer points or dimensions give fewer)."""
    from sklearn.decomposition import PCA

    out = np.zeros((len(features), 2), dtype=np.float32)
    k = min(2, len(features) - 1, features.shape[1]) if len(features) else 0
    if k >= 1:
        out[:, :k] = PCA(n_components=k).fit_transform(features)
    return out


def umap_2d(features: np.ndarray, seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """UMAP projection to 2-D (cosine metric) on the exact neighbour graph up to :data:`EXACT_NEIGHBOURS_UP_TO`
    points."""
    import umap
    from sklearn.neighbors import NearestNeighbors

    if len(features) < MIN_UMAP_POINTS:
        log.warning("%d points: too few for UMAP, a PCA projection is shown instead", len(features))
        return pca_2d(features)
    n_neighbors = min(n_neighbors, len(features) - 1)
    precomputed: dict[str, Any] = {}
    if len(features) <= EXACT_NEIGHBOURS_UP_TO:
        search = NearestNeighbors(n_neighbors=n_neighbors, metric="cosine", algorithm="brute").fit(features)
        distances, indices = search.kneighbors(features)  # each point first, at distance 0, as UMAP expects
        precomputed["precomputed_knn"] = (indices, distances.astype(np.float32), None)
    with warnings.catch_warnings():  # (no search index comes with precomputed neighbours: no transform of new points)
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*", category=UserWarning)
        reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, metric="cosine", random_state=seed, **precomputed)
        return reducer.fit_transform(features)


def map_coordinates(vectors: np.ndarray, method: str = "umap", sample: int = 20_000, seed: int = 0) -> np.ndarray:
    """2-D coordinates of any number of rows (a memory-mapped array too), for a map of every painting:
    ``"umap"`` (:func:`umap_2d` when every row fits in ``sample``, else UMAP fitted on ``sample`` rows and
    applied to all of them in batches) or ``"pca"`` (the sample's first two principal axes: fast at any size)."""
    if method not in ("umap", "pca"):
        raise ValueError(f"method must be 'umap' or 'pca', got {method!r}")
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), min(sample, len(vectors)), replace=False))
    fitted_on = np.asarray(vectors[rows], dtype=np.float32)
    if method == "umap" and len(fitted_on) == len(vectors):
        return umap_2d(fitted_on, seed=seed).astype(np.float32)
    batches = (np.asarray(vectors[i : i + 50_000], dtype=np.float32) for i in range(0, len(vectors), 50_000))
    if method == "pca":
        mean = fitted_on.mean(0)
        axes = np.linalg.svd(fitted_on - mean, full_matrices=False)[2][:2].T
        parts = [(batch - mean) @ axes for batch in batches]
    else:
        import umap

        reducer = umap.UMAP(n_neighbors=min(15, len(fitted_on) - 1), metric="cosine", random_state=seed)
        reducer.fit(fitted_on)
        parts = [reducer.transform(batch) for batch in batches]
    return np.concatenate(parts).astype(np.float32)


def cluster_scores(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """K-Means with k = number of classes; ARI and NMI of the clusters against the labels."""
    mask = labels >= 0
    k = len(np.unique(labels[mask]))
    clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(features[mask])
    return {
        "k": k,
        "ARI": float(adjusted_rand_score(labels[mask], clusters)),
        "NMI": float(normalized_mutual_info_score(labels[mask], clusters)),
    }
