"""Classical classifiers on frozen features (logistic regression, gradient boosting, k-NN)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

log = logging.getLogger(__name__)


CLASSIFIERS = {
    "logistic_regression": lambda seed: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5)),
    "gradient_boosting": lambda seed: HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, early_stopping=False, random_state=seed
    ),
}


def fit_frozen_classifier(name: str, x_train: np.ndarray, y_train: np.ndarray, seed: int = 0) -> Any:
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
