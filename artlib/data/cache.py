"""A pre-resized on-disk copy of a dataset, so that decoding keeps up with the GPU."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from .images import ImageLoadError, load_rgb
from .table import ArtTable

log = logging.getLogger(__name__)


def _cache_name(rel: str, shorter_side: int) -> str:
    digest = hashlib.sha1(rel.encode("utf-8")).hexdigest()[:16]
    return f"{shorter_side}/{digest[:2]}/{digest}.jpg"


def build_resized_cache(table: ArtTable, cache_dir: str | Path, shorter_side: int = 256, quality: int = 93,
                        progress: bool = True) -> ArtTable:
    """Write each image with its shorter side scaled down to ``shorter_side`` (never up) as RGB JPEG.

    Built once: files already in the cache are reused. Unreadable images are left
    out with a warning. Returns the table pointing at the cache (``source_path``
    keeps the original path).
    """
    cache_dir = Path(cache_dir)
    keep, paths = [], []
    for i, (rel, src) in enumerate(tqdm(list(zip(table.frame["path"], table.image_paths())),
                                        desc=f"caching at {shorter_side}px", disable=not progress)):
        name = _cache_name(str(rel), shorter_side)
        dest = cache_dir / name
        if not dest.is_file():
            try:
                image = Image.fromarray(load_rgb(src))
            except ImageLoadError as exc:
                log.warning("not cached: %s", exc)
                continue
            scale = shorter_side / min(image.size)
            if scale < 1:
                image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                     Image.BICUBIC)
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
