"""How sure is a test score? Confidence intervals and paired comparisons of classifiers (SciPy).

Fine-art test sets are small: on 300 images a classifier at 90 % accuracy has a 95 % interval about
7 points wide, so two runs that differ by 2 points usually do not differ at all. Scores here:

* :func:`accuracy_interval`: Wilson score interval of an accuracy (exact enough for small n);
* :func:`bootstrap_interval`: percentile-bootstrap interval of any metric, e.g. macro-F1;
* :func:`mcnemar`: exact McNemar test of two classifiers scored on the same images (only the
  images exactly one of them gets right carry evidence);
* :func:`compare_classifiers` (or :func:`compare_predictions` on ``(y_true, y_pred)`` pairs): all of
  these for several runs in one table, against a reference run and, optionally, a target accuracy.

Labels of ``-1`` (missing) are left out, as everywhere in :mod:`artlib.evaluation.metrics`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

log = logging.getLogger(__name__)


class Interval(NamedTuple):
    """A point estimate with its confidence interval."""

    estimate: float
    low: float
    high: float


class McNemarResult(NamedTuple):
    """``only_a``: images only classifier A gets right; ``only_b``: only B; ``pvalue``: exact, two-sided."""

    only_a: int
    only_b: int
    pvalue: float


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def _correct(correct: np.ndarray) -> np.ndarray:
    correct = np.asarray(correct)
    if correct.ndim != 1 or correct.size == 0:
        raise ValueError(f"expected a non-empty 1-D array of right/wrong flags, got shape {correct.shape}")
    if correct.dtype != bool and not np.isin(correct, (0, 1)).all():
        raise ValueError("right/wrong flags must be booleans or 0/1")
    return correct.astype(bool)


def accuracy_interval(correct: np.ndarray, confidence: float = 0.95) -> Interval:
    """Accuracy of the right/wrong flags ``correct`` with its Wilson score interval."""
    _check_confidence(confidence)
    correct = _correct(correct)
    k, n = int(correct.sum()), int(correct.size)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(k / n, float(ci.low), float(ci.high))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-averaged F1 over the classes present in either array.

    The same number as scikit-learn's ``f1_score(average="macro", zero_division=0)``, counted with
    ``np.bincount`` so that thousands of bootstrap resamples stay fast. A negative prediction is "no class
    given" (not a painting, someone else): a miss for the true class, and no class of its own in the average.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    true_codes, pred_codes = codes[: len(y_true)], codes[len(y_true) :]
    k = len(labels)
    tp = np.bincount(true_codes[true_codes == pred_codes], minlength=k)
    denominator = np.bincount(true_codes, minlength=k) + np.bincount(pred_codes, minlength=k)
    f1 = np.divide(2 * tp, denominator, out=np.zeros(k), where=denominator > 0)
    return float(f1[labels >= 0].mean())


def roc_auc(y_true: np.ndarray, score: np.ndarray, axis: int = -1) -> np.ndarray | float:
    """ROC AUC as the Mann-Whitney statistic of the scores' ranks (ties averaged): the same number as
    scikit-learn's ``roc_auc_score``, along ``axis`` of stacked resamples at once (``nan`` where a resample holds
    one class), so that a bootstrap of thousands of resamples is one call."""
    positive = np.asarray(y_true).astype(bool)
    ranks = stats.rankdata(score, axis=axis)
    n_pos = positive.sum(axis=axis)
    n_neg = positive.shape[axis] - n_pos
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((ranks * positive).sum(axis=axis) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return float(auc) if np.ndim(auc) == 0 else auc


def bootstrap_interval(
    metric: Callable[..., Any],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    vectorized: bool = False,
) -> Interval:
    """``metric(y_true, y_pred)`` with a percentile-bootstrap interval over the images (resampled in pairs);
    ``vectorized``: ``metric`` takes stacked resamples and an ``axis`` (e.g. :func:`roc_auc`), all in one call."""
    _check_confidence(confidence)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size < 2:
        raise ValueError(
            f"y_true and y_pred must be 1-D, equally long and hold >= 2 items; got {y_true.shape} and {y_pred.shape}"
        )
    with warnings.catch_warnings():  # (scipy's warning for undefined resamples names another method; ours follows)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            (y_true, y_pred),
            metric,
            paired=True,
            vectorized=vectorized,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    ci = result.confidence_interval
    undefined = int(np.isnan(result.bootstrap_distribution).sum())
    if undefined:
        log.warning(
            "%s: no interval (nan): %d of %d resamples have no value (e.g. only one class among %d items)",
            getattr(metric, "__name__", "metric"),
            undefined,
            n_resamples,
            y_true.size,
        )
    return Interval(float(metric(y_true, y_pred)), float(ci.low), float(ci.high))


def mean_interval(values: np.ndarray, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> Interval:
    """The mean of per-item ``values`` (e.g. each query's precision@k) with a percentile-bootstrap interval."""
    _check_confidence(confidence)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"values must be 1-D with >= 2 items, got shape {values.shape}")
    result = stats.bootstrap(
        (values,),
        np.mean,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    return Interval(float(values.mean()), float(ci.low), float(ci.high))


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemarResult:
    """Exact McNemar test: do classifiers A and B, scored on the same images, differ in accuracy?

    Only the discordant images count; under the null hypothesis each is equally likely to favour
    A or B, so the p-value is a two-sided binomial test at 1/2. With no discordant image the
    classifiers are indistinguishable (p = 1).
    """
    a, b = _correct(correct_a), _correct(correct_b)
    if a.shape != b.shape:
        raise ValueError(f"both classifiers must be scored on the same images: {a.shape} vs {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    if only_a + only_b == 0:
        return McNemarResult(0, 0, 1.0)
    return McNemarResult(only_a, only_b, float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue))


def _predicted(scores: np.ndarray, n: int, name: str) -> np.ndarray:
    scores = np.asarray(scores)
    if scores.ndim == 2:
        scores = scores.argmax(1)
    if scores.ndim != 1 or len(scores) != n:
        raise ValueError(
            f"{name}: expected {n} predicted labels or an ({n}, classes) score array, got shape {np.shape(scores)}"
        )
    return scores


def compare_classifiers(
    y_true: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    reference: str | None = None,
    target: float | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per classifier: accuracy and macro-F1 with intervals, an exact McNemar test against
    ``reference`` (default: the most accurate), and with ``target`` the one-sided exact binomial
    p-value that the true accuracy is below ``target``.

    ``predictions`` maps a name to predicted labels (n,) or class scores (n, classes), all on the
    images of ``y_true`` in the same order. ``mcnemar_p_adjusted`` corrects the McNemar p-values for
    testing several classifiers against one reference (Benjamini-Hochberg).
    """
    if not predictions:
        raise ValueError("no predictions to compare")
    if target is not None and not 0.0 < target < 1.0:
        raise ValueError(f"target must be an accuracy strictly between 0 and 1, got {target}")
    y_true = np.asarray(y_true)
    keep = y_true >= 0
    if not keep.any():
        raise ValueError("no labelled images (every label is -1)")
    y = y_true[keep]
    predicted = {name: _predicted(p, len(y_true), name)[keep] for name, p in predictions.items()}
    correct = {name: p == y for name, p in predicted.items()}
    if reference is None:
        reference = max(correct, key=lambda name: correct[name].mean())
    elif reference not in correct:
        raise KeyError(f"reference {reference!r} is not among the predictions: {sorted(correct)}")
    rows = {}
    for name, right in correct.items():
        acc = accuracy_interval(right, confidence)
        f1 = bootstrap_interval(macro_f1, y, predicted[name], confidence, n_resamples, seed)
        test = mcnemar(right, correct[reference])
        row = {
            "n": int(right.size),
            "errors": int((~right).sum()),
            "accuracy": acc.estimate,
            "accuracy_low": acc.low,
            "accuracy_high": acc.high,
            "macro_f1": f1.estimate,
            "macro_f1_low": f1.low,
            "macro_f1_high": f1.high,
            "only_this_right": test.only_a,
            "only_reference_right": test.only_b,
            "mcnemar_p": np.nan if name == reference else test.pvalue,
        }
        if target is not None:
            row["p_below_target"] = float(
                stats.binomtest(int(right.sum()), int(right.size), target, alternative="less").pvalue
            )
        rows[name] = row
    table = pd.DataFrame(rows).T.rename_axis("classifier")
    others = table.index != reference
    table["mcnemar_p_adjusted"] = np.nan
    if others.any():
        table.loc[others, "mcnemar_p_adjusted"] = stats.false_discovery_control(
            table.loc[others, "mcnemar_p"].astype(float).to_numpy()
        )
    table.attrs.update(reference=reference, confidence=confidence, target=target)
    int_cols = ["n", "errors", "only_this_right", "only_reference_right"]
    return table.astype({c: int for c in int_cols}).astype({c: float for c in table.columns if c not in int_cols})


def compare_predictions(scored: Mapping[str, tuple[np.ndarray, np.ndarray]], **kwargs: Any) -> pd.DataFrame:
    """:func:`compare_classifiers` for ``{name: (y_true, predictions)}`` pairs (the input of
    notebook 11's ``{method: (y_true, y_pred)}``). Every pair must label the same images in the same
    order: a paired test of classifiers scored on different images means nothing."""
    if not scored:
        raise ValueError("no predictions to compare")
    (first, (y_true, _)), *_ = scored.items()
    y_true = np.asarray(y_true)
    for name, (labels, _) in scored.items():
        if not np.array_equal(np.asarray(labels), y_true):
            raise ValueError(f"{name!r} was scored on other images, or in another order, than {first!r}")
    return compare_classifiers(y_true, {name: predictions for name, (_, predictions) in scored.items()}, **kwargs)
