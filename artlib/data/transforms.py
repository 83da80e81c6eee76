"""Albumentations pipelines for training and evaluation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import albumentations as A
import cv2
import numpy as np
from albumentations.pytorch import ToTensorV2

from .margins import TrimMargins

if TYPE_CHECKING:
    import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

Normalization = tuple[tuple[float, float, float], tuple[float, float, float]]


def as_normalization(values: Sequence[Sequence[float]]) -> Normalization:
    """``(mean, std)`` of three numbers each from any nested sequence (a JSON list, a checkpoint's tuple); anything
    else (another shape, strings, a value that is not finite, a std that is not positive: pixels divided by it would
    be infinite or flipped) raises ``ValueError`` naming ``normalization``."""
    shape = f"normalization must be (mean, std) of three numbers each, got {values!r}"
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or len(values) != 2:
        raise ValueError(shape)
    parts = []
    for part in values:
        part = part.tolist() if isinstance(part, np.ndarray) else part
        if isinstance(part, str | bytes) or not isinstance(part, Sequence) or len(part) != 3:
            raise ValueError(shape)
        if not all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in part):
            raise ValueError(shape)
        parts.append(tuple(float(v) for v in part))
    mean, std = parts
    if not all(math.isfinite(v) for v in (*mean, *std)) or min(std) <= 0:
        raise ValueError(f"normalization must have finite means and positive finite stds, got {values!r}")
    return (mean[0], mean[1], mean[2]), (std[0], std[1], std[2])


IMAGENET: Normalization = (IMAGENET_MEAN, IMAGENET_STD)
"""torchvision / PyTorch-trained weights."""
INCEPTION: Normalization = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
"""TensorFlow-trained weights (EfficientNet-Lite, Inception): pixels scaled to [-1, 1]."""


#: How :func:`eval_transform` fits an image into its square: a centre crop or a padded letterbox.
FITS = ("crop", "letterbox")
EVAL_RESIZE_RATIO = 1.14  # evaluation resizes the shorter side to size * 1.14, then centre-crops size
PAD_FILL = (240, 240, 240)  # light grey, like the margins of mounted and photographed paintings
CANVAS_FILLS: tuple[tuple[int, int, int], ...] = (
    PAD_FILL,
    (255, 255, 255),
    (225, 215, 190),
    (160, 160, 160),
    (60, 50, 40),
)
"""Backgrounds a painting is photographed on: light grey and white pads, a beige mount, a grey floor, a dark stand."""


def to_tensor(normalization: Normalization = IMAGENET) -> list[A.BasicTransform]:
    """The tail every pipeline shares: normalise with the weights' (mean, std), HWC array -> CHW tensor."""
    return [A.Normalize(mean=normalization[0], std=normalization[1]), ToTensorV2()]


def letterbox(size: int, fill: tuple[int, int, int] = PAD_FILL, p: float = 1.0) -> A.Sequential:
    """Fit the whole image in a ``size`` square (longest side to ``size``, pad the rest with ``fill``).

    Unlike a centre crop it keeps all of a tall hanging scroll or a wide handscroll.
    """
    return A.Sequential(
        [A.LongestMaxSize(max_size=size), A.PadIfNeeded(size, size, border_mode=cv2.BORDER_CONSTANT, fill=fill)], p=p
    )


def zoom_out(
    size: int,
    scale: tuple[float, float] = (0.5, 1.0),
    fills: tuple[tuple[int, int, int], ...] = CANVAS_FILLS,
    p: float = 0.5,
) -> A.Sequential:
    """Shrink a ``size`` square image to ``scale`` of its side and pad it back to ``size`` at a random place,
    on a plain canvas of one of ``fills``; the whole painting stays in the frame.

    The opposite of a random resized crop: the model also sees paintings that fill only part of the
    frame (a fan on a grey pad, a scroll photographed on a floor, a handscroll letterboxed into a thin strip).
    """
    low, high = scale
    if not 0.0 < low <= high <= 1.0:
        raise ValueError(f"zoom-out scale must satisfy 0 < low <= high <= 1, got {scale}")
    if not fills:
        raise ValueError("zoom_out needs at least one canvas colour")
    return A.Sequential(
        [
            A.RandomScale(scale_limit=(low - 1.0, high - 1.0), interpolation=cv2.INTER_AREA, p=1.0),
            A.OneOf(
                [
                    A.PadIfNeeded(size, size, position="random", border_mode=cv2.BORDER_CONSTANT, fill=fill)
                    for fill in fills
                ],
                p=1.0,
            ),
            A.CenterCrop(size, size),  # RandomScale rounds: never let a side end one pixel over
        ],
        p=p,
    )


def _trim(trim: bool) -> list[A.BasicTransform]:
    return [TrimMargins()] if trim else []


def train_transform(
    size: int = 224,
    strength: float = 1.0,
    scale_min: float = 0.35,
    normalization: Normalization = IMAGENET,
    letterbox_p: float = 0.0,
    trim_margins: bool = False,
    zoom_out_p: float = 0.0,
    zoom_out_scale: tuple[float, float] = (0.5, 1.0),
) -> A.Compose:
    """Random resized crop, flip and mild colour/blur changes, scaled by ``strength`` in [0, 1].

    Colour is a cue for artist and style, so hue shifts stay small by default.
    ``normalization`` is the (mean, std) the model's weights were trained with
    (see :func:`artlib.models.input_normalization`). ``letterbox_p``: share of images first
    fitted into a padded square (see :func:`letterbox`), so the model also learns whole
    scrolls with margins, as a letterboxed evaluation shows them. ``trim_margins``: first crop
    uniform padding bands away (:class:`artlib.data.margins.TrimMargins`). ``zoom_out_p``: share of
    crops shrunk onto a plain canvas (:func:`zoom_out`; not scaled by ``strength``).
    """
    s = float(strength)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    if not 0.0 <= letterbox_p <= 1.0:
        raise ValueError(f"letterbox_p must be in [0, 1], got {letterbox_p}")
    if not 0.0 <= zoom_out_p <= 1.0:
        raise ValueError(f"zoom_out_p must be in [0, 1], got {zoom_out_p}")
    return A.Compose(
        [
            *_trim(trim_margins),
            letterbox(size, p=letterbox_p),
            A.RandomResizedCrop(size=(size, size), scale=(1.0 - (1.0 - scale_min) * s, 1.0), ratio=(3 / 4, 4 / 3)),
            *([zoom_out(size, zoom_out_scale, p=zoom_out_p)] if zoom_out_p > 0 else []),
            A.HorizontalFlip(p=0.5 * s),
            A.ColorJitter(brightness=0.2 * s, contrast=0.2 * s, saturation=0.2 * s, hue=0.02 * s, p=0.8 * s),
            A.GaussianBlur(blur_limit=(3, 5), p=0.1 * s),
            *to_tensor(normalization),
        ]
    )


def eval_transform(
    size: int = 224,
    resize_ratio: float = EVAL_RESIZE_RATIO,
    normalization: Normalization = IMAGENET,
    fit: str = "crop",
    trim_margins: bool = False,
) -> A.Compose:
    """``fit='crop'``: resize the shorter side to ``size * resize_ratio`` and centre-crop ``size``;
    ``fit='letterbox'``: the whole image in a padded ``size`` square. ``trim_margins``: first crop
    uniform padding bands away."""
    if fit not in FITS:
        raise ValueError(f"fit must be 'crop' or 'letterbox', got {fit!r}")
    geometry = (
        [letterbox(size)]
        if fit == "letterbox"
        else [A.SmallestMaxSize(max_size=int(round(size * resize_ratio))), A.CenterCrop(height=size, width=size)]
    )
    return A.Compose(
        [
            *_trim(trim_margins),
            *geometry,
            *to_tensor(normalization),
        ]
    )


def upsample_transform(strength: float = 1.0) -> A.Compose:
    """Label-preserving changes for writing new minority-class images to disk (no crop to a fixed size)."""
    s = float(strength)
    return A.Compose(
        [
            A.HorizontalFlip(p=0.5),
            A.Affine(scale=(1 - 0.1 * s, 1 + 0.1 * s), rotate=(-8 * s, 8 * s), p=0.7),
            A.ColorJitter(brightness=0.15 * s, contrast=0.15 * s, saturation=0.1 * s, hue=0.0, p=0.7),
        ]
    )


def denormalize(
    tensor: torch.Tensor, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD
) -> np.ndarray:
    """Undo :func:`A.Normalize` on a CxHxW tensor -> HxWxC float array in [0, 1] for plotting."""
    import torch

    mean_t = torch.tensor(mean).view(3, 1, 1)
    std_t = torch.tensor(std).view(3, 1, 1)
    return (tensor.detach().cpu() * std_t + mean_t).clamp(0, 1).permute(1, 2, 0).numpy()
