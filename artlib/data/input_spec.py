"""What a network's input looks like, in one record (as timm's ``pretrained_cfg``): the square side, the pixel
normalisation, the evaluation views and whether mirror images are averaged. A classifier's
:class:`~artlib.inference.ModelCard` and a feature extractor's :class:`~artlib.retrieval.EmbedderCard` both
describe their input with it, so an image is fed to either the one same way.

    spec = InputSpec(128, INCEPTION, views=("letterbox",))
    x = spec.transform()(image=rgb)["image"]          # (3, 128, 128), or (V, 3, 128, 128) for several views
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .transforms import FITS, Normalization, as_normalization
from .tta import VIEWS, views_transform


@dataclass(frozen=True)
class InputSpec:
    """Side ``image_size``, ``normalization`` (mean, std), evaluation ``views`` (:data:`artlib.data.tta.VIEWS`),
    ``flip`` (average with the mirror image) and ``trim_margins`` (cut plain borders first)."""

    image_size: int
    normalization: Normalization
    views: tuple[str, ...] = ("crop",)
    flip: bool = False
    trim_margins: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, int) or self.image_size <= 0:
            raise ValueError(f"image_size must be a positive integer, got {self.image_size!r}")
        views = tuple(self.views)
        unknown = [v for v in views if v not in VIEWS]
        if unknown or not views:
            raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {list(views)}")
        object.__setattr__(self, "views", views)
        object.__setattr__(self, "normalization", as_normalization(self.normalization))

    @property
    def fitted_view(self) -> str:
        """The first single-square view (``crop`` or ``letterbox``; ``crop`` when there is none): one image per
        painting, as a feature extractor or a Grad-CAM overlay needs."""
        return next((v for v in self.views if v in FITS), "crop")

    def transform(self, views: Sequence[str] | None = None) -> Any:
        """The evaluation transform (of ``views`` instead of the spec's, when given): an albumentations-style
        callable, ``transform(image=rgb)["image"]``."""
        return views_transform(tuple(views or self.views), self.image_size, self.normalization, self.trim_margins)
