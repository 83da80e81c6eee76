import math

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from artlib.trust.conformal import conformal_threshold, prediction_sets, set_coverage, set_names


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
