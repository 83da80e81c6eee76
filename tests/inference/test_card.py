import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
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


_ANY = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True), st.text(max_size=10))


@settings(max_examples=120, deadline=None)
@given(
    reference=st.one_of(
        _ANY,
        st.lists(_ANY, max_size=2),
        st.dictionaries(
            st.sampled_from(["backbone", "image_size", "size", ""]),
            st.one_of(_ANY, st.sampled_from(["efficientnet_lite0", "simple_cnn"])),
            max_size=3,
        ),
    ),
    with_check=st.booleans(),
)
def test_any_painting_reference_in_a_card_reads_as_a_reference_or_a_value_error(reference, with_check):
    """A card's ``painting_reference`` however damaged (another program's file, a hand edit): the card is read with
    a valid reference, or refused with ValueError naming the card; never another error, never read half-way."""
    from artlib.features.reference import FrozenReference
    from artlib.trust.painting_check import PaintingCheck

    values = {
        "model": "simple_cnn",
        "classes": {"genre": ["a", "b"]},
        "image_size": 32,
        "normalization": [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]],
        "painting": PaintingCheck([0.1, 0.2], 0.0, 0.5).to_dict() if with_check else None,
        "painting_reference": reference,
    }
    try:
        card = ModelCard.from_dict(values)
    except ValueError as exc:
        assert "the model card in the checkpoint is damaged" in str(exc)
    else:
        assert reference is None or (with_check and card.reference() == FrozenReference(**reference))
