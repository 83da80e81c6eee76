"""What the fitted trust achieves on held-out paintings, each number with a 95 % bootstrap interval.

    report = task_trust_report(test_probs, test_labels, trust, features=test_features, bank=bank)
    # {"ece_raw": .., "ece_raw_low": .., "ece": .., "coverage": .., "set_size": .., "auroc": .., ...}

Keys follow artlib's score vocabulary (``<score>``, ``<score>_low``, ``<score>_high``); ``_raw`` is the
uncalibrated softmax, the rest after the card's temperature. For an open task, ``other_named`` is the share of
paintings by none of the known classes that are still named (accepted by the open-set rule with a calibrated top
probability >= 0.5), ``other_named_raw`` the same with the raw top probability and no rule. ``ece_floor`` is the
ECE a perfectly calibrated model would show on as many test paintings (:func:`~.calibration.ece_floor`),
``ece_pvalue`` the p-value of "perfectly calibrated" and ``ece_detectable`` the smallest over-confidence a test
set of this size detects with 80 % power (:func:`~.calibration.detectable_miscalibration`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..evaluation.significance import Interval, bootstrap_interval, mean_interval, roc_auc
from .calibration import (
    calibration_test,
    debiased_ece,
    detectable_miscalibration,
    ece_floor,
    expected_calibration_error,
    negative_log_likelihood,
)
from .conformal import coverage_band, set_coverage, worst_class
from .open_set import OpenSetBank
from .selective import aurc
from .task_trust import TaskTrust

NAMED_AT = 0.5  # a painting counts as "named" with a top probability of at least this


#: the columns of a trust report a person reads first (the rest are intervals and checks)
HEADLINE = (
    "n",
    "ece_raw",
    "ece",
    "ece_debiased",
    "ece_pvalue",
    "ece_detectable",
    "ece_floor",
    "coverage",
    "coverage_band_low",
    "coverage_band_high",
    "worst_class_coverage",
    "set_size",
    "auroc_raw",
    "auroc",
    "other_named_raw",
    "other_named",
    "known_rejected",
    "aurc",
)


def headline(report: pd.DataFrame) -> pd.DataFrame:
    """The :data:`HEADLINE` columns of a report table that it has."""
    return report[[c for c in HEADLINE if c in report.columns]]


def rows_interval(metric: Callable[[np.ndarray], float], n: int, n_resamples: int = 1000, seed: int = 0) -> Interval:
    """``metric(rows)`` over all ``n`` rows, with a percentile-bootstrap interval over resampled rows."""
    rows = np.arange(n)
    return bootstrap_interval(lambda a, _b: metric(a), rows, rows, n_resamples=n_resamples, seed=seed)


def put_interval(out: dict, name: str, value: Interval) -> None:
    out[name], out[f"{name}_low"], out[f"{name}_high"] = value.estimate, value.low, value.high


def share_interval(flags: np.ndarray, seed: int = 0) -> Interval:
    """A share (the mean of 0/1 flags) with its bootstrap interval; nan for fewer than two rows."""
    flags = np.asarray(flags, dtype=float)
    if flags.size < 2:
        return Interval(float(flags.mean()) if flags.size else float("nan"), float("nan"), float("nan"))
    return mean_interval(flags, n_resamples=1000, seed=seed)


def auroc_interval(positive: np.ndarray, scores: np.ndarray, seed: int = 0) -> Interval:
    """ROC AUC of ``scores`` for ``positive`` rows against the rest, with its bootstrap interval."""
    return bootstrap_interval(
        roc_auc, np.asarray(positive, dtype=bool), scores, n_resamples=1000, seed=seed, vectorized=True
    )


def task_trust_report(
    probs: np.ndarray,
    labels: np.ndarray,
    trust: TaskTrust,
    features: np.ndarray | None = None,
    bank: OpenSetBank | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Calibration (ECE, 15 bins, and NLL, raw and calibrated), prediction sets (coverage, mean size) and, for a
    task with an open-set rule, AUROC known vs other and the shares named / rejected, on test predictions
    (``labels`` -1: no label of the task, for an open task a painting by none of its classes)."""
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels).astype(np.int64)
    known = labels >= 0
    raw, y = probs[known], labels[known]
    calibrated_all = trust.calibrate(probs)
    calibrated = calibrated_all[known]
    out: dict[str, float] = {"n": int(known.sum())}
    if len(y) >= 2:
        put_interval(
            out, "ece_raw", rows_interval(lambda r: expected_calibration_error(raw[r], y[r]), len(y), seed=seed)
        )
        put_interval(
            out, "ece", rows_interval(lambda r: expected_calibration_error(calibrated[r], y[r]), len(y), seed=seed)
        )
        out["ece_floor"], out["ece_floor_95"] = ece_floor(calibrated, seed=seed)
        # beside the 15-bin ECE: Kumar et al.'s debiased estimate, and the p-value of "perfectly calibrated"
        out["ece_debiased"] = debiased_ece(calibrated, y)
        out["ece_pvalue"] = calibration_test(calibrated, y, seed=seed)
        out["ece_detectable"] = detectable_miscalibration(calibrated, seed=seed)  # smaller can hide in n rows
        out["nll_raw"] = negative_log_likelihood(raw, y)
        out["nll"] = negative_log_likelihood(calibrated, y)
        sets = trust.sets(calibrated)
        out["coverage_target"] = trust.coverage
        put_interval(out, "coverage", share_interval(sets[np.arange(len(y)), y], seed))
        put_interval(out, "set_size", share_interval(sets.sum(1), seed))
        out["coverage_check"] = set_coverage(sets, y)
        # the range coverage takes over draws of as many calibration rows, and the worst-covered class (>= 5 rows)
        calibration_rows = int(trust.fitted_on.get("sets", trust.fitted_on.get("labelled", 0)))
        fitted_rows = calibration_rows if trust.set_threshold is not None else 0
        out["coverage_band_low"], out["coverage_band_high"] = coverage_band(fitted_rows, trust.coverage)
        out["worst_class_coverage"], out["worst_class"] = worst_class(sets, y)
        right = calibrated.argmax(1) == y  # selective prediction: the error when the least sure are left out
        put_interval(out, "aurc", rows_interval(lambda r: aurc(calibrated[r].max(1), right[r]), len(y), seed=seed))
    if trust.open_set is not None and (~known).sum() >= 2 and known.sum() >= 2:
        rule = trust.open_set
        scores = rule.scores(calibrated_all, features, bank)
        accepted = scores >= rule.threshold
        out["open_set_other"] = int((~known).sum())
        put_interval(out, "auroc", auroc_interval(known, scores, seed))
        named = accepted & (calibrated_all.max(1) >= NAMED_AT)
        put_interval(out, "other_named", share_interval(named[~known], seed))
        put_interval(out, "other_named_raw", share_interval(probs[~known].max(1) >= NAMED_AT, seed))
        put_interval(out, "other_accepted", share_interval(accepted[~known], seed))
        put_interval(out, "known_rejected", share_interval(~accepted[known], seed))
        put_interval(out, "auroc_raw", auroc_interval(known, probs.max(1), seed))
    return out
