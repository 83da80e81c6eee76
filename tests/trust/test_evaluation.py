import math

import numpy as np
import pandas as pd

from artlib.trust.evaluation import HEADLINE, auroc_interval, headline, share_interval


def test_shares_and_auroc_come_with_intervals_and_say_nan_when_they_cannot():
    share = share_interval(np.array([1, 0, 1, 1] * 25))
    assert share.estimate == 0.75 and share.low < 0.75 < share.high
    one = share_interval(np.array([1]))
    assert one.estimate == 1 and math.isnan(one.low) and math.isnan(one.high)  # no interval from one row
    assert math.isnan(share_interval(np.array([])).estimate)
    positive = np.array([True] * 20 + [False] * 20)
    perfect = auroc_interval(positive, np.r_[np.ones(20), np.zeros(20)])
    assert perfect.estimate == 1.0 and perfect.low == 1.0
    chance = auroc_interval(positive, np.random.default_rng(0).uniform(size=40))
    assert chance.low < chance.estimate < chance.high and abs(chance.estimate - 0.5) < 0.25


def test_headline_keeps_the_columns_a_person_reads_first_in_order():
    report = pd.DataFrame([{"ece_low": 0.01, "coverage": 0.9, "n": 10, "ece": 0.02, "auroc_high": 0.9}])
    assert list(headline(report).columns) == ["n", "ece", "coverage"]
    assert list(HEADLINE[:3]) == ["n", "ece_raw", "ece"]
