import numpy as np
import pytest

from artlib.data.input_spec import InputSpec
from artlib.data.transforms import IMAGENET, INCEPTION


def test_one_spec_feeds_a_classifier_card_and_an_embedder_card_the_same_way():
    from artlib.inference.card import ModelCard
    from artlib.retrieval.embedder_card import EmbedderCard

    image = np.random.default_rng(0).integers(0, 255, (90, 60, 3), dtype=np.uint8)
    card = ModelCard("simple_cnn_tiny", {"style": ["a", "b"]}, 48, INCEPTION, views=("letterbox",))
    embedder = EmbedderCard("simple_cnn_tiny", 48, INCEPTION, fit="letterbox")
    assert card.input == InputSpec(48, INCEPTION, ("letterbox",), flip=True)
    assert embedder.input.views == ("letterbox",) and embedder.input.flip is False
    a = card.input.transform()(image=image)["image"]
    b = embedder.transform()(image=image)["image"]
    assert a.shape == (3, 48, 48) and np.allclose(a.numpy(), b.numpy())


def test_several_views_stack_and_a_view_subset_overrides():
    spec = InputSpec(32, IMAGENET, ("letterbox", "start", "end"))
    image = np.zeros((64, 40, 3), np.uint8)
    assert spec.transform()(image=image)["image"].shape == (3, 3, 32, 32)
    assert spec.transform(("crop",))(image=image)["image"].shape == (3, 32, 32)
    assert spec.fitted_view == "letterbox" and InputSpec(32, IMAGENET, ("start",)).fitted_view == "crop"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_size": 0}, "image_size"),
        ({"image_size": True}, "image_size"),
        ({"views": ()}, "views"),
        ({"views": ("sideways",)}, "views"),
        ({"normalization": ((0.5,), (0.5,))}, ""),
    ],
)
def test_a_damaged_spec_is_refused_naming_the_field(kwargs, match):
    values = {"image_size": 32, "normalization": IMAGENET, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        InputSpec(**values)
