"""Classification metrics (scikit-learn) for single- and multitask predictions.

Labels of ``-1`` (missing) are ignored everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)

#: Which top-k accuracies to report: one k, several, or none (``None`` / ``()``); every scoring function takes it.
TopK = int | Sequence[int] | None


def top_ks(top_k: TopK) -> tuple[int, ...]:
    """``top_k`` as a tuple of k's (``3`` -> ``(3,)``, ``None`` -> ``()``); a k below 2 is refused."""
    ks = () if top_k is None else (top_k,) if isinstance(top_k, int) else tuple(top_k)
    if any(not isinstance(k, int) or isinstance(k, bool) or k < 2 for k in ks):
        raise ValueError(f"top_k must be integers >= 2 (or None), got {top_k!r}")
    return ks


def _labelled(y_true: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, probs = np.asarray(y_true), np.asarray(probs)
    if probs.ndim != 2 or len(y_true) != len(probs):
        raise ValueError(f"probs must be (n, classes) matching y_true; got {probs.shape} vs {y_true.shape}")
    mask = y_true >= 0
    return y_true[mask], probs[mask]


def ovr_roc_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Macro one-vs-rest ROC AUC over the classes present in ``y_true`` (NaN if < 2)."""
    present = np.unique(y_true)
    if len(present) < 2:
        return float("nan")
    scores = [roc_auc_score(y_true == c, probs[:, c]) for c in present]
    return float(np.mean(scores))


def label_metrics(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> dict[str, float]:
    """Support, accuracy and macro precision / recall / F1 of predicted labels (true labels ``-1`` ignored)."""
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    mask = y >= 0
    if not mask.any():
        return {"n": 0}
    prec, rec, f1, _ = precision_recall_fscore_support(y[mask], pred[mask], average="macro", zero_division=0)
    return {
        "n": int(mask.sum()),
        "accuracy": float(accuracy_score(y[mask], pred[mask])),
        "macro_precision": float(prec),
        "macro_recall": float(rec),
        "macro_f1": float(f1),
    }


def classification_metrics(
    y_true: Sequence[int] | np.ndarray, probs: np.ndarray, top_k: TopK = (3, 5)
) -> dict[str, float]:
    """Accuracy, top-k accuracy (``top<k>``, as :func:`~.results.task_scores` names it; k < classes), macro
    precision/recall/F1, OvR ROC AUC, support."""
    y, p = _labelled(np.asarray(y_true), probs)
    if len(y) == 0:
        return {"n": 0}
    out = label_metrics(y, p.argmax(1))
    for k in top_ks(top_k):
        if k < p.shape[1]:
            out[f"top{k}"] = float(top_k_accuracy_score(y, p, k=k, labels=np.arange(p.shape[1])))
    out["roc_auc_ovr"] = ovr_roc_auc(y, p)
    return out


def confusion(
    y_true: Sequence[int] | np.ndarray, probs: np.ndarray, num_classes: int | None = None, normalize: str | None = None
) -> np.ndarray:
    """Confusion matrix (rows: true, columns: predicted); ``normalize='true'`` gives recalls."""
    y, p = _labelled(np.asarray(y_true), probs)
    n = num_classes or p.shape[1]
    return confusion_matrix(y, p.argmax(1), labels=np.arange(n), normalize=normalize)


def per_class_report(y_true: Sequence[int], probs: np.ndarray, class_names: Sequence[str]) -> pd.DataFrame:
    """Precision, recall, F1 and support per class (scikit-learn's report as a frame)."""
    y, p = _labelled(np.asarray(y_true), probs)
    report = classification_report(
        y,
        p.argmax(1),
        labels=np.arange(len(class_names)),
        target_names=list(class_names),
        output_dict=True,
        zero_division=0,
    )
    return pd.DataFrame(report).T


def metrics_table(labels: dict[str, np.ndarray], probs: dict[str, np.ndarray], top_k: TopK = (3, 5)) -> pd.DataFrame:
    """One row of :func:`classification_metrics` per task."""
    rows = {task: classification_metrics(labels[task], probs[task], top_k) for task in probs}
    return pd.DataFrame(rows).T.rename_axis("task")
