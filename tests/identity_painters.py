"""Synthetic painters for the identity tests: tables in the protocol's shape and clustered view features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from artlib.data.table import ArtTable


def painter_tables(works: dict[str, int], known: list[str], seed: int = 0) -> dict[str, ArtTable]:
    """Train / val / test tables of paintings by ``works`` painters (slug -> paintings), split 70/10/20 per
    painting; ``known`` painters (a subset, written as class names ``First_Last``) are the artist task."""
    rng = np.random.default_rng(seed)
    classes = [k.replace("-", "_").title() for k in known]
    rows = []
    for slug, n in works.items():
        for i in range(n):
            code = known.index(slug) if slug in known and rng.random() > 0.1 else -1  # some labels left out
            rows.append(
                {
                    "path": f"{slug}_work-{i}.jpg",
                    "artist_slug": slug,
                    "artist": code,
                    "split": rng.choice(["train", "val", "test"], p=[0.7, 0.1, 0.2]),
                }
            )
    frame = pd.DataFrame(rows)
    return {
        s: ArtTable(frame[frame["split"] == s].drop(columns="split").reset_index(drop=True), {"artist": classes})
        for s in ("train", "val", "test")
    }


def clustered_views(painters: np.ndarray, dim: int = 32, views: int = 3, seed: int = 0) -> np.ndarray:
    """``(n, views, dim)`` features: each painter a random centre, each painting and view a noisy copy of it."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (int(painters.max()) + 1, dim))
    paintings = centres[painters] + rng.normal(0, 0.6, (len(painters), dim))
    return (paintings[:, None, :] + rng.normal(0, 0.3, (len(painters), views, dim))).astype(np.float32)
