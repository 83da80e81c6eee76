"""Offline up-sampling: write augmented copies of minority-class images to disk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm.auto import tqdm

from .images import load_rgb
from .table import ArtTable
from .transforms import upsample_transform

log = logging.getLogger(__name__)


def upsample_minority(
    table: ArtTable,
    task: str,
    out_dir: str | Path,
    target: int | None = None,
    transform: Callable[..., dict] | None = None,
    seed: int = 0,
    quality: int = 92,
) -> ArtTable:
    """Top up every class of ``task`` to ``target`` images (default: the largest class).

    New images are augmented copies of random members of the class, written as
    JPEG under ``out_dir/<class>/`` and returned, with the originals, as one
    table (new rows have absolute paths and an ``augmented_from`` column).
    Only the training split should be up-sampled.
    """
    out_dir = Path(out_dir)
    transform = transform or upsample_transform()
    counts = table.counts(task)
    target = int(target or counts.max())
    rng = np.random.default_rng(seed)
    if hasattr(transform, "set_random_seed"):
        transform.set_random_seed(seed)
    paths = table.image_paths()
    codes = table.frame[task].to_numpy()
    new_rows = []
    todo = {c: target - n for c, n in enumerate(counts.to_numpy()) if 0 < n < target}
    with tqdm(total=sum(todo.values()), desc=f"up-sampling {task}", disable=not todo) as bar:
        for code, missing in todo.items():
            members = np.flatnonzero(codes == code)
            class_dir = out_dir / table.classes[task][code]
            class_dir.mkdir(parents=True, exist_ok=True)
            for k, src in enumerate(rng.choice(members, size=missing, replace=True)):
                image = transform(image=load_rgb(paths[src]))["image"]
                dest = class_dir / f"aug{k:05d}_{Path(paths[src]).stem}.jpg"
                Image.fromarray(image).save(dest, quality=quality)
                row = table.frame.iloc[src].to_dict()
                row.update(path=str(dest.resolve()), augmented_from=str(table.frame["path"].iloc[src]))
                new_rows.append(row)
                bar.update()
    frame = table.frame.assign(augmented_from="")
    if new_rows:
        frame = pd.concat([frame, pd.DataFrame(new_rows)], ignore_index=True)
    log.info("up-sampled %s: %d new images, every class now >= %d", task, len(new_rows), target)
    out = ArtTable(frame, dict(table.classes), table.root, f"{table.name}-upsampled")
    assert (out.counts(task)[counts > 0] >= target).all()
    return out


def most_skewed_task(table: ArtTable) -> str:
    """The task whose largest class outnumbers its smallest most (the one upsampling helps most)."""
    return max(table.tasks, key=lambda task: table.counts(task).max() / max(table.counts(task).min(), 1))
