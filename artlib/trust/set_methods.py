"""LAC, APS and RAPS prediction sets side by side (MAPIE's), fitted on calibration rows, measured on test rows.

    set_methods_report(cal_probs, cal_labels, test_probs, test_labels, coverage=0.9)
    # one row per method: coverage and set size with 95 % intervals, the worst class's coverage

LAC (the default of :mod:`.conformal`) gives the smallest sets on average; APS (Romano et al. 2020) adds classes
in order of probability until their mass reaches the threshold, so hard paintings get larger sets and the classes'
coverages are closer; RAPS (Angelopoulos et al. 2021) penalises long tails of unlikely classes to keep APS's sets
small. All three hold the same marginal guarantee.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from .conformal import worst_class
from .evaluation import put_interval, share_interval

log = logging.getLogger(__name__)

METHODS = ("lac", "aps", "raps")


class GivenProbabilities(ClassifierMixin, BaseEstimator):
    """A fitted scikit-learn classifier whose probabilities are already known: row ``i`` of ``probs`` for the input
    ``[[i]]`` (how MAPIE's prefit mode takes a network's calibrated outputs)."""

    def __init__(self, probs: np.ndarray | None = None) -> None:
        self.probs = probs

    def fit(self, x: np.ndarray, y: np.ndarray | None = None) -> GivenProbabilities:
        assert self.probs is not None
        self.classes_ = np.arange(self.probs.shape[1])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        assert self.probs is not None
        return self.probs[np.asarray(x)[:, 0].astype(int)]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_proba(x).argmax(1)


#: the share of calibration rows RAPS tunes its penalty on (MAPIE's default), raised where that would leave a class out
RAPS_SHARE = 0.2


def raps_share(labels: np.ndarray) -> float:
    """The share of the calibration rows RAPS tunes on: :data:`RAPS_SHARE`, or enough to hold one row of each class
    (its split is stratified by class); ``ValueError`` where that would leave fewer rows than classes for the rest."""
    classes, rows = len(np.unique(labels)), len(labels)
    share = max(RAPS_SHARE, classes / max(rows, 1))
    if rows - int(np.ceil(share * rows)) < classes:
        raise ValueError(f"{rows} calibration rows of {classes} classes are too few for RAPS's split by class")
    return share


def seen_twice(labels: np.ndarray) -> np.ndarray:
    """Which calibration rows RAPS is fitted on: those of classes seen at least twice (its own tuning split is
    stratified by class, so a class seen once cannot be split)."""
    labels = np.asarray(labels).astype(np.int64)
    return np.bincount(labels)[labels] >= 2


def _raps_score(share: float) -> Any:
    """MAPIE's RAPS score tuning on ``share`` of the rows. MAPIE 1.6 resets a given ``size_raps`` to None when it
    fits (scikit-learn's split then holds out 10 %, whatever was asked): this one keeps it."""
    from mapie.conformity_scores import RAPSConformityScore

    class KeptShare(RAPSConformityScore):
        def set_external_attributes(self, *, size_raps: float | None = None, **kwargs: Any) -> None:
            super().set_external_attributes(size_raps=share, **kwargs)

    return KeptShare(size_raps=share)


def method_sets(
    cal_probs: np.ndarray,
    cal_labels: np.ndarray,
    test_probs: np.ndarray,
    method: str = "aps",
    coverage: float = 0.9,
    seed: int = 0,
) -> np.ndarray:
    """``(n_test, classes)`` booleans: MAPIE's split-conformal sets of ``method`` (``lac``, ``aps``, ``raps``;
    RAPS without the calibration rows of classes seen once: :func:`seen_twice`)."""
    from mapie.classification import SplitConformalClassifier

    if method not in METHODS:
        raise ValueError(f"unknown set method {method!r}; choose from {METHODS}")
    score: Any = method
    if method == "raps":  # without the rows of classes seen once (see seen_twice)
        kept = seen_twice(cal_labels)
        cal_probs, cal_labels = np.asarray(cal_probs)[kept], np.asarray(cal_labels)[kept]
        score = _raps_score(raps_share(cal_labels))
    probs = np.concatenate([np.asarray(cal_probs, dtype=np.float64), np.asarray(test_probs, dtype=np.float64)])
    rows = np.arange(len(probs))[:, None]
    estimator = GivenProbabilities(probs).fit(rows)
    model = SplitConformalClassifier(
        estimator=estimator, confidence_level=coverage, conformity_score=score, prefit=True, random_state=seed
    )
    with warnings.catch_warnings():  # "fewer labels than the training data": the calibration split's sampling
        warnings.filterwarnings("ignore", message=".*less labels than your training dataset.*")
        model.conformalize(rows[: len(cal_probs)], np.asarray(cal_labels).astype(np.int64))
        _, sets = model.predict_set(rows[len(cal_probs) :])
    return np.asarray(sets[:, :, 0], dtype=bool)


def set_methods_report(
    cal_probs: np.ndarray,
    cal_labels: np.ndarray,
    test_probs: np.ndarray,
    test_labels: np.ndarray,
    coverage: float = 0.9,
    methods: tuple[str, ...] = METHODS,
    seed: int = 0,
) -> pd.DataFrame:
    """Per method: test coverage and mean set size (95 % intervals), and the coverage of the worst-covered class
    with enough test rows (at least 5). RAPS splits the calibration rows by class, so it is fitted without the
    rows of classes seen once, and its ``note`` says how many; a method the rows cannot fit at all gets a ``note``
    saying why, and no figures."""
    labels = np.asarray(test_labels).astype(np.int64)
    cal_probs, cal_labels = np.asarray(cal_probs), np.asarray(cal_labels).astype(np.int64)
    rows: dict[str, dict] = {}
    for method in methods:
        note, left_out = "", int((~seen_twice(cal_labels)).sum()) if method == "raps" else 0
        if left_out:
            note = f"fitted without the {left_out} calibration rows of classes seen once"
            log.warning("raps sets: %s (its tuning split is stratified by class)", note)
        try:
            sets = method_sets(cal_probs, cal_labels, test_probs, method, coverage, seed)
        except ValueError as exc:
            log.warning("%s sets not fitted: %s", method, exc)
            rows[method] = {"note": f"not fitted: {exc}"[:160]}
            continue
        out: dict = {"note": note}
        put_interval(out, "coverage", share_interval(sets[np.arange(len(labels)), labels], seed))
        put_interval(out, "set_size", share_interval(sets.sum(1), seed))
        out["worst_class_coverage"] = worst_class(sets, labels)[0]
        rows[method] = out
    return pd.DataFrame.from_dict(rows, orient="index")
