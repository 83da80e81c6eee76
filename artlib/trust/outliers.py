"""Finding mislabelled and out-of-place images from embeddings and out-of-fold probabilities.

Four signals, each higher = more suspicious:

* ``self_confidence``: ``1 - p(given label)`` from out-of-fold probabilities;
* ``knn_disagreement``: share of the k nearest neighbours (cosine) with another label;
* ``centroid_distance``: cosine distance to the own class centroid, z-scored within the class;
* ``isolation``: Isolation Forest anomaly score (images unlike any others, e.g. photos).

``score`` (likely mislabelled) is the mean rank of the first three; ``isolation``
is kept apart as the out-of-distribution signal. The probabilities a person reads (``given_prob``, the chance
the given label is right; ``predicted_prob``) are calibrated first (:func:`calibrate_out_of_fold`): a logistic
regression on frozen features is over-confident.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ..errors import NotEnoughDataError
from .calibration import TemperatureScaler, expected_calibration_error
from .evaluation import put_interval, rows_interval

LABEL_SIGNALS = ("self_confidence", "knn_disagreement", "centroid_distance")
SIGNALS = (*LABEL_SIGNALS, "isolation")


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-12)


def _probe() -> Pipeline:
    """The linear classifier on frozen features used for ranking and for scoring a cleaning."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))


def out_of_fold_probs(
    features: np.ndarray, labels: np.ndarray, n_splits: int = 5, seed: int = 0, n_classes: int | None = None
) -> np.ndarray:
    """Class probabilities for every row from a logistic regression that never saw that row; column ``c`` is
    label code ``c`` (``n_classes`` columns, default the largest code + 1), also when codes are missing.

    Rows of a class with one image get the probabilities of a model fitted on the other classes' rows (it
    cannot name their class). Fewer than 2 classes of 2+ images: :class:`NotEnoughDataError`.
    """
    labels = np.asarray(labels)
    in_folds = checkable(labels)
    foldable, counts = np.unique(labels[in_folds], return_counts=True)
    if len(foldable) < 2:
        raise NotEnoughDataError(
            f"out-of-fold probabilities need 2 classes of 2+ images; the labels have {len(np.unique(labels))} "
            f"class(es), {len(foldable)} of them with 2+ images ({len(labels)} images)"
        )
    out = np.zeros((len(labels), n_classes or int(labels.max()) + 1))
    folds = min(n_splits, int(counts.min()))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    out[np.ix_(in_folds, foldable)] = cross_val_predict(
        _probe(), features[in_folds], labels[in_folds], cv=cv, method="predict_proba"
    )
    if (~in_folds).any():  # the single images: a model that never saw them (nor their class)
        out[np.ix_(~in_folds, foldable)] = (
            _probe().fit(features[in_folds], labels[in_folds]).predict_proba(features[~in_folds])
        )
    return out


def _ece_of(probs: np.ndarray, labels: np.ndarray) -> Callable[[np.ndarray], float]:
    return lambda rows: expected_calibration_error(probs[rows], labels[rows])


