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
