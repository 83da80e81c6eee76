"""Prediction sets with a coverage guarantee: split conformal prediction (the LAC score of Sadinle et al.).

    threshold = conformal_threshold(cal_probs, cal_labels, coverage=0.9)   # on held-out labelled paintings
    sets = prediction_sets(test_probs, threshold)                          # (n, classes) booleans

For paintings exchangeable with the calibration ones, the set holds the true class with probability at least
``coverage`` (and below ``coverage + 1 / (n + 1)``): the score is ``1 - p(true class)`` and the threshold its
``ceil((n + 1) * coverage) / n`` empirical quantile, as MAPIE's ``SplitConformalClassifier(conformity_score="lac")``
computes it (a test checks the two agree). LAC gives the smallest sets on average; a set may be empty when no
class is likely enough, which says "none of these" in its own way.
"""

from __future__ import annotations

import math

import numpy as np


def conformal_threshold(probs: np.ndarray, labels: np.ndarray, coverage: float = 0.9) -> float:
    """The largest non-conformity ``1 - p(true)`` a set admits; ``inf`` (every class) when ``n`` is too small
    for ``coverage`` (fewer than ``1 / (1 - coverage) - 1`` labelled rows)."""
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels).astype(np.int64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probs must be (n, classes) with one label per row; got {probs.shape} and {labels.shape}")
    n = len(labels)
    rank = math.ceil((n + 1) * coverage)
    if rank > n:
        return math.inf
    scores = np.sort(1 - probs[np.arange(n), labels])
    return float(scores[rank - 1])


def prediction_sets(probs: np.ndarray, threshold: float) -> np.ndarray:
    """``(n, classes)`` booleans: the classes whose non-conformity ``1 - p`` is at most ``threshold``."""
    return 1 - np.asarray(probs, dtype=np.float64) <= threshold + 1e-12


def set_coverage(sets: np.ndarray, labels: np.ndarray) -> float:
    """The share of rows whose set holds the true class."""
    labels = np.asarray(labels).astype(np.int64)
    return float(sets[np.arange(len(labels)), labels].mean()) if len(labels) else float("nan")


def set_names(row: np.ndarray, names: list[str], probs: np.ndarray | None = None) -> list[str]:
    """The class names of one set, the most probable first when ``probs`` are given."""
    chosen = np.flatnonzero(row)
    if probs is not None:
        chosen = chosen[np.argsort(-probs[chosen], kind="stable")]
    return [names[i] for i in chosen]


def needed_rows(coverage: float) -> int:
    """The fewest calibration rows that give a finite threshold at ``coverage`` (9 for 90 %, 19 for 95 %)."""
    return math.ceil(coverage / (1 - coverage) - 1e-9)


def class_coverage(sets: np.ndarray, labels: np.ndarray, classes: int | None = None) -> np.ndarray:
    """Per class, the share of its rows whose set holds it (NaN for a class without rows): LAC's guarantee is
    marginal, so a hard class may be covered far less than ``coverage``."""
    labels = np.asarray(labels).astype(np.int64)
    classes = sets.shape[1] if classes is None else classes
    hit = sets[np.arange(len(labels)), labels].astype(float)
    counts = np.bincount(labels, minlength=classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(labels, weights=hit, minlength=classes) / np.where(counts > 0, counts, np.nan)


def worst_class(sets: np.ndarray, labels: np.ndarray, min_rows: int = 5) -> tuple[float, int]:
    """The lowest coverage of a class with at least ``min_rows`` rows, and that class (NaN and -1 when none has)."""
    labels = np.asarray(labels).astype(np.int64)
    per_class = class_coverage(sets, labels)
    per_class[np.bincount(labels, minlength=sets.shape[1]) < min_rows] = np.nan
    if not np.isfinite(per_class).any():
        return float("nan"), -1
    worst = int(np.nanargmin(per_class))
    return float(per_class[worst]), worst


def coverage_band(n: int, coverage: float, mass: float = 0.95) -> tuple[float, float]:
    """The range that test coverage takes over draws of ``n`` calibration rows (Vovk 2012: coverage given the
    calibration set is Beta(n + 1 - l, l), ``l = floor((n + 1)(1 - coverage))``), holding ``mass`` of it; (1, 1)
    when ``n`` is too small for a finite threshold (every class is in every set)."""
    from scipy.stats import beta

    l = math.floor((n + 1) * (1 - coverage))  # noqa: E741  (the paper's name)
    if l < 1:
        return 1.0, 1.0
    low, high = beta.ppf([(1 - mass) / 2, (1 + mass) / 2], n + 1 - l, l)
    return float(low), float(high)
