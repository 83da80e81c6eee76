import math

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from artlib.trust.conformal import (
    class_coverage,
    conformal_threshold,
    coverage_band,
    needed_rows,
    prediction_sets,
    set_coverage,
    set_names,
)


def draws(n: int, k: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return probs, np.array([rng.choice(k, p=p) for p in probs])


class Lookup(ClassifierMixin, BaseEstimator):
    """A fitted scikit-learn classifier whose probabilities are given: row ``i`` of ``probs`` for input ``[i]``."""

    def __init__(self, probs=None):
        self.probs = probs

    def fit(self, X, y):
        self.classes_ = np.arange(self.probs.shape[1])
        return self

    def predict_proba(self, X):
        return self.probs[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X):
        return self.predict_proba(X).argmax(1)


@pytest.mark.parametrize("coverage", [0.8, 0.9, 0.95])
def test_sets_are_mapies_lac_sets(coverage):
    mapie = pytest.importorskip("mapie.classification")
    probs, labels = draws(900)
    model = mapie.SplitConformalClassifier(
        estimator=Lookup(probs).fit(None, labels), confidence_level=coverage, conformity_score="lac", prefit=True
    )
    rows = np.arange(900)[:, None]
    model.conformalize(rows[:400], labels[:400])
    _, theirs = model.predict_set(rows[400:])
    ours = prediction_sets(probs[400:], conformal_threshold(probs[:400], labels[:400], coverage))
    assert (theirs[:, :, 0] == ours).all()


def test_coverage_holds_on_exchangeable_draws():
    covered = []
    for seed in range(20):
        probs, labels = draws(1000, seed=seed)
        q = conformal_threshold(probs[:500], labels[:500], 0.9)
        covered.append(set_coverage(prediction_sets(probs[500:], q), labels[500:]))
    assert 0.88 <= np.mean(covered) <= 0.93


def test_too_few_rows_give_every_class_and_bad_coverage_is_refused():
    probs, labels = draws(5)
    assert conformal_threshold(probs, labels, 0.9) == math.inf
    assert prediction_sets(probs, math.inf).all()
    with pytest.raises(ValueError, match="coverage"):
        conformal_threshold(probs, labels, 1.0)


def test_set_names_most_probable_first():
    probs = np.array([0.1, 0.6, 0.3])
    assert set_names(np.array([False, True, True]), ["a", "b", "c"], probs) == ["b", "c"]


def test_coverage_band_holds_the_coverage_of_repeated_calibration_draws():
    """Over many calibration draws of n rows, the test coverage falls inside the Beta band about 95 % of the time."""
    n, inside = 50, []
    low, high = coverage_band(n, 0.9)
    assert 0.75 < low < 0.9 < high < 1.0
    for seed in range(60):
        probs, labels = draws(n + 2000, seed=seed)
        q = conformal_threshold(probs[:n], labels[:n], 0.9)
        inside.append(low <= set_coverage(prediction_sets(probs[n:], q), labels[n:]) <= high)
    assert np.mean(inside) >= 0.85
    assert coverage_band(5, 0.9) == (1.0, 1.0)  # too few rows: every class in every set
    assert needed_rows(0.9) == 9 and needed_rows(0.95) == 19
    probs, labels = draws(needed_rows(0.9), seed=1)
    assert math.isfinite(conformal_threshold(probs, labels, 0.9))
    assert math.isinf(conformal_threshold(probs[:-1], labels[:-1], 0.9))


def test_class_coverage_shows_the_class_the_marginal_guarantee_leaves_behind():
    sets = np.array([[1, 0], [1, 0], [0, 1], [1, 0], [1, 1]], dtype=bool)
    labels = np.array([0, 0, 1, 1, 1])
    per_class = class_coverage(sets, labels, classes=3)
    assert per_class[0] == 1.0 and math.isclose(per_class[1], 2 / 3) and np.isnan(per_class[2])


def test_aps_and_raps_hold_coverage_beside_lac_with_their_own_set_sizes():
    from artlib.trust.set_methods import method_sets, raps_share, set_methods_report

    probs, labels = draws(3000, seed=4)
    report = set_methods_report(probs[:1000], labels[:1000], probs[1000:], labels[1000:], coverage=0.9)
    assert list(report.index) == ["lac", "aps", "raps"]
    assert (report["coverage"] >= 0.87).all() and (report["coverage"] <= 0.94).all()
    assert report.loc["lac", "set_size"] <= report.loc["aps", "set_size"]  # LAC: the smallest sets on average
    assert (report["worst_class_coverage"] <= report["coverage"] + 1e-9).all()
    lac = method_sets(probs[:1000], labels[:1000], probs[1000:], "lac", 0.9)
    assert (lac == prediction_sets(probs[1000:], conformal_threshold(probs[:1000], labels[:1000], 0.9))).all()
    with pytest.raises(ValueError, match="unknown set method"):
        method_sets(probs[:10], labels[:10], probs[10:], "topk")
    # classes 6 and 7 seen once in calibration: RAPS goes on without their rows, and says so
    first = labels[:1000]
    rows = np.r_[np.flatnonzero(first < 6), np.flatnonzero(first == 6)[0], np.flatnonzero(first == 7)[0]]
    with_once = set_methods_report(probs[rows], labels[rows], probs[1000:], labels[1000:])
    assert with_once.loc["raps", "note"] == "fitted without the 2 calibration rows of classes seen once"
    assert 0.85 <= with_once.loc["raps", "coverage"] <= 0.97  # (classes 6 and 7 barely calibrated)
    assert with_once.loc["lac", "note"] == "" and with_once.loc["lac", "coverage"] > 0.87
    # 12 classes of 4 rows: RAPS tunes on a quarter of them (one of each class) instead of a fifth
    wide, wide_labels = draws(1200, k=12, seed=5)
    four = np.concatenate([np.flatnonzero(wide_labels[:600] == c)[:4] for c in range(12)])
    assert raps_share(wide_labels[four]) == 0.25
    narrow = set_methods_report(wide[four], wide_labels[four], wide[600:], wide_labels[600:])
    assert narrow.loc["raps", "note"] == "" and narrow.loc["raps", "set_size"] > 0
    with pytest.raises(ValueError, match="too few for RAPS"):
        raps_share(np.arange(10) % 6)
    # each class twice: too few rows for RAPS's split by class and its quantile, enough for LAC
    twice = np.concatenate([np.flatnonzero(labels == c)[:2] for c in range(8)])
    few = set_methods_report(probs[twice], labels[twice], probs[1000:], labels[1000:])
    assert few.loc["raps", "note"].startswith("not fitted") and np.isnan(few.loc["raps", "coverage"])


@pytest.mark.parametrize("seed", range(12))
def test_raps_over_drawn_calibration_shapes_is_fitted_or_says_why(seed):
    """Calibration splits of any shape (many classes, few rows, classes seen once): RAPS's note counts the rows it
    left out, and it is 'not fitted' only where its split by class cannot be made."""
    from artlib.trust.set_methods import raps_share, seen_twice, set_methods_report

    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 16))
    probs, labels = draws(1500, k=k, seed=seed)
    counts = rng.integers(1, 8, k)  # per class, ones included
    cal = np.concatenate([np.flatnonzero(labels[:700] == c)[: counts[c]] for c in range(k)])
    report = set_methods_report(probs[cal], labels[cal], probs[700:], labels[700:])
    left_out = int((~seen_twice(labels[cal])).sum())
    try:
        raps_share(labels[cal][seen_twice(labels[cal])])
        splittable = True
    except ValueError:
        splittable = False
    note = report.loc["raps", "note"]
    if not splittable:
        assert note.startswith("not fitted")
    elif not note.startswith("not fitted"):  # (MAPIE may still find too few rows for its quantile)
        assert note == ("" if not left_out else f"fitted without the {left_out} calibration rows of classes seen once")
        assert 0 <= report.loc["raps", "coverage"] <= 1 and report.loc["raps", "set_size"] >= 1
