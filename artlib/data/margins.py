"""Uniform margins around a painting: find them and cut them off.

Crawled paintings often come padded to a square or photographed on a plain mount: a band of one
colour on two opposite sides. How much varies between collections (margins cover 17-19 % of
cnpaint's flower-and-bird and landscape test images on average, 9-11 % of its training images), so
a model can learn the padding instead of the painting, and the padding wastes input pixels.
:func:`content_box` finds the bands,
:class:`TrimMargins` crops them away inside an albumentations pipeline.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import albumentations as A
import cv2
import numpy as np
import pandas as pd

from .images import ImageLoadError, load_rgb

if TYPE_CHECKING:
    from .table import ArtTable

log = logging.getLogger(__name__)


def _uniform_run(lines: np.ndarray, tolerance: int, min_share: float) -> int:
    """How many leading lines of ``lines`` (N, L, C) match the colour of the first one."""
    colour = np.median(lines[0], axis=0)
    close = (np.abs(lines.astype(np.int16) - colour.astype(np.int16)).max(axis=-1) <= tolerance).mean(axis=1)
    below = np.flatnonzero(close < min_share)
    return int(below[0]) if below.size else len(lines)


def content_box(
    image: np.ndarray, tolerance: int = 16, min_share: float = 0.97, min_keep: float = 0.25, max_side: int = 1024
) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the part of ``image`` (HxWxC uint8) inside uniform margins.

    A margin line (row or column) is one where at least ``min_share`` of the pixels lie within
    ``tolerance`` (per channel, JPEG noise included) of the median colour of the outermost line on
    that side. An axis is left whole when trimming would keep less than ``min_keep`` of it (a near-
    uniform image, e.g. a sparse ink sketch on blank paper, is not cut down to a sliver).
    Images larger than ``max_side`` are searched at that size (area-averaged, so the box found errs
    towards keeping a few pixels of margin) and the box is scaled back.
    """
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"expected an HxWxC image, got shape {image.shape}")
    h, w = image.shape[:2]
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        top, bottom, left, right = content_box(
            small.reshape(*small.shape[:2], -1), tolerance, min_share, min_keep, max_side
        )
        sh, sw = small.shape[:2]
        return (top * h // sh, -(-bottom * h // sh), left * w // sw, -(-right * w // sw))
    top = _uniform_run(image, tolerance, min_share)
    bottom = h - _uniform_run(image[::-1], tolerance, min_share)
    left = _uniform_run(image.transpose(1, 0, 2), tolerance, min_share)
    right = w - _uniform_run(image.transpose(1, 0, 2)[::-1], tolerance, min_share)
    if bottom - top < min_keep * h:
        top, bottom = 0, h
    if right - left < min_keep * w:
        left, right = 0, w
    return top, bottom, left, right


def trim_margins(image: np.ndarray, **kwargs: Any) -> np.ndarray:
    """``image`` without its uniform margins (see :func:`content_box` for the keyword arguments)."""
    top, bottom, left, right = content_box(image, **kwargs)
    return image[top:bottom, left:right]


class TrimMargins(A.ImageOnlyTransform):
    """Albumentations step that crops uniform margins away (changes the image size; images only)."""

    def __init__(self, tolerance: int = 16, min_share: float = 0.97, min_keep: float = 0.25, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.tolerance, self.min_share, self.min_keep = tolerance, min_share, min_keep

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        return np.ascontiguousarray(
            trim_margins(img, tolerance=self.tolerance, min_share=self.min_share, min_keep=self.min_keep)
        )

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("tolerance", "min_share", "min_keep")


def margin_stats(table: ArtTable, sample: int | None = 2000, seed: int = 0) -> pd.DataFrame:
    """Per image (up to ``sample`` drawn at random): its label names, whether :func:`content_box`
    finds margins (``trimmed``), the share of its area inside them (``kept``), the share of a
    letterboxed square input the painting fills (``square_cover``: small for a fan on a wide pad or
    a thin handscroll) and the painting's long side over its short side (``content_aspect``).

    Compare splits or classes with it: padding that is more common in one of them is a shortcut a
    model can learn. Unreadable images are logged and left out.
    """
    paths = table.image_paths()
    idx = np.arange(len(paths))
    if sample is not None and len(idx) > sample:
        idx = np.sort(np.random.default_rng(seed).choice(idx, sample, replace=False))
    rows, skipped = [], 0
    for i in idx:
        try:
            image = load_rgb(paths[i])
        except ImageLoadError as err:
            skipped += 1
            log.warning("margin_stats skips %s", err)
            continue
        h, w = image.shape[:2]
        top, bottom, left, right = content_box(image)
        content_h, content_w = bottom - top, right - left
        rows.append(
            {
                "row": int(i),
                "trimmed": (top, bottom, left, right) != (0, h, 0, w),
                "kept": content_h * content_w / (h * w),
                "square_cover": content_h * content_w / max(h, w) ** 2,
                "content_aspect": max(content_h, content_w) / max(1, min(content_h, content_w)),
            }
        )
    if skipped:
        log.warning("margin_stats: %d of %d images unreadable", skipped, len(idx))
    stats = pd.DataFrame(rows, columns=["row", "trimmed", "kept", "square_cover", "content_aspect"])
    for task in table.tasks:
        stats[task] = table.label_names(task).to_numpy()[stats["row"].to_numpy()]
    return stats
