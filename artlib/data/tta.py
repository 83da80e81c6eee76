"""Test-time augmentation: several fixed views of each image, stacked for the Trainer to average.

A hanging scroll shrunk into a letterbox keeps its composition but loses its detail; square crops
along its long side keep the detail. :class:`MultiView` returns every view of an image as one
``(views, 3, size, size)`` tensor; :meth:`artlib.train.Trainer.predict` averages the class
probabilities over the views (and over mirror images with ``flip_tta``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import albumentations as A
import numpy as np
import torch

from .margins import trim_margins as _trim_margins
from .transforms import FITS, IMAGENET, Normalization, eval_transform, to_tensor

VIEWS = ("letterbox", "crop", "start", "centre", "end")
"""``letterbox``/``crop``: as :func:`eval_transform` ``fit=``; ``start``/``centre``/``end``: the
square of side = the shorter side at the top (left), middle or bottom (right) of the long side."""


def square_crop(image: np.ndarray, where: str) -> np.ndarray:
    """The largest square of ``image`` (HxWxC) at the ``start``, ``centre`` or ``end`` of its long side."""
    if where not in ("start", "centre", "end"):
        raise ValueError(f"where must be 'start', 'centre' or 'end', got {where!r}")
    h, w = image.shape[:2]
    side, extra = min(h, w), abs(h - w)
    offset = {"start": 0, "centre": extra // 2, "end": extra}[where]
    return image[offset : offset + side] if h > w else image[:, offset : offset + side]


class MultiView:
    """Callable like an albumentations pipeline: ``view(image=arr)["image"]`` -> ``(V, 3, size, size)``."""

    def __init__(
        self,
        views: Sequence[str] = ("letterbox", "start", "end"),
        size: int = 224,
        normalization: Normalization = IMAGENET,
        trim_margins: bool = False,
    ) -> None:
        unknown = [v for v in views if v not in VIEWS]
        if unknown or not views:
            raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {list(views)}")
        self.views = tuple(views)
        self.trim_margins = trim_margins
        self.fitted = {
            fit: eval_transform(size, normalization=normalization, fit=fit) for fit in FITS if fit in self.views
        }
        self.square = A.Compose([A.Resize(size, size), *to_tensor(normalization)])

    def _view(self, image: np.ndarray, view: str) -> torch.Tensor:
        if view in self.fitted:
            return self.fitted[view](image=image)["image"]
        return self.square(image=np.ascontiguousarray(square_crop(image, view)))["image"]

    def __call__(self, image: np.ndarray) -> dict[str, torch.Tensor]:
        if self.trim_margins:  # once for all views: each view then sees the painting without its padding
            image = np.ascontiguousarray(_trim_margins(image))
        return {"image": torch.stack([self._view(image, v) for v in self.views])}

    def __repr__(self) -> str:
        return f"MultiView(views={self.views}, trim_margins={self.trim_margins})"


def views_transform(
    views: Sequence[str], size: int, normalization: Normalization = IMAGENET, trim_margins: bool = False
) -> Any:
    """The evaluation transform of ``views`` (the one place this is decided): a single ``crop`` or ``letterbox``
    is :func:`eval_transform` fitted that way (``(3, size, size)`` images); anything else is a :class:`MultiView`
    stack (``(V, 3, size, size)``, averaged by ``Trainer.predict``)."""
    views = tuple(views)
    if len(views) == 1 and views[0] in FITS:
        return eval_transform(size, normalization=normalization, fit=views[0], trim_margins=trim_margins)
    return MultiView(views, size, normalization, trim_margins=trim_margins)
