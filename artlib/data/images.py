"""Robust image loading: every image comes back as 8-bit RGB or raises a clear error."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

log = logging.getLogger(__name__)

#: Largest image (in pixels) that is decoded; bigger files raise :class:`ImageLoadError`.
#: 2x Pillow's default; real WikiArt scans reach ~90 MP.
MAX_IMAGE_PIXELS = 180_000_000

# A truncated JPEG must fail loudly, never decode into a grey-padded image.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageLoadError(RuntimeError):
    """An image file is missing, unreadable, truncated or too large."""


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode (CMYK, L, LA, P, RGBA, I;16, I, F) to RGB."""
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr8 = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    return img.convert("RGB")


def load_rgb(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Load ``path`` as an ``HxWx3`` uint8 RGB array.

    Raises :class:`ImageLoadError` for a missing file, an undecodable or truncated
    file, or one with more than ``max_pixels`` pixels (decompression bomb).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageLoadError(f"image file not found: {path}")
    try:
        with Image.open(path) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise ImageLoadError(
                    f"image too large: {path} is {w}x{h} = {w * h:,} px > max_pixels={max_pixels:,}"
                )
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img.load()
            rgb = _to_rgb(img)
            return np.asarray(rgb, dtype=np.uint8).copy()
    except ImageLoadError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(f"cannot decode image {path}: {exc}") from exc


def image_size(path: str | Path) -> tuple[int, int]:
    """Return ``(width, height)`` from the header alone, without decoding pixels."""
    try:
        with Image.open(path) as img:
            return img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageLoadError(f"cannot read image header {path}: {exc}") from exc
