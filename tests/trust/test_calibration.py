import numpy as np
import pytest

from artlib.trust.calibration import (
    PlattScaler,
    TemperatureScaler,
    binary_ece,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)


def overconfident(n: int = 3000, k: int = 6, sharpen: float = 3.0, seed: int = 0):
    """Labels drawn from calibrated probabilities, reported sharpened (as a network over-fits)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 1.5
    true = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(k, p=p) for p in true])
    shown = np.exp(logits * sharpen) / np.exp(logits * sharpen).sum(1, keepdims=True)
    return true, shown, labels


def test_ece_matches_netcal():
    netcal = pytest.importorskip("netcal.metrics")
    _, shown, labels = overconfident()
    assert expected_calibration_error(shown, labels) == pytest.approx(netcal.ECE(bins=15).measure(shown, labels))


def test_ece_is_zero_for_perfect_and_large_for_overconfident():
    true, shown, labels = overconfident()
    assert expected_calibration_error(true, labels) < 0.03
    assert expected_calibration_error(shown, labels) > 0.1
    assert np.isnan(expected_calibration_error(np.zeros((0, 3)), np.zeros(0)))


def test_temperature_undoes_sharpening_and_keeps_the_ranking():
    true, shown, labels = overconfident()
    scaler = TemperatureScaler.fit(shown[:1500], labels[:1500])
    assert scaler.temperature == pytest.approx(3.0, rel=0.15)
    calibrated = scaler(shown[1500:])
    assert (calibrated.argmax(1) == shown[1500:].argmax(1)).all()
    assert np.allclose(calibrated.sum(1), 1)
    before = expected_calibration_error(shown[1500:], labels[1500:])
    after = expected_calibration_error(calibrated, labels[1500:])
    assert after < before / 3
    assert negative_log_likelihood(calibrated, labels[1500:]) < negative_log_likelihood(shown[1500:], labels[1500:])


def test_temperature_of_too_few_rows_is_one_and_bad_labels_are_refused():
    assert TemperatureScaler.fit(np.full((1, 3), 1 / 3), np.array([0])).temperature == 1.0
    with pytest.raises(ValueError, match="class indices"):
        TemperatureScaler.fit(np.full((4, 3), 1 / 3), np.array([0, 1, -1, 2]))
    with pytest.raises(ValueError, match="one label per row"):
        expected_calibration_error(np.full((4, 3), 1 / 3), np.array([0, 1]))


def test_reliability_bins_count_every_row():
    _, shown, labels = overconfident(500)
    bins = reliability_bins(shown, labels)
    assert bins["count"].sum() == 500 and len(bins["accuracy"]) == 15


def test_platt_scaling_calibrates_an_overconfident_pair_score():
    rng = np.random.default_rng(1)
    truth = rng.uniform(0.02, 0.98, 4000)
    same = rng.uniform(size=4000) < truth
    logit = np.log(truth / (1 - truth))
    shown = 1 / (1 + np.exp(-(4 * logit + 2)))  # too sure, biased towards "same"
    scaler = PlattScaler.fit(shown[:2000], same[:2000])
    assert binary_ece(scaler(shown[2000:]), same[2000:]) < binary_ece(shown[2000:], same[2000:]) / 3
    assert scaler.slope == pytest.approx(0.25, rel=0.2)
    with pytest.raises(ValueError, match="both kinds"):
        PlattScaler.fit(shown[:10], np.ones(10))


def test_binary_ece_sees_errors_on_both_sides():
    """Every value 0.10 too high: above 0.5 that is over-confidence, below it under-confidence, which a top-label
    ECE folds onto one another (0.3 onto 0.7) so that they cancel."""
    from artlib.trust.calibration import expected_calibration_error

    rng = np.random.default_rng(0)
    true = rng.uniform(0.05, 0.85, 200_000)
    same = rng.random(true.size) < true
    shown = true + 0.10
    assert abs(binary_ece(shown, same) - 0.10) < 0.01
    assert binary_ece(true, same) < 0.01
    top_label = expected_calibration_error(np.stack([1 - shown, shown], 1), same.astype(int))
    assert top_label < 0.04  # what the top-label ECE said of the same values


def test_platt_scaling_and_its_temperature_form_agree_at_the_bounds():
    """The app applies the temperature form, the benchmarks the scaler: a raw 1.0 must read the same in both."""
    from artlib.trust.calibration import PlattScaler

    scaler = PlattScaler(0.3, 0.5)
    raw = np.array([0.0, 1e-9, 0.2, 0.5, 0.999999, 1.0])
    as_temperature = scaler.as_temperature()(np.stack([1 - raw, raw], 1))[:, 1]
    assert np.allclose(scaler(raw), as_temperature, atol=1e-9)


def test_debiased_ece_reads_near_zero_for_a_calibrated_model_and_the_gap_for_a_miscalibrated_one():
    from artlib.trust.calibration import calibration_test, debiased_ece, expected_calibration_error

    n, k = 800, 5
    logits = np.random.default_rng(1).normal(size=(n, k)) * 1.5
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    draws = [(np.random.default_rng(s).random((n, 1)) > np.cumsum(probs, 1)).sum(1).clip(0, k - 1) for s in range(5)]
    # test sets drawn from the probabilities themselves: a perfectly calibrated model
    debiased = np.mean([debiased_ece(probs, y) for y in draws])
    assert debiased < 0.5 * np.mean([expected_calibration_error(probs, y) for y in draws])  # the noise, removed
    assert sum(calibration_test(probs, y) < 0.05 for y in draws) <= 1  # perfect calibration is seldom rejected
    sharp = np.exp(2.5 * logits) / np.exp(2.5 * logits).sum(1, keepdims=True)  # over-confident, same labels
    gap = (sharp.max(1) - probs.max(1)).mean()  # how much surer it claims to be than it is, about
    assert all(debiased_ece(sharp, y) > 0.5 * gap and calibration_test(sharp, y) < 0.01 for y in draws)


def test_the_smallest_detectable_miscalibration_shrinks_with_the_test_set_and_is_detected():
    from artlib.trust.calibration import calibration_test, detectable_miscalibration

    rng = np.random.default_rng(0)

    def drawn(n):
        logits = rng.normal(size=(n, 10)) * 2
        return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    small, large = detectable_miscalibration(drawn(150)), detectable_miscalibration(drawn(3000))
    assert 0 < large < small <= 0.3
    probs = drawn(3000)
    delta = detectable_miscalibration(probs)
    detected = []
    for seed in range(20):  # a model over-confident by 1.5x that much: the test says so (p < 0.05) nearly always
        draw = np.random.default_rng(seed)
        right = draw.random(len(probs)) < np.clip(probs.max(1) - 1.5 * delta, 0, 1)
        wrong = (probs.argmax(1) + 1 + draw.integers(0, 9, len(probs))) % 10
        labels = np.where(right, probs.argmax(1), wrong)
        detected.append(calibration_test(probs, labels, draws=200, seed=seed) < 0.05)
    assert np.mean(detected) >= 0.8
    assert np.isnan(detectable_miscalibration(np.zeros((0, 3))))
