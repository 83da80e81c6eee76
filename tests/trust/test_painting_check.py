import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artlib.data.images import MIN_ANSWER_SIDE
from artlib.trust.non_paintings import KINDS, non_paintings
from artlib.trust.painting_check import (
    MadeUp,
    PaintingCheck,
    embed_made_up,
    fit_painting_check,
    made_up_features,
    painting_check_report,
)


def test_made_up_images_are_seeded_rgb_and_of_every_kind():
    a, b, c = non_paintings(3, seed=1), non_paintings(3, seed=1), non_paintings(3, seed=2)
    assert list(a) == list(KINDS)
    for kind, images in a.items():
        assert len(images) == 3
        for image, same in zip(images, b[kind], strict=True):
            assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
            assert np.array_equal(image, same)
        assert not all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(images, c[kind], strict=True))
    assert all(max(x.shape[:2]) < MIN_ANSWER_SIDE for x in a["tiny"])
    assert all(min(x.shape[:2]) >= MIN_ANSWER_SIDE for k in a if k != "tiny" for x in a[k])
    text = a["rendered text"][0]
    assert (text > 200).mean() > 0.7 and (text < 80).mean() > 0.005  # a light page with dark type on it
    with pytest.raises(ValueError, match="unknown kinds"):
        non_paintings(1, kinds=("photograph",))


def _features(rng, n, centre, dim=16):
    return rng.normal(centre, 1.0, (n, dim))


def test_a_check_refuses_what_lies_with_the_made_up_images_and_keeps_its_recall():
    rng = np.random.default_rng(0)
    paintings, validation, test = (_features(rng, n, 0.0) for n in (300, 200, 400))
    made_up = _features(rng, 120, 3.0)
    check = fit_painting_check(paintings, validation, made_up, recall=0.95)
    assert math.isclose(check.is_painting(validation).mean(), 0.95, abs_tol=0.01)  # the threshold is validation's
    assert 0.9 <= check.is_painting(test).mean() <= 1.0
    assert check.is_painting(_features(rng, 100, 3.0)).mean() < 0.05
    assert check.fitted_on == {"paintings": 300, "made_up": 120, "validation": 200}
    again = PaintingCheck.from_dict(check.to_dict())
    assert np.array_equal(again.is_painting(test), check.is_painting(test))
    with pytest.raises(ValueError, match="width 16.*another model"):
        check.scores(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="needs paintings"):
        fit_painting_check(paintings, validation[:0], made_up)


DAMAGE = st.sampled_from(
    [
        ("threshold", math.nan),
        ("threshold", "0.5"),
        ("bias", math.inf),
        ("weights", []),
        ("weights", [1.0, math.nan]),
        ("weights", "1,2"),
        ("recall", 1.5),
        ("recall", 0),
    ]
)


@settings(max_examples=20, deadline=None)
@given(damage=DAMAGE)
def test_a_damaged_check_is_refused_naming_the_field(damage):
    field, value = damage
    record = PaintingCheck([0.5, -0.5], 0.1, 0.0).to_dict() | {field: value}
    with pytest.raises(ValueError, match=f"damaged painting check.*{field}"):
        PaintingCheck.from_dict(record)
    with pytest.raises(ValueError, match="damaged painting check"):
        PaintingCheck.from_dict({"weights": [1.0]})  # a record that lost its fields


def test_made_up_images_are_embedded_and_tiny_ones_counted_as_refused():
    made_up = embed_made_up(lambda image: image.reshape(-1, 3).mean(0), per_kind=4, seed=3)
    assert made_up["tiny"].too_small == 4 and made_up["tiny"].images == 4
    assert made_up["noise"].features.shape == (4, 3)
    assert made_up_features(made_up).shape == (16, 3)
    check = PaintingCheck([0.0, 0.0, 0.0], 0.0, 1.0)  # refuses everything
    report = painting_check_report(check, np.zeros((5, 3)), made_up)
    assert report.loc["test paintings", "refused"] == 1.0 and report.loc["tiny", "images"] == 4
    accepting = PaintingCheck([0.0, 0.0, 0.0], 0.0, -1.0)
    report = painting_check_report(accepting, np.zeros((5, 3)), made_up)
    assert report.loc["tiny", "refused"] == 1.0 and report.loc["noise", "refused"] == 0.0
    assert report.loc["test paintings", "refused"] == 0.0
    assert isinstance(made_up["noise"], MadeUp)
