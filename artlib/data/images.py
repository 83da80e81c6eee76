"""Robust image loading: every image comes back as 8-bit sRGB, upright, or raises a clear error."""

from __future__ import annotations

import functools
import io
import logging
import stat
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

#: Largest image (in pixels) that is decoded; bigger files raise :class:`ImageLoadError`.
#: 2x Pillow's default; real WikiArt scans reach ~90 MP.
MAX_IMAGE_PIXELS = 180_000_000

# A truncated JPEG must fail loudly, never decode into a grey-padded image.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageLoadError(RuntimeError):
    """An image file is missing, unreadable, truncated or too large."""


#: The smallest image a model is asked about: below it there is nothing to see (a 1x1 px image got 0.975).
MIN_ANSWER_SIDE = 32


def check_answerable(image: np.ndarray, name: str = "the image") -> np.ndarray:
    """``image`` when both sides reach :data:`MIN_ANSWER_SIDE`, else :class:`ImageLoadError` saying so."""
    h, w = image.shape[:2]
    if min(h, w) < MIN_ANSWER_SIDE:
        raise ImageLoadError(
            f"{name} is {w}x{h} px: too small to say what it shows (at least {MIN_ANSWER_SIDE} px a side)"
        )
    return image


#: EXIF orientation values that swap width and height (90- and 270-degree rotations).
_TRANSPOSED = {5, 6, 7, 8}
_ICC_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB"}
_PERCEPTUAL: Any = getattr(getattr(ImageCms, "Intent", None), "PERCEPTUAL", 0)  # the enum appeared in Pillow 10


@functools.lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    """A cached LittleCMS transform from an embedded ICC profile to sRGB (built once per profile)."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(
        source, ImageCms.createProfile("sRGB"), mode, _ICC_MODES[mode], renderingIntent=_PERCEPTUAL
    )


def _to_srgb(img: Image.Image, path: Path | str) -> Image.Image:
    """Convert pixels tagged with an embedded ICC profile (Adobe RGB, ProPhoto, CMYK press...) to sRGB.

    Without a profile the pixels are taken as sRGB. A profile that LittleCMS cannot read or that does
    not fit the image's mode is logged and ignored (the pixels are then used as stored).
    """
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in _ICC_MODES:
        return img
    try:
        converted = ImageCms.applyTransform(img, _srgb_transform(bytes(icc), img.mode))
        return converted if converted is not None else img
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        log.warning("ignoring the ICC profile of %s (%s): colours used as stored", path, exc)
        return img


def _upright(img: Image.Image, path: Path | str) -> Image.Image:
    """Apply the EXIF orientation tag (camera photographs of paintings); malformed EXIF is logged and ignored."""
    try:
        return ImageOps.exif_transpose(img)
    except (OSError, ValueError, TypeError, KeyError, SyntaxError) as exc:
        log.warning("ignoring the EXIF orientation of %s (%s)", path, exc)
        return img


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except (OSError, ValueError, TypeError, SyntaxError):
        return 1


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
        if img.mode == "F" and np.isfinite(arr).all() and arr.min() >= 0 and arr.max() <= 1.0:
            hi = 1.0  # floating-point scans stored in [0, 1] (scientific/museum TIFFs)
        else:
            hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr8 = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    return img.convert("RGB")


def load_rgb(
    path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS, color_manage: bool = True, reduce_to: int | None = None
) -> np.ndarray:
    """Load ``path`` as an ``HxWx3`` uint8 RGB array, turned upright by its EXIF orientation.

    With ``color_manage`` (default) pixels tagged with an embedded ICC profile are converted to sRGB,
    as a browser shows them (museum scans often carry Adobe RGB or CMYK press profiles).
    ``reduce_to``: a JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, several times
    faster on large scans) as long as its shorter side stays at least ``reduce_to``; other formats
    and smaller images decode at full size.
    Raises :class:`ImageLoadError` for a missing file, an undecodable or truncated
    file, or one with more than ``max_pixels`` pixels (decompression bomb).
    """
    path = Path(path)
    try:
        problem = file_problem(path)
    except OSError as exc:  # a name too long for the file system, a path it cannot stat
        raise ImageLoadError(
            f"cannot open {str(path)[:120]}{'...' if len(str(path)) > 120 else ''}: "
            f"{exc.strerror or exc} ({len(path.name)}-character file name); rename the file"
        ) from exc
    if problem:
        raise ImageLoadError(problem)
    return _decode(path, path, max_pixels, color_manage, reduce_to)


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be an image file, found without opening it (opening a FIFO would wait forever):
    ``"image file not found: ..."``, ``"not a regular file: ..."``, or None for a regular file. Other
    ``OSError`` (a name too long) propagate."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return f"image file not found: {path}"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return f"not a regular file: {path} is {kind}; an image must be a plain file"


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def decode_rgb(
    data: bytes, name: str = "the uploaded file", max_pixels: int = MAX_IMAGE_PIXELS, color_manage: bool = True
) -> np.ndarray:
    """:func:`load_rgb` for the bytes of an image file (an upload): ``HxWx3`` uint8 sRGB, upright.

    Empty, non-image, truncated and too-large data raise :class:`ImageLoadError` naming ``name``.
    """
    if not data:
        raise ImageLoadError(f"{name} is empty (0 bytes)")
    return _decode(io.BytesIO(bytes(data)), name, max_pixels, color_manage, None)


def _decode(
    source: Path | io.BytesIO, name: str | Path, max_pixels: int, color_manage: bool, reduce_to: int | None
) -> np.ndarray:
    """Decode ``source`` (a path or a binary file object); errors name ``name``."""
    try:
        with Image.open(source) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise ImageLoadError(f"image too large: {name} is {w}x{h} = {w * h:,} px > max_pixels={max_pixels:,}")
            if reduce_to and img.format == "JPEG" and min(w, h) >= 2 * reduce_to:
                img.draft(None, (max(1, w * reduce_to // min(w, h)), max(1, h * reduce_to // min(w, h))))
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img.load()
            picture = _upright(img, name)  # before the ICC transform, whose output carries no EXIF
            if color_manage:
                picture = _to_srgb(picture, name)
            rgb = _to_rgb(picture)
            return np.asarray(rgb, dtype=np.uint8).copy()
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow refuses to open above 2x its own limit
        raise ImageLoadError(f"image too large: {name}: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(f"cannot decode image {name}: {exc}") from exc


def image_size(path: str | Path) -> tuple[int, int]:
    """Return ``(width, height)`` as displayed (EXIF orientation applied), from the header alone."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the caller compares the size
            with Image.open(path) as img:
                w, h = img.size
                return (h, w) if _orientation(img) in _TRANSPOSED else (w, h)
    except Image.DecompressionBombError as exc:  # Pillow refuses to open above 2x its own limit
        raise ImageLoadError(f"image too large: {path}: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"cannot read image header {path}: {exc}") from exc
