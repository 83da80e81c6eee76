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


def test_a_painting_check_gives_no_class_for_what_is_not_a_painting(folder, tmp_path):
    """A card with a painting check: a typed page or a screenshot gets "not a painting" from answer() and
    predict(), no class and no confidence; the collection's paintings are still answered."""
    from PIL import Image

    from artlib.data import load_rgb
    from artlib.inference import Classifier
    from artlib.trust.non_paintings import non_paintings
    from artlib.trust.painting_check import FIT_SEED, embed_made_up, fit_painting_check, made_up_features

    model = untrained_classifier(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 48)
    plain = Classifier(model, card, device="cpu")
    paths = folder.image_paths()
    features = np.stack([plain.image_features(load_rgb(p)) for p in paths])
    made_up = made_up_features(embed_made_up(plain.image_features, per_kind=12, seed=FIT_SEED))
    half = len(paths) // 2
    card.painting = fit_painting_check(features[:half], features[half:], made_up, recall=0.95).to_dict()
    save_classifier(tmp_path / "m.pt", model, card)
    checked = load_classifier(tmp_path / "m.pt", device="cpu")
    assert checked.painting is not None and checked.card.painting == card.painting
    pages = non_paintings(3, seed=7, kinds=("rendered text", "screenshot"))
    task = folder.tasks[0]
    answers = {kind: [checked.answer(image)[task] for image in pages[kind]] for kind in pages}
    for answer in answers["rendered text"]:  # an untrained network's features: typed pages are far enough
        assert not answer.painting and answer.verdict(2).startswith("not a painting")
    assert sum(not a.painting for a in answers["screenshot"]) >= 2
    assert np.mean([checked.answer(load_rgb(p))[task].painting for p in paths[half:]]) >= 0.9
    Image.fromarray(pages["rendered text"][0]).save(tmp_path / "page.png")
    rows = checked.predict([tmp_path / "page.png", paths[-1]]).set_index("path")
    page = rows.loc[str(tmp_path / "page.png")]
    assert page["predicted"] == "not a painting" and page["verdict"] == "not a painting"
    assert np.isnan(page["confidence"]) and page["prediction_set"] == ""
    assert rows.loc[str(paths[-1]), "predicted"] in folder.classes[task]
    assert plain.answer(pages["rendered text"][0])[task].painting  # no check on the card: it is answered
