import numpy as np
import pandas as pd
import pytest
from toy_problems import untrained_classifier

from artlib.inference import ModelCard
from artlib.train import Predictions
from artlib.trust import classifier_trust_report, fit_classifier_trust


def _predictions(n: int, seed: int) -> Predictions:
    """Sharpened (overconfident) probabilities of 4 artists and 3 genres; a quarter of the paintings by another
    artist (-1); features that sit near their artist's centre."""
    rng = np.random.default_rng(seed)
    artist = rng.integers(0, 4, n)
    artist[rng.uniform(size=n) < 0.25] = -1
    genre = rng.integers(0, 3, n)
    probs = {}
    for task, y, k in (("artist", artist, 4), ("genre", genre, 3)):
        logits = rng.normal(size=(n, k))
        logits[y >= 0, y[y >= 0]] += 1.5
        logits *= 3
        probs[task] = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    features = rng.normal(size=(n, 8)) + 4 * np.eye(5, 8)[np.where(artist >= 0, artist, 4)]
    return Predictions(probs, {"artist": artist, "genre": genre}, embeddings=features.astype(np.float32))


@pytest.fixture
def card():
    classes = {"artist": [f"a{i}" for i in range(4)], "genre": ["g0", "g1", "g2"]}
    table = type("T", (), {"num_classes": {t: len(c) for t, c in classes.items()}})()
    return ModelCard.for_model(untrained_classifier(table), "simple_cnn", classes, 32)


def test_every_task_is_fitted_on_validation_and_measured_on_test_with_intervals(card):
    bank = fit_classifier_trust(card, _predictions(600, 0), _predictions(600, 1))
    assert set(card.trust) == {"artist", "genre"}
    assert card.task_trust("artist").open_set is not None and card.task_trust("genre").open_set is None
    assert card.task_trust("genre").temperature > 1  # the probabilities were made overconfident
    report = classifier_trust_report(card, _predictions(600, 2), bank)
    assert isinstance(report, pd.DataFrame) and list(report.index) == ["artist", "genre"]
    assert (report["ece"] < report["ece_raw"]).all()
    assert (report["ece_low"] <= report["ece"]).all() and (report["ece"] <= report["ece_high"]).all()
    assert report.loc["artist", "auroc"] > 0.5 and np.isnan(report.loc["genre", "auroc"])
    stored = card.trust["genre"]["test"]
    assert stored["coverage"] == pytest.approx(report.loc["genre", "coverage"])
    assert all(not (isinstance(v, float) and np.isnan(v)) for v in stored.values())  # NaN kept as None (JSON)


def test_without_training_features_no_bank_is_returned(card):
    val = _predictions(300, 0)
    assert fit_classifier_trust(card, val) is None
    assert card.task_trust("artist").open_set is not None  # the max-probability rule needs no bank


def test_calibration_predictions_fit_the_sets_and_three_set_methods_are_compared(card):
    from artlib.trust.classifier_trust import classifier_set_methods

    val, cal, test = _predictions(400, 0), _predictions(400, 3), _predictions(600, 2)
    bank = fit_classifier_trust(card, val, _predictions(400, 1), calibration=cal)
    for task in card.classes:
        fitted = card.task_trust(task).fitted_on
        assert fitted["sets"] == (cal.labels[task] >= 0).sum() and fitted["sets_from"].startswith("calibration")
    methods = classifier_set_methods(card, cal, test)
    assert set(methods.index) == {(t, m) for t in ("artist", "genre") for m in ("lac", "aps", "raps")}
    assert (methods["coverage"] > 0.8).all() and (methods["set_size"] >= 1).all()
    report = classifier_trust_report(card, test, bank)
    assert (report["ece_detectable"] > 0).all() and (report["coverage_band_low"] < 0.9).all()
