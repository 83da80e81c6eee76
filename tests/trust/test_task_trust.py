import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artlib.trust import TaskTrust, fit_task_trust, task_trust_report
from artlib.trust.calibration import PlattScaler


def predictions(n: int = 800, k: int = 5, seed: int = 0, sharpen: float = 2.5):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 1.5
    true = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(k, p=p) for p in true])
    shown = np.exp(logits * sharpen) / np.exp(logits * sharpen).sum(1, keepdims=True)
    labels[rng.uniform(size=n) < 0.3] = -1  # paintings without this label (or by another artist)
    return shown, labels


def test_fit_calibrates_covers_and_round_trips_as_plain_values():
    probs, labels = predictions()
    trust = fit_task_trust("genre", probs[:400], labels[:400])
    assert trust.temperature == pytest.approx(2.5, rel=0.25) and trust.open_set is None
    report = task_trust_report(probs[400:], labels[400:], trust)
    assert report["ece"] < report["ece_raw"] and report["ece_low"] <= report["ece"] <= report["ece_high"]
    assert 0.84 <= report["coverage"] <= 0.96 and report["set_size"] >= 1
    assert report["ece_floor"] > 0 and "auroc" not in report
    again = TaskTrust.from_dict(trust.to_dict())
    assert np.allclose(again.calibrate(probs), trust.calibrate(probs))


def test_an_open_task_gets_a_rule_and_its_rates():
    probs, labels = predictions()
    trust = fit_task_trust("artist", probs[:400], labels[:400], open_set=True)
    assert trust.open_set is not None and trust.open_set.score == "max_probability"
    report = task_trust_report(probs[400:], labels[400:], trust)
    for key in ("auroc", "other_named", "other_named_raw", "known_rejected", "other_accepted"):
        assert key in report and f"{key}_low" in report
    assert TaskTrust.from_dict(trust.to_dict()).open_set == trust.open_set


def test_small_validation_gives_every_class_and_a_damaged_record_is_refused():
    probs, labels = predictions(n=6)
    trust = fit_task_trust("style", probs, labels)
    assert trust.set_threshold is None and trust.sets(trust.calibrate(probs)).all()
    with pytest.raises(ValueError, match="temperature"):
        TaskTrust.from_dict({"temperature": -1})


def test_platt_as_temperature_and_bias_is_the_same_map():
    scaler = PlattScaler(0.4, -1.2)
    p = np.linspace(0.01, 0.99, 50)
    trust = TaskTrust.from_platt(scaler)
    assert np.allclose(trust.calibrate(np.stack([1 - p, p], 1))[:, 1], scaler(p))
    assert not math.isclose(trust.temperature, 1.0)


DAMAGED = st.sampled_from(
    [
        ("temperature", math.inf, "temperature"),
        ("temperature", 1e-9, "temperature"),
        ("temperature", "2", "temperature"),
        ("temperature", True, "temperature"),
        ("coverage", 5, "coverage"),
        ("coverage", -0.1, "coverage"),
        ("set_threshold", -1, "set_threshold"),
        ("set_threshold", math.nan, "set_threshold"),
        ("set_threshold", "0.3", "set_threshold"),
        ("bias", ["a", 0], "bias"),
        ("open_set", {"score": "max_probability", "threshold": math.nan, "task": "artist"}, "open_set.threshold"),
        ("open_set", {"score": "max_probability", "threshold": "0.5", "task": "artist"}, "open_set.threshold"),
        ("open_set", {"score": "knn_similarity", "threshold": 0.2, "task": "artist", "k": 0}, "open_set.k"),
        ("open_set", {"score": "nonsense", "threshold": 0.2, "task": "artist"}, "open-set score"),
    ]
)


