"""Frozen features: extraction, 2-D maps, clustering scores and classical classifiers on top."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, adjusted_rand_score, normalized_mutual_info_score,
                             precision_recall_fscore_support)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader

from .utils.runtime import resolve_device


@torch.no_grad()
def extract_features(model: nn.Module, loader: DataLoader, device: str = "auto") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``model.embed`` features of every sample and its labels (``-1`` = missing), in loader order."""
    device = resolve_device(device)
    model = model.to(device).eval()
    feats, labels = [], {}
    for batch in loader:
        if batch is None:
            continue
        feats.append(model.embed(batch[0].to(device)).float().cpu().numpy())
        for task, y in batch[1].items():
            labels.setdefault(task, []).append(y.numpy())
    if not feats:
        raise ValueError("the loader yielded no samples")
    return np.concatenate(feats), {t: np.concatenate(v) for t, v in labels.items()}


def umap_2d(features: np.ndarray, seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """UMAP projection to 2-D (cosine metric)."""
    import umap

    n_neighbors = min(n_neighbors, len(features) - 1)
    return umap.UMAP(n_components=2, n_neighbors=n_neighbors, metric="cosine", random_state=seed).fit_transform(features)


def cluster_scores(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """K-Means with k = number of classes; ARI and NMI of the clusters against the labels."""
    mask = labels >= 0
    k = len(np.unique(labels[mask]))
    clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(features[mask])
    return {"k": k, "ARI": float(adjusted_rand_score(labels[mask], clusters)),
            "NMI": float(normalized_mutual_info_score(labels[mask], clusters))}


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro precision / recall / F1 (labels ``-1`` ignored)."""
    mask = y_true >= 0
    p, r, f, _ = precision_recall_fscore_support(y_true[mask], y_pred[mask], average="macro", zero_division=0)
    return {"accuracy": float(accuracy_score(y_true[mask], y_pred[mask])), "macro_f1": float(f),
            "macro_precision": float(p), "macro_recall": float(r)}


CLASSIFIERS = {
    "logistic_regression": lambda seed: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5)),
    "gradient_boosting": lambda seed: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1,
                                                                     early_stopping=False, random_state=seed),
}


def fit_frozen_classifier(name: str, x_train: np.ndarray, y_train: np.ndarray, seed: int = 0):
    """Fit ``'logistic_regression'`` or ``'gradient_boosting'`` on the labelled rows."""
    if name not in CLASSIFIERS:
        raise KeyError(f"unknown classifier {name!r}; choose from {sorted(CLASSIFIERS)}")
    mask = y_train >= 0
    return CLASSIFIERS[name](seed).fit(x_train[mask], y_train[mask])


def knn_predict(train_emb: np.ndarray, train_labels: np.ndarray, query_emb: np.ndarray, k: int = 5) -> np.ndarray:
    """Majority label of the ``k`` most cosine-similar training embeddings."""
    mask = train_labels >= 0
    ref, ref_y = train_emb[mask], train_labels[mask]
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True).clip(1e-12)
    q = query_emb / np.linalg.norm(query_emb, axis=1, keepdims=True).clip(1e-12)
    top = np.argsort(-(q @ ref.T), axis=1)[:, :k]
    votes = ref_y[top]
    n_classes = int(ref_y.max()) + 1
    counts = np.apply_along_axis(lambda v: np.bincount(v, minlength=n_classes), 1, votes)
    return counts.argmax(1)


def comparison_table(results: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """``{method: (y_true, y_pred)}`` -> one row of :func:`scores` per method."""
    return pd.DataFrame({name: scores(*pair) for name, pair in results.items()}).T.rename_axis("method")


@torch.no_grad()
def embed_images(model: nn.Module, paths, transform, device: str = "auto") -> np.ndarray:
    """``model.embed`` of image files (e.g. a query painting); an unreadable file raises ImageLoadError."""
    from .data.images import load_rgb

    device = resolve_device(device)
    model = model.to(device).eval()
    batch = torch.stack([transform(image=load_rgb(p))["image"] for p in paths])
    return model.embed(batch.to(device)).float().cpu().numpy()
