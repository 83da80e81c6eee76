"""A pre-resized on-disk copy of a dataset, so that decoding keeps up with the GPU."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from ..data.images import ImageLoadError, load_rgb
from ..data.table import ArtTable

log = logging.getLogger(__name__)


#: Bumped when decoding changes (2: EXIF orientation and ICC profiles applied), so old copies are not reused.
DECODE_VERSION = 2


def _cache_name(rel: str, shorter_side: int, src: Path) -> str:
    """Named by the source's path, size and modification time: a replaced source is cached again."""
    try:
        stat = src.stat()
        stamp = f"{stat.st_size}|{stat.st_mtime_ns}"
    except OSError:
        stamp = "missing"
    digest = hashlib.sha1(f"{rel}|{stamp}|v{DECODE_VERSION}".encode()).hexdigest()[:16]
    return f"{shorter_side}/{digest[:2]}/{digest}.jpg"


def build_resized_cache(
    table: ArtTable, cache_dir: str | Path, shorter_side: int = 256, quality: int = 93, progress: bool = True
) -> ArtTable:
    """Write each image with its shorter side scaled down to ``shorter_side`` (never up) as RGB JPEG.

    Built once: files already in the cache are reused. Unreadable images are left
    out with a warning. Returns the table pointing at the cache (``source_path``
    keeps the original path).
    """
    cache_dir = Path(cache_dir)
    keep, paths = [], []
    for i, (rel, src) in enumerate(
        tqdm(
            list(zip(table.frame["path"], table.image_paths(), strict=True)),
            desc=f"caching at {shorter_side}px",
            disable=not progress,
        )
    ):
        name = _cache_name(str(rel), shorter_side, src)
        dest = cache_dir / name
        if not dest.is_file():
            try:
                image = Image.fromarray(load_rgb(src, reduce_to=shorter_side))
            except ImageLoadError as exc:
                log.warning("not cached: %s", exc)
                continue
            scale = shorter_side / min(image.size)
            if scale < 1:
                image = image.resize(
                    (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BICUBIC
                )
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(".tmp")
            image.save(tmp, format="JPEG", quality=quality)
            tmp.replace(dest)
        keep.append(i)
        paths.append(name)
    cached = table.subset(np.asarray(keep, dtype=np.int64))
    cached.frame["source_path"] = cached.frame["path"]
    cached.frame["path"] = paths
    cached.root = cache_dir
    cached.name = f"{table.name}-cache{shorter_side}"
    return cached