@settings(max_examples=40, deadline=None)
@given(damage=DAMAGED)
def test_a_damaged_trust_record_in_a_card_is_refused_when_read_naming_the_field(damage):
    from artlib.inference import ModelCard

    field, value, named = damage
    trust = {**TaskTrust(temperature=1.3, set_threshold=0.4).to_dict(), field: value}
    card = {
        "model": "simple_cnn",
        "classes": {"artist": ["a", "b"]},
        "image_size": 32,
        "trust": {"artist": trust},
        "normalization": [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]],
    }
    with pytest.raises(ValueError, match=f"(?s)artist.*{named}"):
        ModelCard.from_dict(card)


def test_one_validation_class_gives_no_fitted_sets_and_a_warning(caplog):
    probs, labels = predictions(n=300)
    labels = np.where(labels == labels[0], labels, -1)  # validation holds one genre only
    trust = fit_task_trust("genre", probs, labels)
    assert "1 class(es)" in caplog.text and trust.set_threshold is None and trust.temperature == 1.0
    assert trust.sets(trust.calibrate(probs)).all()  # every class stays possible: no "90 %" set that is not one


def test_calibration_rows_alone_fit_the_sets_and_their_band_is_reported():
    probs, labels = predictions(1600, seed=2)
    val, cal, test = slice(0, 400), slice(400, 800), slice(800, 1600)
    trust = fit_task_trust("genre", probs[val], labels[val], calibration=(probs[cal], labels[cal]))
    from artlib.trust.conformal import conformal_threshold

    rows = labels[cal] >= 0
    expected = conformal_threshold(trust.calibrate(probs[cal][rows]), labels[cal][rows], 0.9)
    assert trust.set_threshold == pytest.approx(expected)
    assert trust.fitted_on["sets"] == rows.sum() and trust.fitted_on["sets_from"].startswith("calibration rows")
    report = task_trust_report(probs[test], labels[test], trust)
    assert report["coverage_band_low"] < 0.9 < report["coverage_band_high"]
    assert report["worst_class_coverage"] <= report["coverage"] and 0 <= report["worst_class"] < 5
    same_rows = fit_task_trust("genre", probs[val], labels[val])
    assert same_rows.fitted_on["sets_from"].startswith("validation")


def test_too_few_calibration_paintings_are_said_aloud(caplog):
    """Three calibration paintings cannot make a 90 % set: a warning at the fit, every class in the set, a band of
    (1, 1), and an answer that says it has no set instead of a "90 %" label."""
    import pandas as pd

    from artlib.inference.classifier import NO_SET, Answer, answer_row

    probs, labels = predictions(600, seed=3)
    with caplog.at_level("WARNING"):
        trust = fit_task_trust("genre", probs[:400], labels[:400], calibration=(probs[400:403], np.array([0, 1, 2])))
    assert "cannot make a 90 % set" in caplog.text and trust.set_threshold is None
    assert trust.sets(probs[:4]).all()
    report = task_trust_report(probs[403:], labels[403:], trust)
    assert report["coverage_band_low"] == report["coverage_band_high"] == 1.0
    top = pd.DataFrame({"class": ["a", "b"], "probability": [0.6, 0.3]})
    answer = Answer("genre", top, ["a", "b", "c"], 0.9, True, False, set_fitted=False)
    assert "no 90% set: too few calibration paintings" in answer.verdict(3)
    assert answer_row(answer)["prediction_set"] == NO_SET


def test_hold_out_calibration_moves_validation_rows_without_overlap():
    from toy_problems import artist_table

    from artlib.trust.calibration_split import hold_out_calibration

    splits = {"train": artist_table(10), "val": artist_table(40)}
    out = hold_out_calibration(splits, share=0.5, seed=1)
    val, cal = set(out["val"].frame["path"]), set(out["calibration"].frame["path"])
    assert len(val) == 20 and len(cal) == 20 and not val & cal
    assert val | cal == set(splits["val"].frame["path"]) and out["train"] is splits["train"]
    assert "calibration" not in hold_out_calibration({"val": artist_table(3)})
    with pytest.raises(ValueError, match="share"):
        hold_out_calibration(splits, share=1.0)
