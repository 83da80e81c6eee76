"""Frozen-network features of every identity view of every painting: ``(paintings, views, dim)`` per table."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset

from ..data.dataset import ArtDataset, collate_skip_none
from ..data.table import ArtTable
from ..features.cache import FeatureCache, fingerprint, image_key
from ..models import create_backbone, input_normalization
from ..models.heads import embed_with
from ..utils.runtime import place_images, place_model, resolve_device
from .views import check_views, view_transform

log = logging.getLogger(__name__)


class _EveryView:
    """Every view of one decoded painting, called as an albumentations pipeline is (``(image=arr)["image"]``: a
    tuple of tensors), so that :class:`~artlib.data.dataset.ArtDataset` decodes each painting once for all."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: np.ndarray) -> dict[str, tuple]:
        return {"image": tuple(t(image=image)["image"] for t in self.transforms)}


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
    one row per table row. Each painting is decoded once for all its views; with ``cache`` its features are kept
    per image and view (:mod:`artlib.features.cache`: the key :func:`~artlib.features.extract.extract_features`
    gives one view alone). An unreadable image raises ``ValueError`` (rows are indexed by position)."""
    views = check_views(views)
    model = create_backbone(backbone, pretrained=True) if isinstance(backbone, str) else backbone
    device = resolve_device("auto")
    model = place_model(model, device).eval()
    transforms = [view_transform(v, size, detail, input_normalization(model)) for v in views]
    out: dict[str, np.ndarray] = {}
    for name, table in tables.items():
        if not len(table):
            out[name] = np.zeros((0, len(views), 0), dtype=np.float32)
            continue
        dataset = ArtDataset(table, _EveryView(transforms), on_error="skip", return_index=True)
        keys = [image_key(p) for p in dataset.paths]
        stores = [_ViewStore(model, t, dataset.decode_side, cache) for t in transforms]
        # (a file that is not there has no key: it is counted as unread below)
        missing = [i for i, k in enumerate(keys) if k is not None and any(k not in store for store in stores)]
        if missing:
            loader = DataLoader(
                Subset(dataset, missing), batch_size, num_workers=num_workers, collate_fn=collate_skip_none
            )
            with torch.no_grad():
                for batch in loader:  # (views, labels, rows); None: every painting of it unreadable
                    if batch is None:
                        continue
                    named = [str(keys[r]) for r in batch[2].tolist()]
                    for store, images in zip(stores, batch[0], strict=True):
                        store.add(named, embed_with(model, place_images(images, device)))
            for store in stores:
                store.save()
        log.info("identity views: %d of %d paintings of %r embedded, the rest cached", len(missing), len(table), name)
        unread = [i for i, k in enumerate(keys) if k is None or k not in stores[0]]
        if unread:
            raise ValueError(f"{len(unread)} of {len(table)} images of {name!r} could not be read")
        found = [str(k) for k in keys]
        out[name] = np.stack([store.get(found) for store in stores], axis=1).astype(np.float32)
    return out


class _ViewStore:
    """One view's features: a :class:`~artlib.features.cache.FeatureCache` with ``cache``, else kept in memory."""

    def __init__(self, model: nn.Module, transform: Any, decode_side: int | None, cache: str | Path | None) -> None:
        self.cache = None if cache is None else FeatureCache(cache, fingerprint(model, transform, decode_side))
        self.rows: dict[str, np.ndarray] = {} if self.cache is None else self.cache.rows

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def add(self, keys: list[str], features: torch.Tensor) -> None:
        self.rows.update(zip(keys, features.float().cpu().numpy(), strict=True))

    def get(self, keys: list[str]) -> np.ndarray:
        return np.stack([self.rows[k] for k in keys])

    def save(self) -> None:
        if self.cache is not None:
            self.cache.save()


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
