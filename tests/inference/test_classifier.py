import numpy as np
import pytest
import torch
from toy_problems import untrained_classifier

from artlib.data.dataset import ArtDataset
from artlib.data.transforms import eval_transform
from artlib.data.tta import MultiView
from artlib.inference import ModelCard, find_images
from artlib.models import input_normalization
from artlib.store.artifacts import load_classifier
from artlib.store.artifacts import save_model_file as save_classifier
from artlib.train import TrainConfig, Trainer, save_checkpoint


@pytest.mark.parametrize("views", [("letterbox",), ("letterbox", "start", "end")])
def test_saved_classifier_predicts_as_the_model_did(folder, tmp_path, views):
    model = untrained_classifier(folder)
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


def test_bad_checkpoints_and_paths_fail_clearly(folder, tmp_path):
    model = untrained_classifier(folder)
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
