"""The views an identity embedding sees of each painting: the whole of it, and details at full resolution.

Who painted a picture shows in its brushwork as much as in its subject. Besides the whole painting (centre crop
at ``size``), each painting is cut into four quadrant details of its centre square at ``2 * detail`` pixels, each
fed at ``detail`` pixels: on the WikiArt sample's 224 px images (``detail=112``) these are native pixels, the
highest resolution the data has. Each view is an albumentations pipeline with a stable ``repr``, so the frozen
network's features of every view are cached per image (:mod:`artlib.features.cache`).
"""

from __future__ import annotations

from collections.abc import Sequence

import albumentations as A

from ..data.transforms import IMAGENET, Normalization, eval_transform, to_tensor

#: the whole painting, then its four quadrant details
VIEWS = ("whole", "top_left", "top_right", "bottom_left", "bottom_right")
_CORNERS = {"top_left": (0, 0), "top_right": (1, 0), "bottom_left": (0, 1), "bottom_right": (1, 1)}


def view_transform(view: str, size: int, detail: int, normalization: Normalization = IMAGENET) -> A.Compose:
    """The evaluation transform of one identity ``view`` (:data:`VIEWS`)."""
    if view == "whole":
        return eval_transform(size, normalization=normalization, fit="crop")
    if view not in _CORNERS:
        raise ValueError(f"unknown identity view {view!r}; choose from {VIEWS}")
    col, row = _CORNERS[view]
    x0, y0 = col * detail, row * detail
    return A.Compose(
        [
            A.SmallestMaxSize(max_size=2 * detail),
            A.CenterCrop(height=2 * detail, width=2 * detail),
            A.Crop(x_min=x0, y_min=y0, x_max=x0 + detail, y_max=y0 + detail),
            *to_tensor(normalization),
        ]
    )


def check_views(views: Sequence[str]) -> tuple[str, ...]:
    """``views`` as a tuple, refused when empty or naming an unknown view."""
    views = tuple(views)
    unknown = [v for v in views if v not in VIEWS]
    if unknown or not views:
        raise ValueError(f"identity views must be a non-empty subset of {VIEWS}, got {list(views)}")
    return views
