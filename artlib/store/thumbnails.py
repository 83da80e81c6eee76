"""Small JPEG copies of collection images, made once and kept under ``<outputs>/cache/thumbnails``.

Galleries and maps show dozens to thousands of paintings; decoding full images each time would be slow.
A thumbnail is keyed by the image's content (an edited file gets a new one, a moved one keeps its own).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from ..data.images import ImageLoadError, load_rgb
from ..features.cache import image_key
from ..utils.files import atomic_write

log = logging.getLogger(__name__)


def collection_thumbnails(outputs: str | Path, side: int = 160) -> Thumbnails:
    """The thumbnails of a run's outputs folder (``<outputs>/cache/thumbnails/<side>``)."""
    return Thumbnails(Path(outputs) / "cache" / "thumbnails", side)


class Thumbnails:
    """JPEG thumbnails whose longer side is ``side`` pixels, in ``folder/<side>/``."""

    def __init__(self, folder: str | Path, side: int = 160, quality: int = 85) -> None:
        if side < 8:
            raise ValueError(f"side must be at least 8 pixels, got {side}")
        self.folder = Path(folder) / str(side)
        self.side, self.quality = side, quality

    def path_for(self, image: str | Path) -> Path | None:
        """Where the thumbnail of ``image`` is kept (None for a file that is not there)."""
        key = image_key(image)
        return None if key is None else self.folder / f"{hashlib.sha1(key.encode()).hexdigest()}.jpg"

    def get(self, image: str | Path) -> bytes | None:
        """The thumbnail's JPEG bytes, made now if needed; None (logged) for a missing or unreadable image."""
        target = self.path_for(image)
        if target is None:
            log.warning("no thumbnail: image file not found: %s", image)
            return None
        if target.is_file():
            return target.read_bytes()
        try:
            rgb = load_rgb(image, reduce_to=self.side)
        except ImageLoadError as exc:
            log.warning("no thumbnail: %s", exc)
            return None
        picture = Image.fromarray(rgb)
        picture.thumbnail((self.side, self.side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=self.quality)
        data = buffer.getvalue()
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target, suffix=".jpg") as tmp:
            tmp.write_bytes(data)
        return data

    def build(self, images: Iterable[str | Path]) -> int:
        """Make the thumbnails that are missing; returns how many images have one."""
        return sum(self.get(image) is not None for image in images)
