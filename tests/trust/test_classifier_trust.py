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


def test_a_reference_check_refuses_a_photograph_the_classifier_alone_would_name(folder, tmp_path):
    """Notebook 08's recipe on the fixture: the check reads a frozen ImageNet network's features, not the
    classifier's; the model file keeps its reference and training paintings. A photograph (far from every
    painting) gets a refusal, never a class, from answer() and predict(); the collection's paintings are answered."""
    skimage_data = pytest.importorskip("skimage.data")
    from PIL import Image

    from artlib.data import load_rgb
    from artlib.features.reference import FrozenReference
    from artlib.store.artifacts import load_classifier, save_model_file
    from artlib.trust import fit_reference_check
    from artlib.trust.painting_check import REFUSALS

    model = untrained_classifier(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 48)
    order = np.random.default_rng(0).permutation(len(folder))
    cut = [len(order) * 3 // 5, len(order) * 4 // 5]
    parts = [folder.subset(np.sort(i)) for i in np.split(order, cut)]
    tables = dict(zip(("train", "val", "test"), parts, strict=True))
    check = fit_reference_check(card, FrozenReference("efficientnet_lite0", 64), tables, per_kind=8)
    assert card.painting_reference == {"backbone": "efficientnet_lite0", "image_size": 64}
    assert check.bank.shape == (len(tables["train"]), 1280) and check.bank.dtype == np.float16
    report = check.report(card)
    assert report.loc["test paintings", "images"] == len(tables["test"])
    assert (report.drop(index="test paintings")["refused"] >= 0.75).all()  # made-up kinds of another seed
    task = folder.tasks[0]
    by_class = check.by_class(card, tables["test"], task)
    assert set(by_class.index) <= set(folder.classes[task]) and by_class["refused"].is_monotonic_decreasing
    assert by_class["images"].sum() == (tables["test"].frame[task] >= 0).sum()
    save_model_file(tmp_path / "m.pt", model, card, painting_bank=check.bank)
    classifier = load_classifier(tmp_path / "m.pt", device="cpu")
    assert classifier.reference is not None and np.array_equal(classifier.painting_bank, check.bank)
    photo = skimage_data.chelsea()
    answer = classifier.answer(photo)[task]
    assert answer.refusal in REFUSALS and not answer.painting and answer.verdict(2).startswith(answer.refusal)
    Image.fromarray(photo).save(tmp_path / "cat.png")
    paintings = tables["test"].image_paths()
    rows = classifier.predict([tmp_path / "cat.png", *paintings]).set_index("path")
    cat = rows.loc[str(tmp_path / "cat.png")]
    assert cat["verdict"] in REFUSALS and cat["predicted"] == cat["verdict"] and np.isnan(cat["confidence"])
    answered = rows.drop(index=str(tmp_path / "cat.png"))
    assert answered["predicted"].isin(folder.classes[task]).mean() >= 0.8
    assert classifier.answer(load_rgb(paintings[0]))[task].refusal == (
        "" if answered.iloc[0]["predicted"] in folder.classes[task] else answered.iloc[0]["verdict"]
    )
    assert answer.refusal == cat["verdict"]  # one image, one verdict, in memory or from its file


def test_a_damaged_painting_bank_or_a_reference_without_its_check_is_refused(folder, tmp_path):
    from artlib.store.artifacts import load_classifier, save_model_file
    from artlib.trust.painting_check import fit_painting_check

    model = untrained_classifier(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 48)
    rng = np.random.default_rng(0)
    card.painting = fit_painting_check(
        rng.normal(size=(30, 6)), rng.normal(size=(10, 6)), rng.normal(size=(30, 6)) + 3, near_k=5
    ).to_dict()
    for bank in (np.ones((4, 7)), np.ones(6), np.full((4, 6), np.nan), np.ones((0, 6))):
        with pytest.raises(ValueError, match="painting_bank"):
            save_model_file(tmp_path / "m.pt", model, card, painting_bank=bank)
    import torch

    save_model_file(tmp_path / "m.pt", model, card, painting_bank=np.ones((4, 6)))
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    state["painting_bank"] = torch.ones(4, 5)
    torch.save(state, tmp_path / "damaged.pt")
    with pytest.raises(ValueError, match="painting_bank in .*damaged.pt is damaged"):
        load_classifier(tmp_path / "damaged.pt", device="cpu")
    values = card.to_dict()
    values["painting"], values["painting_reference"] = None, {"backbone": "efficientnet_lite0", "image_size": 64}
    with pytest.raises(ValueError, match="painting_reference without a painting check"):
        ModelCard.from_dict(values)
    values["painting"] = card.painting
    values["painting_reference"] = {"backbone": "efficientnet_lite0", "image_size": "64"}
    with pytest.raises(ValueError, match="image_size"):
        ModelCard.from_dict(values)
