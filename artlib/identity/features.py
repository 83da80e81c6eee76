"""Frozen-network features of every identity view of every painting: ``(paintings, views, dim)`` per table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch.nn as nn
from torch.utils.data import DataLoader

from ..data.dataset import ArtDataset, collate_skip_none
from ..data.table import ArtTable
from ..features.extract import extract_features
from ..models import create_backbone, input_normalization
from .views import check_views, view_transform


def view_features(
    backbone: nn.Module | str,
    tables: dict[str, ArtTable],
    views: Sequence[str],
    size: int,
    detail: int,
    cache: str | Path | None = None,
    batch_size: int = 64,
    num_workers: int = 0,
) -> dict[str, np.ndarray]:
    """Features of each view (:mod:`.views`) of every painting of each table, ``(n, len(views), dim)`` float32,
    one row per table row (cached per image and view with ``cache``). An unreadable image raises ``ValueError``
    (rows are indexed by position)."""
    views = check_views(views)
    model = create_backbone(backbone, pretrained=True) if isinstance(backbone, str) else backbone
    normalization = input_normalization(model)
    out: dict[str, np.ndarray] = {}
    for name, table in tables.items():
        if not len(table):
            out[name] = np.zeros((0, len(views), 0), dtype=np.float32)
            continue
        per_view = []
        for view in views:
            dataset = ArtDataset(table, view_transform(view, size, detail, normalization))
            loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=collate_skip_none)
            feats, _ = extract_features(model, loader, cache=cache)
            if len(feats) != len(table):
                raise ValueError(f"{len(table) - len(feats)} of {len(table)} images of {name!r} could not be read")
            per_view.append(feats.astype(np.float32))
        out[name] = np.stack(per_view, axis=1)
    return out


def image_view_features(
    network: nn.Module, image: np.ndarray, views: Sequence[str], size: int, detail: int
) -> np.ndarray:
    """``(1, views, dim)`` features of one decoded RGB image (an upload), made as :func:`view_features` makes a
    table's."""
    import torch

    from ..models.heads import embed_with

    normalization = input_normalization(network)
    network.eval()
    with torch.no_grad():
        rows = [
            embed_with(network, view_transform(v, size, detail, normalization)(image=image)["image"][None])
            for v in check_views(views)
        ]
    return torch.cat(rows).float().numpy()[None]
