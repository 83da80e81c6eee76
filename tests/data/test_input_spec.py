import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        ({"normalization": ((0.5,), (0.5,))}, "normalization"),
        ({"normalization": ((0.5, 0.5, 0.5), (0.5, 0.0, 0.5))}, "normalization"),  # pixels / 0: infinite
    ],
)
def test_a_damaged_spec_is_refused_naming_the_field(kwargs, match):
    values = {"image_size": 32, "normalization": IMAGENET, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        InputSpec(**values)


_numbers = st.floats(allow_nan=True, allow_infinity=True, width=32)
_triples = st.lists(_numbers, min_size=1, max_size=4) | st.lists(st.text(max_size=3), min_size=3, max_size=3)


@settings(max_examples=200, deadline=None)
@given(mean=_triples, std=_triples)
def test_a_normalization_is_three_finite_means_and_three_positive_stds_or_refused(mean, std):
    """Drawn (mean, std) records, as a damaged card holds them: each is read exactly or refused naming the field
    (a std of 0 divided the pixels into infinities; a short one ended in an unpacking error)."""
    from artlib.data.transforms import as_normalization

    good = (
        all(len(part) == 3 and all(isinstance(v, float) and math.isfinite(v) for v in part) for part in (mean, std))
        and min(std) > 0
    )
    if good:
        assert InputSpec(32, (mean, std)).normalization == (tuple(mean), tuple(std))
    else:
        with pytest.raises(ValueError, match="normalization"):
            as_normalization((mean, std))
