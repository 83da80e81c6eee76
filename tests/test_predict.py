from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from artlib.artifacts import load_classifier
from artlib.artifacts import save_model_file as save_classifier
from artlib.cli import predict as main
from artlib.data import load_image_folder
from artlib.data.dataset import ArtDataset
from artlib.data.loaders import make_loaders
from artlib.data.transforms import eval_transform
from artlib.data.tta import MultiView
from artlib.models import create_model, input_normalization
from artlib.predict import Classifier, ModelCard, find_images
from artlib.train import TrainConfig, Trainer, save_checkpoint


@pytest.fixture(scope="module")
def folder(fixture_paths):
    return load_image_folder(fixture_paths.imagefolder)


def _model(table):
    torch.manual_seed(0)
    return create_model("simple_cnn", table.num_classes).eval()


@pytest.mark.parametrize("views", [("letterbox",), ("letterbox", "start", "end")])
def test_saved_classifier_predicts_as_the_model_did(folder, tmp_path, views):
    model = _model(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 48, views=views)
    save_classifier(tmp_path / "m.pt", model, card)
    paths = folder.image_paths()[:10]
    out = load_classifier(tmp_path / "m.pt", device="cpu").predict(paths, top_k=2)
    task = folder.tasks[0]
    assert list(out["path"]) == [str(p) for p in paths] and (out["task"] == task).all()
    norm = input_normalization(model)
    transform = (
        eval_transform(48, normalization=norm, fit="letterbox") if len(views) == 1 else MultiView(views, 48, norm)
    )
    direct = Trainer(model, TrainConfig(device="cpu", progress=False)).predict(
        torch.utils.data.DataLoader(ArtDataset(folder.subset(np.arange(10)), transform), batch_size=4), flip_tta=True
    )
    expected = direct.probs[task]
    names = folder.classes[task]
    assert list(out["predicted"]) == [names[i] for i in expected.argmax(1)]
    assert np.allclose(out["confidence"], expected.max(1), atol=1e-4)
    assert out["top_k"].str.count(";").eq(1).all() and out["error"].isna().all()
    # one decoded image in memory (the app's path) gets the probabilities the file path got
    from artlib.data import load_rgb

    classifier = load_classifier(tmp_path / "m.pt", device="cpu")
    for path, row in zip(paths[:3], expected[:3], strict=True):
        assert np.allclose(classifier.probabilities(load_rgb(path))[task], row, atol=1e-5)


def test_cli_takes_an_artefact_name(folder, tmp_path, monkeypatch, capsys):
    from artlib import artifacts
    from artlib.config import settings

    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    model = _model(folder)
    artifacts.save_model(
        settings(outputs=tmp_path), "classifier", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    )
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    main(["classifier", str(folder.image_paths()[0])])
    assert folder.tasks[0] in capsys.readouterr().out


def test_cli_reports_unreadable_images_and_expands_folders(folder, fixture_paths, tmp_path, capsys):
    model = _model(folder)
    save_classifier(tmp_path / "m.pt", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32))
    broken = tmp_path / "imgs" / "broken.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    genre_dir = sorted(p for p in fixture_paths.imagefolder.iterdir() if p.is_dir())[0]
    n_images = len(find_images([genre_dir])[0])
    main([str(tmp_path / "m.pt"), str(genre_dir), str(broken), "--out", str(tmp_path / "p.csv"), "--workers", "1"])
    out = pd.read_csv(tmp_path / "p.csv")
    assert len(out) == n_images + 1
    bad = out[out["error"].notna()]
    assert list(bad["path"]) == [str(broken)] and bad["predicted"].isna().all()
    assert set(out["predicted"].dropna()) <= set(folder.classes[folder.tasks[0]])


def test_bad_checkpoints_and_paths_fail_clearly(folder, tmp_path):
    model = _model(folder)
    save_checkpoint({"model": model.state_dict()}, tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="no model card"):
        load_classifier(tmp_path / "plain.pt")
    wrong = ModelCard.for_model(model, "simple_cnn", {"genre": ["a", "b"], "style": ["x", "y"]}, 32)
    with pytest.raises(ValueError, match="does not match"):
        save_classifier(tmp_path / "w.pt", model, wrong)
    with pytest.raises(ValueError, match="views"):
        ModelCard.for_model(model, "simple_cnn", folder.classes, 32, views=("sideways",))
    with pytest.raises(FileNotFoundError, match="no such image"):
        find_images([tmp_path / "missing.jpg"])


