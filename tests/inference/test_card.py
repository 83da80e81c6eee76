import numpy as np
import pytest
import torch
from toy_problems import untrained_classifier

from artlib.data.loaders import make_loaders
from artlib.inference import ModelCard
from artlib.store.artifacts import load_classifier
from artlib.store.artifacts import save_model_file as save_classifier


def test_card_keeps_margin_trimming(folder, tmp_path):
    model = untrained_classifier(folder)
    save_classifier(
        tmp_path / "t.pt",
        model,
        ModelCard.for_model(model, "simple_cnn", folder.classes, 32, trim_margins=True),
    )
    card = load_classifier(tmp_path / "t.pt", device="cpu").card
    assert card.trim_margins
    padded = np.full((60, 120, 3), 255, dtype=np.uint8)
    padded[:, 40:80] = 90  # a painting in white bands
    whole = np.full((60, 40, 3), 90, dtype=np.uint8)
    view = make_loaders({"images": folder}, 32, **card.loader_options())["images"].dataset.transform
    assert torch.allclose(view(image=padded)["image"], view(image=whole)["image"], atol=1e-5)


def test_card_never_asks_for_downloaded_weights(folder):
    model = untrained_classifier(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32, pretrained=True, widths=(8, 16))
    assert card.model_kwargs == {"widths": (8, 16)}
    with pytest.raises(ValueError, match="top_k"):
        from artlib.inference import Classifier

        Classifier(model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32), device="cpu").predict(
            [], top_k=0
        )


def test_a_card_with_wrong_types_names_the_field():
    with pytest.raises(ValueError, match="image_size must be a positive integer"):
        ModelCard("simple_cnn", {"style": ["a", "b"]}, "16", ((0.5,) * 3, (0.5,) * 3))
    with pytest.raises(ValueError, match="trust for tasks"):
        ModelCard("simple_cnn", {"style": ["a", "b"]}, 16, ((0.5,) * 3, (0.5,) * 3), trust={"genre": {}})
