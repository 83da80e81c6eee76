"""Made-up images that are not paintings, to check that a model says so instead of naming a class.

    images = non_paintings(per_kind=20, seed=1)     # {"rendered text": [HxWx3 uint8, ...], "noise": [...], ...}

Each kind is drawn from a seeded generator (draw validation and test sets with different seeds): a typed page,
uniform and smoothed noise, flat colours and two-colour gradients, screenshots of a made-up desktop window, and
tiny images (1 to 31 px a side, below :data:`artlib.data.images.MIN_ANSWER_SIDE`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

WORDS = (
    "the of and to in is that for it as with was on be by this are from at or an which have not but all were "
    "invoice total page section figure table report data result method model value number account please note"
).split()


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def _sentence(rng: np.random.Generator, words: int) -> str:
    return " ".join(rng.choice(WORDS, size=words))


def rendered_text(rng: np.random.Generator) -> np.ndarray:
    """A typed page: dark lines of words on a light background, a heading, margins."""
    width, height = int(rng.integers(400, 900)), int(rng.integers(500, 1100))
    paper = tuple(int(v) for v in rng.integers(225, 256, size=3))
    page = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(page)
    size = int(rng.integers(12, 24))
    y = int(rng.integers(20, 60))
    draw.text((40, y), _sentence(rng, 3).title(), fill=(0, 0, 0), font=_font(size * 2))
    y += size * 3
    while y < height - 40:
        draw.text((40, y), _sentence(rng, max(3, (width - 80) // (size * 4))), fill=(20, 20, 20), font=_font(size))
        y += int(size * 1.5)
    return np.asarray(page)


def noise(rng: np.random.Generator) -> np.ndarray:
    """Uniform RGB noise, smoothed by a Gaussian of a random width in half of the draws."""
    side = int(rng.integers(128, 640))
    image = Image.fromarray(rng.integers(0, 256, size=(side, side, 3), dtype=np.uint8))
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(1, 8))))
    return np.asarray(image)


def flat_colour(rng: np.random.Generator) -> np.ndarray:
    """One colour, or a gradient between two, over the whole image."""
    height, width = (int(v) for v in rng.integers(128, 640, size=2))
    start, end = rng.integers(0, 256, size=(2, 3))
    if rng.random() < 0.5:
        end = start
    ramp = np.linspace(0, 1, width)[None, :, None]
    return np.broadcast_to(start + (end - start) * ramp, (height, width, 3)).astype(np.uint8)


def screenshot(rng: np.random.Generator) -> np.ndarray:
    """A made-up desktop window: a title bar, a side bar, buttons, text lines and an input field."""
    width, height = int(rng.integers(640, 1280)), int(rng.integers(400, 800))
    dark = rng.random() < 0.3
    background = (32, 33, 36) if dark else (246, 246, 248)
    ink = (230, 230, 230) if dark else (30, 30, 30)
    accent = tuple(int(v) for v in rng.integers(0, 200, size=3))
    page = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, width, 32), fill=accent)
    draw.text((12, 8), _sentence(rng, 3), fill=(255, 255, 255), font=_font(14))
    side = int(rng.integers(120, 220))
    draw.rectangle((0, 32, side, height), fill=(45, 46, 50) if dark else (228, 229, 233))
    for row in range(8):
        draw.text((12, 48 + row * 28), _sentence(rng, 2), fill=ink, font=_font(13))
    y = 56
    while y < height - 80:
        draw.text((side + 24, y), _sentence(rng, int(rng.integers(4, 12))), fill=ink, font=_font(14))
        y += 24
        if rng.random() < 0.15:
            draw.rounded_rectangle((side + 24, y, side + 144, y + 30), radius=6, fill=accent)
            y += 44
    draw.rectangle((side + 24, height - 60, width - 24, height - 30), outline=ink, width=1)
    return np.asarray(page)


def tiny(rng: np.random.Generator) -> np.ndarray:
    """An image of 1 to 31 px a side (a thumbnail too small to see anything in)."""
    height, width = (int(v) for v in rng.integers(1, 32, size=2))
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


#: every kind of made-up non-painting, by the name reports give it
KINDS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "rendered text": rendered_text,
    "noise": noise,
    "flat colour": flat_colour,
    "screenshot": screenshot,
    "tiny": tiny,
}


def non_paintings(per_kind: int = 20, seed: int = 0, kinds: tuple[str, ...] | None = None) -> dict[str, list]:
    """``per_kind`` images of each kind (all of :data:`KINDS` unless ``kinds``), from one seeded generator."""
    unknown = sorted(set(kinds or ()) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; choose from {list(KINDS)}")
    rng = np.random.default_rng(seed)
    return {kind: [KINDS[kind](rng) for _ in range(per_kind)] for kind in kinds or tuple(KINDS)}
