"""Test-time views: square crops along the long side, and the one function that turns views into a transform."""

import numpy as np
import pytest
import torch

from artlib.data.transforms import INCEPTION
from artlib.data.tta import VIEWS, MultiView, square_crop, views_transform


def _strip(h=40, w=120):
    """A landscape strip whose columns count up, so that a crop's position shows in its pixels."""
    return np.repeat(np.linspace(0, 255, w, dtype=np.uint8)[None, :, None], h, 0).repeat(3, 2)


@pytest.mark.parametrize("where, first_column", [("start", 0), ("centre", 40), ("end", 80)])
def test_square_crops_sit_where_they_say(where, first_column):
    image = _strip()
    crop = square_crop(image, where)
    assert crop.shape == (40, 40, 3) and crop[0, 0, 0] == image[0, first_column, 0]
    assert square_crop(image.transpose(1, 0, 2), where).shape == (40, 40, 3)  # a portrait strip too


@pytest.mark.parametrize("views", [("crop",), ("letterbox",)])
def test_one_fitted_view_is_a_plain_evaluation_transform(views):
    out = views_transform(views, 32, INCEPTION)(image=_strip())["image"]
    assert not isinstance(views_transform(views, 32), MultiView) and out.shape == (3, 32, 32)


@pytest.mark.parametrize("views", [("start",), ("letterbox", "end"), VIEWS])
def test_other_views_stack_for_the_trainer_to_average(views):
    transform = views_transform(views, 32, trim_margins=True)
    out = transform(image=_strip())["image"]
    assert isinstance(transform, MultiView) and out.shape == (len(views), 3, 32, 32) and torch.isfinite(out).all()


def test_a_single_crop_equals_that_view_of_a_stack():
    image = _strip()
    alone = views_transform(("letterbox",), 32)(image=image)["image"]
    stacked = views_transform(("letterbox", "end"), 32)(image=image)["image"]
    torch.testing.assert_close(alone, stacked[0])


@pytest.mark.parametrize("views", [(), ("diagonal",), ("crop", "sideways")])
def test_unknown_or_no_views_are_refused(views):
    with pytest.raises(ValueError, match="views must be a non-empty subset"):
        views_transform(views, 32)


def test_multiview_crops_along_the_long_side():
    from artlib.data.tta import MultiView, square_crop

    scroll = np.zeros((300, 100, 3), np.uint8)  # tall: top third white, middle grey, bottom black
    scroll[:100], scroll[100:200] = 255, 128
    assert square_crop(scroll, "start").min() == 255 and square_crop(scroll, "end").max() == 0
    assert (square_crop(scroll, "centre") == 128).all()
    wide = scroll.transpose(1, 0, 2)  # a handscroll: the same squares from left to right
    assert np.array_equal(square_crop(wide, "start"), square_crop(scroll, "start").transpose(1, 0, 2))
    plain = ((0, 0, 0), (1, 1, 1))
    views = MultiView(("letterbox", "start", "centre", "end", "crop"), 32, plain)(image=scroll)["image"]
    assert views.shape == (5, 3, 32, 32)
    means = views.mean((1, 2, 3))
    assert means[1] == pytest.approx(1.0) and means[2] == pytest.approx(128 / 255, abs=1e-3) and means[3] == 0
    with pytest.raises(ValueError, match="views"):
        MultiView(("letterbox", "zoom"))
    with pytest.raises(ValueError, match="where"):
        square_crop(scroll, "middle")
