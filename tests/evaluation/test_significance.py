import numpy as np
import pytest
from sklearn.metrics import f1_score

from artlib.evaluation.significance import (
    Interval,
    accuracy_interval,
    bootstrap_interval,
    compare_classifiers,
    macro_f1,
    mcnemar,
)


def test_wilson_interval_matches_the_closed_form():
    # 8 of 10 right: Wilson 95 % interval (0.4902, 0.9433), worked by hand from the formula
    acc = accuracy_interval(np.array([1] * 8 + [0] * 2))
    assert isinstance(acc, Interval)
    assert acc.estimate == pytest.approx(0.8)
    assert acc.low == pytest.approx(0.4902, abs=1e-4) and acc.high == pytest.approx(0.9433, abs=1e-4)
    wider = accuracy_interval(np.array([True] * 8 + [False] * 2), confidence=0.99)
    assert wider.low < acc.low and wider.high > acc.high


@pytest.mark.parametrize("bad", [np.array([]), np.array([[1, 0]]), np.array([0, 2, 1])])
def test_accuracy_interval_refuses_what_is_not_right_wrong_flags(bad):
    with pytest.raises(ValueError):
        accuracy_interval(bad)


def test_confidence_must_be_a_probability():
    with pytest.raises(ValueError, match="confidence"):
        accuracy_interval(np.array([1, 0]), confidence=95)


def test_macro_f1_is_scikit_learns():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, k = rng.integers(1, 40), rng.integers(1, 6)
        y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
        assert macro_f1(y_true, y_pred) == pytest.approx(
            f1_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-12
        )


def test_an_answer_that_names_no_class_is_a_miss_not_a_class():
    """ "not a painting" (coded -1) lowers the true class's recall, and adds no class with F1 0 to the average."""
    rng = np.random.default_rng(1)
    for _ in range(100):
        y_true = rng.integers(0, 4, 30)
        y_pred = np.where(rng.random(30) < 0.2, -1, rng.integers(0, 4, 30))
        labels = np.unique(np.concatenate([y_true, y_pred[y_pred >= 0]]))
        expected = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        assert macro_f1(y_true, y_pred) == pytest.approx(expected, abs=1e-12)


def test_exact_mcnemar():
    # 1 image only A gets right, 9 only B: two-sided binomial p = 2 * (1 + 10) / 2**10
    a = np.array([1] + [0] * 9 + [1] * 5, bool)
    b = np.array([0] + [1] * 9 + [1] * 5, bool)
    result = mcnemar(a, b)
    assert (result.only_a, result.only_b) == (1, 9)
    assert result.pvalue == pytest.approx(22 / 1024)
    assert mcnemar(b, a).pvalue == pytest.approx(result.pvalue)
    assert mcnemar(a, a) == (0, 0, 1.0)  # no discordant image: indistinguishable
    with pytest.raises(ValueError, match="same images"):
        mcnemar(a, b[:-1])


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 200)
    pred = np.where(rng.random(200) < 0.8, y, rng.integers(0, 3, 200))
    ci = bootstrap_interval(macro_f1, y, pred, n_resamples=500, seed=3)
    assert ci.low < ci.estimate < ci.high
    assert ci.estimate == pytest.approx(macro_f1(y, pred))
    assert 0.05 < ci.high - ci.low < 0.25
    assert bootstrap_interval(macro_f1, y, pred, n_resamples=500, seed=3) == ci
    perfect = bootstrap_interval(macro_f1, y, y, n_resamples=200)
    assert perfect == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        bootstrap_interval(macro_f1, y, pred[:-1])


def test_compare_classifiers_table():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, -1])
    good = y.copy()
    good[0] = 1  # 9 of 10 labelled right
    poor = np.where(np.arange(len(y)) < 5, y, (y + 1) % 3)  # 5 of 10 right
    probs = np.eye(3)[np.where(y < 0, 0, poor)]  # the same predictions as class scores
    table = compare_classifiers(y, {"poor": poor, "good": good, "poor_scores": probs}, target=0.95, n_resamples=200)
    assert table.attrs["reference"] == "good"  # the most accurate by default
    assert list(table.index) == ["poor", "good", "poor_scores"]
    assert table.loc["good", "n"] == 10 and table.loc["good", "errors"] == 1  # the -1 label is left out
    assert table.loc["good", "accuracy"] == pytest.approx(0.9)
    assert table.loc["poor", "accuracy"] == pytest.approx(0.5)
    assert np.isnan(table.loc["good", "mcnemar_p"])
    # poor alone is right on image 0, good alone on images 5-9: exact p = 2 * (1 + 6) / 2**6
    assert table.loc["poor", ["only_this_right", "only_reference_right"]].tolist() == [1, 5]
    assert table.loc["poor", "mcnemar_p"] == pytest.approx(14 / 64)
    assert table.loc["poor"].drop("mcnemar_p_adjusted").equals(table.loc["poor_scores"].drop("mcnemar_p_adjusted"))
    # 5 of 10 right is strong evidence against a true accuracy of 0.95; 9 of 10 is not
    assert table.loc["poor", "p_below_target"] < 0.001 < 0.05 < table.loc["good", "p_below_target"]
    chosen = compare_classifiers(y, {"poor": poor, "good": good}, reference="poor", n_resamples=100)
    assert chosen.attrs["reference"] == "poor" and "p_below_target" not in chosen.columns
    assert chosen.loc["good", "mcnemar_p_adjusted"] == pytest.approx(chosen.loc["good", "mcnemar_p"])