def calibrate_out_of_fold(
    probs: np.ndarray, labels: np.ndarray, n_splits: int = 5, seed: int = 0
) -> tuple[np.ndarray, dict[str, float]]:
    """Out-of-fold probabilities with a temperature that no row was fitted on: the checkable rows
    (:func:`checkable`) are split in folds, each fold gets the temperature of least NLL on the others; the other
    rows (a class of one image, which the probe cannot name) get the median temperature.

    Returns the calibrated probabilities and what calibration achieved on the checkable rows: ``n``,
    ``temperature`` (the median), ``ece_raw`` and ``ece`` (15 bins), each with ``_low`` / ``_high`` (95 %
    bootstrap). With fewer than 4 checkable rows nothing is fitted (temperature 1).
    """
    labels = np.asarray(labels)
    raw = np.asarray(probs, dtype=np.float64)
    rows = np.flatnonzero(checkable(labels))
    report: dict[str, float] = {"n": len(rows), "temperature": 1.0}
    if len(rows) < 4:
        return raw.copy(), report
    out = np.empty_like(raw)
    temperatures = []
    for fit, held in KFold(min(n_splits, len(rows) // 2), shuffle=True, random_state=seed).split(rows):
        scaler = TemperatureScaler.fit(raw[rows[fit]], labels[rows[fit]])
        temperatures.append(scaler.temperature)
        out[rows[held]] = scaler(raw[rows[held]])
    report["temperature"] = float(np.median(temperatures))
    rest = np.setdiff1d(np.arange(len(labels)), rows)
    out[rest] = TemperatureScaler(report["temperature"])(raw[rest])
    y = labels[rows]
    for name, scored in (("ece_raw", raw[rows]), ("ece", out[rows])):
        put_interval(report, name, rows_interval(_ece_of(scored, y), len(y), seed=seed))
    return out, report


def checkable(labels: np.ndarray, min_images: int = 2) -> np.ndarray:
    """Rows whose label can be checked against others of its class: classes of ``min_images`` or more."""
    labels = np.asarray(labels)
    present, counts = np.unique(labels, return_counts=True)
    return np.isin(labels, present[counts >= min_images])


def knn_disagreement(features: np.ndarray, labels: np.ndarray, k: int = 10) -> np.ndarray:
    nn = NearestNeighbors(n_neighbors=min(k + 1, len(features)), metric="cosine").fit(features)
    _, idx = nn.kneighbors(features)
    return (labels[idx[:, 1:]] != labels[:, None]).mean(1)


def centroid_distance(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    unit = _unit(features)
    out = np.zeros(len(features))
    for c in np.unique(labels):
        rows = labels == c
        centroid = _unit(unit[rows].mean(0, keepdims=True))[0]
        d = 1 - unit[rows] @ centroid
        out[rows] = (d - d.mean()) / (d.std() + 1e-12)
    return out


def suspicion_scores(
    features: np.ndarray, labels: np.ndarray, probs: np.ndarray | None = None, k: int = 10, seed: int = 0
) -> pd.DataFrame:
    """All signals per row plus ``score``, the mean rank in [0, 1] of the label signals (1 = most suspicious; a
    rank, not a probability), the predicted class and the probabilities of it and of the given label (``probs``:
    out-of-fold, best calibrated: :func:`calibrate_out_of_fold`; default: raw ones computed here)."""
    labels = np.asarray(labels)
    if (labels < 0).any():
        raise ValueError("labels must all be known (filter out -1 first)")
    probs = out_of_fold_probs(features, labels, seed=seed) if probs is None else probs
    iso = IsolationForest(random_state=seed, n_estimators=200).fit(features)
    frame = pd.DataFrame(
        {
            "self_confidence": 1 - probs[np.arange(len(labels)), labels],
            "knn_disagreement": knn_disagreement(features, labels, k),
            "centroid_distance": centroid_distance(features, labels),
            "isolation": -iso.score_samples(features),
            "predicted": probs.argmax(1),
            "predicted_prob": probs.max(1),
            "given_prob": probs[np.arange(len(labels)), labels],
        }
    )
    ranks = np.column_stack([rankdata(frame[s]) / len(frame) for s in LABEL_SIGNALS])
    frame["score"] = ranks.mean(1)
    return frame


def rank_suspects(
    features: np.ndarray, labels: np.ndarray, class_names: Sequence[str], paths: Sequence[str], seed: int = 0
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Notebook 13's ranking: calibrated out-of-fold probabilities (:func:`calibrate_out_of_fold`), the signals
    of :func:`suspicion_scores`, each row's ``path`` and its ``given`` / ``predicted`` class names, most suspicious
    first; and the calibration report."""
    probs, calibration = calibrate_out_of_fold(out_of_fold_probs(features, labels, seed=seed), labels, seed=seed)
    frame = suspicion_scores(features, labels, probs, seed=seed)
    frame.insert(0, "path", np.asarray(paths))
    frame["given"] = [class_names[c] for c in labels]
    frame["predicted"] = [class_names[c] for c in frame["predicted"]]
    return frame.sort_values("score", ascending=False), calibration


def inject_label_noise(
    labels: np.ndarray, rate: float = 0.05, n_classes: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Flip ``rate`` of the labels to another class at random; returns ``(noisy, flipped_mask)``."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    n_classes = n_classes or int(labels.max()) + 1
    if n_classes < 2:
        raise NotEnoughDataError("label noise needs 2 classes to flip between; the labels have one")
    flipped = np.zeros(len(labels), dtype=bool)
    flipped[rng.choice(len(labels), size=int(round(rate * len(labels))), replace=False)] = True
    noisy = labels.copy()
    shift = rng.integers(1, n_classes, size=int(flipped.sum()))
    noisy[flipped] = (labels[flipped] + shift) % n_classes
    return noisy, flipped


def detection_quality(scores: np.ndarray, truth: np.ndarray, ks: tuple[int, ...] = (10, 25)) -> dict[str, float]:
    """AUROC of ``scores`` for the ``truth`` mask and precision@k for each k."""
    order = np.argsort(-scores)
    out = {"auroc": float(roc_auc_score(truth, scores))}
    for k in ks:
        out[f"precision@{k}"] = float(truth[order[:k]].mean())
    return out


def cleanlab_ranking(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """cleanlab's ``find_label_issues`` as a score: issues first (by self-confidence), then the rest."""
    from cleanlab.filter import find_label_issues

    ranked = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
    scores = 1 - probs[np.arange(len(labels)), labels]  # the rest, below every flagged row
    scores = scores / (scores.max() + 1e-12) * 0.5
    scores[ranked] = 1.0 + np.linspace(1, 0, len(ranked), endpoint=False)
    return scores


def compare_detectors(
    features: np.ndarray, clean_labels: np.ndarray, rate: float = 0.05, seed: int = 0, ks: tuple[int, ...] = (10, 25)
) -> pd.DataFrame:
    """Inject noise, score with each signal, the combination and cleanlab; one row per detector."""
    noisy, flipped = inject_label_noise(clean_labels, rate, seed=seed)
    if not flipped.any():
        raise NotEnoughDataError(f"{rate:.0%} of {len(noisy)} images flips none: too few images to measure detection")
    probs = out_of_fold_probs(features, noisy, seed=seed)
    frame = suspicion_scores(features, noisy, probs, seed=seed)
    rows = {name: detection_quality(frame[name].to_numpy(), flipped, ks) for name in (*SIGNALS, "score")}
    rows["cleanlab find_label_issues"] = detection_quality(cleanlab_ranking(noisy, probs), flipped, ks)
    table = pd.DataFrame(rows).T.rename(index={"score": "combined (mean rank)"})
    table["flipped"] = int(flipped.sum())
    return table


def _probe_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    return float((_probe().fit(train_x, train_y).predict(test_x) == test_y).mean())


def cleaning_effect(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    rates: tuple[float, ...] = (0.0, 0.1, 0.2),
    seed: int = 0,
) -> pd.DataFrame:
    """Does leaving the suspects out help a classifier? One row per injected noise rate.

    The training labels get ``rate`` flipped; a logistic regression on the features is scored on
    the (clean) test labels when trained on all noisy rows, without the top suspects (as many as
    were flipped, or 5 % when none were; ranked by :func:`suspicion_scores`), and without exactly
    the flipped rows (the oracle).
    """
    rows = {}
    for rate in rates:
        noisy, flipped = inject_label_noise(train_labels, rate, n_classes=int(train_labels.max()) + 1, seed=seed)
        probs = out_of_fold_probs(train_features, noisy, seed=seed)  # (noise may leave a class one image)
        score = suspicion_scores(train_features, noisy, probs, seed=seed)["score"].to_numpy()
        n_drop = int(flipped.sum()) or int(round(0.05 * len(noisy)))
        keep = np.ones(len(noisy), dtype=bool)
        keep[np.argsort(-score)[:n_drop]] = False
        all_rows = _probe_accuracy(train_features, noisy, test_features, test_labels)
        rows[rate] = {
            "flipped": int(flipped.sum()),
            "dropped": n_drop,
            "dropped that were flipped": float(flipped[~keep].mean()) if rate else 0.0,
            "accuracy, all rows": all_rows,
            "accuracy, suspects left out": _probe_accuracy(
                train_features[keep], noisy[keep], test_features, test_labels
            ),
            "accuracy, flipped left out (oracle)": _probe_accuracy(
                train_features[~flipped], noisy[~flipped], test_features, test_labels
            )
            if flipped.any()
            else all_rows,  # nothing flipped: the oracle trains on every row
        }
    return pd.DataFrame(rows).T.rename_axis("noise rate").astype({"flipped": int, "dropped": int})
