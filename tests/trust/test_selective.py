import numpy as np
import pytest

from artlib.trust.selective import aurc, risk_coverage


def test_a_confidence_that_ranks_the_errors_last_has_the_smallest_area():
    rng = np.random.default_rng(0)
    correct = rng.random(1000) < 0.7
    perfect = correct + rng.random(1000) * 0.1  # every right answer above every wrong one
    blind = rng.random(1000)
    error = 1 - correct.mean()
    # the best possible area: no error until the wrong answers come, then their share of what is answered
    share = np.arange(1, 1001) / 1000
    best = np.mean(np.maximum(0, share - correct.mean()) / share)
    assert aurc(perfect, correct) == pytest.approx(best, abs=1e-9)
    assert aurc(blind, correct) == pytest.approx(error, abs=0.03)
    assert aurc(perfect, correct) < aurc(blind, correct)
    inverted = aurc(-perfect, correct)
    assert inverted > error


def test_ties_are_answered_together_whatever_their_order():
    confidence = np.array([0.9, 0.9, 0.5, 0.5])
    curve = risk_coverage(confidence, np.array([True, False, True, True]))
    assert list(curve["coverage"]) == [0.5, 1.0] and list(curve["risk"]) == [0.5, 0.25]
    assert aurc(confidence, np.array([False, True, True, True])) == aurc(
        confidence, np.array([True, False, True, True])
    )
    with pytest.raises(ValueError, match="1-D"):
        risk_coverage(np.ones(3), np.ones(2, bool))
    assert np.isnan(aurc(np.zeros(0), np.zeros(0, bool)))