def test_compare_classifiers_refuses_bad_arguments():
    y = np.array([0, 1, 1])
    with pytest.raises(KeyError, match="reference"):
        compare_classifiers(y, {"a": y}, reference="b")
    with pytest.raises(ValueError, match="target"):
        compare_classifiers(y, {"a": y}, target=95)
    with pytest.raises(ValueError, match="a: expected 3"):
        compare_classifiers(y, {"a": y[:2]})
    with pytest.raises(ValueError, match="no predictions"):
        compare_classifiers(y, {})
    with pytest.raises(ValueError, match="no labelled"):
        compare_classifiers(np.array([-1, -1]), {"a": np.array([0, 1])})


def test_compare_predictions_takes_label_prediction_pairs():
    from artlib.evaluation.significance import compare_predictions

    y = np.array([0, 1, 2, 0, 1, 2])
    pairs = {"a": (y, y), "b": (y, np.array([0, 1, 2, 1, 2, 0]))}
    table = compare_predictions(pairs, n_resamples=100)
    assert table.loc["a", "accuracy"] == 1.0 and table.loc["b", "accuracy"] == 0.5
    assert table.attrs["reference"] == "a"
    with pytest.raises(ValueError, match="'c' was scored on other images"):
        compare_predictions({**pairs, "c": (y[::-1], y)})
    with pytest.raises(ValueError, match="no predictions"):
        compare_predictions({})


def test_plot_intervals_draws_one_bar_per_classifier():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from artlib.plots import plot_intervals

    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    table = compare_classifiers(y, {"a": y, "b": np.roll(y, 1), "c": np.where(y == 2, 0, y)}, n_resamples=50)
    fig = plot_intervals(table, "macro_f1", target=0.95, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b", "a"]  # first row on top
    assert len(ax.containers) == 3  # one error bar each
    assert any(line.get_linestyle() == "--" and line.get_xdata()[0] == 0.95 for line in ax.get_lines())
    plt.close(fig)
    with pytest.raises(KeyError, match="compare_classifiers"):
        plot_intervals(pd.DataFrame({"accuracy": [0.5]}))


def test_mean_interval_covers_the_mean_and_refuses_too_little():
    from artlib.evaluation.significance import mean_interval

    values = np.random.default_rng(0).uniform(size=400)
    est = mean_interval(values)
    assert est.estimate == pytest.approx(values.mean()) and est.low < est.estimate < est.high
    assert est.high - est.low < 0.08
    with pytest.raises(ValueError, match=">= 2"):
        mean_interval(np.array([0.5]))


def test_text_to_image_scores_have_intervals_around_the_estimate():
    from artlib.retrieval import text_to_image_scores

    rng = np.random.default_rng(0)
    images = rng.normal(size=(300, 16)).astype(np.float32)
    labels = rng.integers(0, 3, 300)
    perfect = text_to_image_scores(images, images, labels, k=5)
    assert perfect["recall@5"] == 1.0 and perfect["recall@5_low"] > 0.98
    noisy = text_to_image_scores(
        images + rng.normal(scale=2.0, size=images.shape).astype(np.float32), images, labels, k=5
    )
    for metric in ("recall@5", "label precision@5"):
        assert noisy[f"{metric}_low"] <= noisy[metric] <= noisy[f"{metric}_high"]
    assert perfect["recall@5"] > noisy["recall@5_high"]


def test_roc_auc_is_scikit_learns_also_with_ties_and_over_stacked_resamples():
    from sklearn.metrics import roc_auc_score

    from artlib.evaluation.significance import roc_auc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    score = np.round(y * 0.3 + rng.random(300), 1)  # rounded: many ties
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    rows = rng.integers(0, 300, (5, 300))
    stacked = roc_auc(y[rows], score[rows], axis=-1)
    assert np.allclose(stacked, [roc_auc_score(y[r], score[r]) for r in rows])
    assert np.isnan(roc_auc(np.ones(4), np.arange(4.0)))  # one class: no AUC


def test_a_vectorized_bootstrap_gives_the_same_kind_of_interval():
    from artlib.evaluation.significance import bootstrap_interval, roc_auc

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    score = y + rng.normal(size=400)
    fast = bootstrap_interval(roc_auc, y, score, n_resamples=500, vectorized=True)
    slow = bootstrap_interval(roc_auc, y, score, n_resamples=500)
    assert fast.estimate == pytest.approx(slow.estimate) and fast.low < fast.estimate < fast.high
    assert abs(fast.low - slow.low) < 0.02 and abs(fast.high - slow.high) < 0.02


def test_an_interval_that_some_resamples_cannot_give_is_nan_and_logged(caplog):
    from artlib.evaluation.significance import bootstrap_interval, roc_auc

    y = np.array([1] + [0] * 15)  # most resamples miss the one positive: their AUC is undefined
    score = np.random.default_rng(0).random(16)
    interval = bootstrap_interval(roc_auc, y, score, n_resamples=200, vectorized=True)
    assert 0 <= interval.estimate <= 1 and np.isnan(interval.low) and np.isnan(interval.high)
    assert "no interval" in caplog.text and "roc_auc" in caplog.text