def test_card_keeps_margin_trimming(folder, tmp_path):
    model = _model(folder)
    save_classifier(
        tmp_path / "t.pt", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32, trim_margins=True)
    )
    card = load_classifier(tmp_path / "t.pt", device="cpu").card
    assert card.trim_margins
    padded = np.full((60, 120, 3), 255, dtype=np.uint8)
    padded[:, 40:80] = 90  # a painting in white bands
    whole = np.full((60, 40, 3), 90, dtype=np.uint8)
    view = make_loaders({"images": folder}, 32, **card.loader_options())["images"].dataset.transform
    assert torch.allclose(view(image=padded)["image"], view(image=whole)["image"], atol=1e-5)


def test_card_never_asks_for_downloaded_weights(folder):
    model = _model(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32, pretrained=True, widths=(8, 16))
    assert card.model_kwargs == {"widths": (8, 16)}
    with pytest.raises(ValueError, match="top_k"):
        from artlib.predict import Classifier

        Classifier(model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32), device="cpu").predict(
            [], top_k=0
        )


def test_a_folder_gives_an_error_row_for_other_types_and_dangling_links(folder, fixture_paths, tmp_path):
    import shutil

    model = _model(folder)
    classifier = Classifier(model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32), device="cpu")
    images = tmp_path / "imgs"
    (images / ".ipynb_checkpoints").mkdir(parents=True)
    painting = folder.image_paths()[0]
    shutil.copy(painting, images / "a.jpg")
    shutil.copy(painting, images / ".ipynb_checkpoints" / "a-checkpoint.jpg")
    shutil.copy(painting, images / ".hidden.jpg")
    (images / "scan.heic").write_bytes(b"\0\0")
    (images / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    out = classifier.predict([images])
    assert sorted(out["path"].map(lambda p: Path(p).name).unique()) == ["a.jpg", "gone.jpg", "scan.heic"]
    errors = out.set_index(out["path"].map(lambda p: Path(p).name))["error"]
    assert errors["scan.heic"] == "not an image type (.heic)"
    assert errors["gone.jpg"].startswith("a link to nothing")
    assert out.loc[out["path"].str.endswith("a.jpg"), "error"].isna().all()


def test_trust_travels_with_the_file_to_the_cli(folder, tmp_path):
    """fit_classifier_trust -> card + k-NN bank -> model file -> artlib-predict's sets and verdicts."""
    from artlib.train.trainer import Predictions
    from artlib.trust import fit_classifier_trust, split_predictions

    model = _model(folder)
    task = folder.tasks[0]
    table = folder.subset(np.arange(40))
    names = {task: folder.classes[task], "artist": ["a", "b"]}
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    trainer = Trainer(model, TrainConfig(device="cpu", progress=False))
    preds = split_predictions(trainer, table, card)
    assert preds.embeddings is not None and len(preds.embeddings) == 40
    # an "artist" task the model does not have: every validation painting of the first half by a known artist
    artist = np.where(np.arange(40) < 20, np.arange(40) % 2, -1)
    val = Predictions(
        {**preds.probs, "artist": np.tile([0.6, 0.4], (40, 1))},
        {**preds.labels, "artist": artist},
        None,
        preds.embeddings,
    )
    card.classes = names
    bank = fit_classifier_trust(card, val, val)
    rule = card.task_trust("artist").open_set
    assert rule is not None and card.task_trust(task).set_threshold is not None
    card.classes = {task: folder.classes[task]}  # the saved model has the image task only
    card.trust = {task: card.trust[task]}
    save_classifier(tmp_path / "m.pt", model, card, bank)
    classifier = load_classifier(tmp_path / "m.pt", device="cpu")
    assert classifier.card.trust[task]["temperature"] == card.trust[task]["temperature"]
    assert bank is None or classifier.bank is not None
    main([str(tmp_path / "m.pt"), str(table.image_paths()[0]), "--out", str(tmp_path / "p.csv")])
    out = pd.read_csv(tmp_path / "p.csv", keep_default_na=False)
    assert list(out.columns) == [
        "path",
        "task",
        "predicted",
        "confidence",
        "top_k",
        "prediction_set",
        "verdict",
        "error",
    ]
    assert out["predicted"].iloc[0] in out["prediction_set"].iloc[0].split(" | ") or out["prediction_set"].iloc[0] == ""


def test_a_card_with_wrong_types_names_the_field():
    with pytest.raises(ValueError, match="image_size must be a positive integer"):
        ModelCard("simple_cnn", {"style": ["a", "b"]}, "16", ((0.5,) * 3, (0.5,) * 3))
    with pytest.raises(ValueError, match="trust for tasks"):
        ModelCard("simple_cnn", {"style": ["a", "b"]}, 16, ((0.5,) * 3, (0.5,) * 3), trust={"genre": {}})
