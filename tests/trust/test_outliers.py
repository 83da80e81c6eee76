import numpy as np
import pytest

from artlib.trust.outliers import cleaning_effect, compare_detectors, inject_label_noise, suspicion_scores


def _clustered(n_per=80, classes=4, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per)
    return rng.normal(size=(len(y), dim)) + 3 * np.eye(classes, dim)[y], y


def test_noise_injection_and_detection():
    x, y = _clustered()
    noisy, flipped = inject_label_noise(y, 0.05, seed=1)
    assert flipped.sum() == 16 and (noisy[flipped] != y[flipped]).all() and (noisy[~flipped] == y[~flipped]).all()
    table = compare_detectors(x, y, rate=0.05, seed=1, ks=(10,))
    assert table.loc["combined (mean rank)", "auroc"] > 0.9
    assert table.loc["cleanlab find_label_issues", "auroc"] > 0.9
    assert table.loc["combined (mean rank)", "precision@10"] >= 0.7  # random would give 0.05
    with pytest.raises(ValueError, match="known"):
        suspicion_scores(x, np.r_[y[:-1], -1])


def test_leaving_suspects_out_undoes_injected_noise():
    from sklearn.datasets import make_blobs

    x, y = make_blobs(600, n_features=16, centers=3, cluster_std=4.0, random_state=0)
    table = cleaning_effect(x[:400], y[:400], x[400:], y[400:], rates=(0.0, 0.4))
    assert table.loc[0.0, "flipped"] == 0 and table.loc[0.0, "dropped"] == 20  # 5 % when nothing was flipped
    noisy = table.loc[0.4]
    assert noisy["flipped"] == noisy["dropped"] == 160
    assert noisy["dropped that were flipped"] > 0.9
    assert noisy["accuracy, suspects left out"] > noisy["accuracy, all rows"]
    assert noisy["accuracy, suspects left out"] >= noisy["accuracy, flipped left out (oracle)"] - 0.02


def test_isolation_finds_an_odd_one_out():
    x, y = _clustered()
    x[5] = 40.0  # a "photograph" far from every painting
    scores = suspicion_scores(x, y)
    assert scores["isolation"].idxmax() == 5


def test_out_of_fold_probabilities_are_calibrated_by_a_temperature_no_row_was_fitted_on():
    from artlib.trust.outliers import calibrate_out_of_fold

    rng = np.random.default_rng(0)
    n, k = 600, 4
    logits = rng.normal(size=(n, k)) * 1.5
    labels = np.array([rng.choice(k, p=np.exp(z) / np.exp(z).sum()) for z in logits])
    labels[0] = k  # a class of one painting: the probe cannot name it
    shown = np.exp(3 * logits) / np.exp(3 * logits).sum(1, keepdims=True)  # three times too sharp
    shown = np.column_stack([shown, np.zeros(n)])
    calibrated, report = calibrate_out_of_fold(shown, labels)
    assert report["n"] == n - 1 and report["temperature"] == pytest.approx(3, rel=0.2)
    assert report["ece"] < report["ece_raw"] / 3 and report["ece_low"] <= report["ece"] <= report["ece_high"]
    np.testing.assert_allclose(calibrated.sum(1), 1, atol=1e-9)
    assert (calibrated.argmax(1) == shown.argmax(1)).all()  # a temperature never changes the predicted class
    assert calibrated[0].max() < shown[0].max()  # the lone painting gets the median temperature too
    few, report = calibrate_out_of_fold(shown[:3], np.array([0, 0, 1]))
    assert report["temperature"] == 1 and np.array_equal(few, shown[:3])  # too few to fit: left as they are
    frame = suspicion_scores(rng.normal(size=(n - 1, 5)), labels[1:], calibrated[1:, :k])
    assert np.allclose(frame["given_prob"], calibrated[np.arange(1, n), labels[1:]])
    assert np.allclose(frame["self_confidence"], 1 - frame["given_prob"])
