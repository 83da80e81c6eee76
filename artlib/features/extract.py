"""Features of images (``model.embed``), one row per image.

One way in, by what you hold: tables of paintings -> :func:`table_features` (one row per table row, as at test
time, a registered backbone name or any artlib model, cached per image); a loader you built ->
:func:`extract_features` (what :func:`table_features` runs); image files outside any table (a query) ->
:func:`embed_images`. ``Trainer.predict(embed=True)`` gives the features with the predictions of the same pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset, SequentialSampler, Subset

from ..data.dataset import ArtDataset
from ..data.table import ArtTable
from ..data.tta import MultiView
from ..models.heads import embed_with
from ..utils.runtime import place_images, place_model, resolve_device
from .cache import FeatureCache, fingerprint, image_key

log = logging.getLogger(__name__)


@torch.no_grad()
def _embed_loader(
    model: nn.Module, loader: DataLoader, device: torch.device
) -> tuple[list[np.ndarray], dict[str, list[np.ndarray]], list[np.ndarray]]:
    feats: list[np.ndarray] = []
    labels: dict[str, list[np.ndarray]] = {}
    indices: list[np.ndarray] = []
    for batch in loader:
        if batch is None:
            continue
        feats.append(embed_with(model, place_images(batch[0], device)).float().cpu().numpy())
        for task, y in batch[1].items():
            labels.setdefault(task, []).append(y.numpy())
        if len(batch) > 2:
            indices.append(np.asarray(batch[2]))
    return feats, labels, indices


class _Indexed(Dataset):
    """``(image, labels, index)`` of an :class:`ArtDataset` (``None`` for a skipped image)."""

    def __init__(self, dataset: ArtDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> Any:
        item = self.dataset[idx]
        return None if item is None else (item[0], item[1], idx)


def extract_features(
    model: nn.Module, loader: DataLoader, device: str | torch.device = "auto", cache: str | Path | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``model.embed`` features of every sample and its labels (``-1`` = missing), in loader order.

    ``cache`` (a folder): keep the features per image on disk (:mod:`artlib.features.cache`) and
    embed only the images not seen before with the same weights and transform. Needs an unshuffled
    loader over an :class:`~artlib.data.ArtDataset` with a deterministic (evaluation) transform.
    Unreadable images are left out, as without a cache.
    """
    device = resolve_device(device)
    model = place_model(model, device).eval()
    if cache is None:
        feats, labels, _ = _embed_loader(model, loader, device)
        if not feats:
            raise ValueError("the loader yielded no samples")
        return np.concatenate(feats), {t: np.concatenate(v) for t, v in labels.items()}
    dataset = loader.dataset
    if not isinstance(dataset, ArtDataset) or isinstance(dataset.transform, MultiView):
        raise TypeError("extract_features(cache=...) needs a loader over an ArtDataset with one view per image")
    if not isinstance(loader.sampler, SequentialSampler):
        raise ValueError("extract_features(cache=...) needs an unshuffled loader (an evaluation split)")
    store = FeatureCache(cache, fingerprint(model, dataset.transform, dataset.decode_side))
    keys = [image_key(p) for p in dataset.paths]
    missing = [i for i, k in enumerate(keys) if k is None or k not in store]  # absent files: the dataset decides
    if missing:
        sub = DataLoader(
            Subset(_Indexed(dataset), missing),
            batch_size=loader.batch_size,
            num_workers=loader.num_workers,
            collate_fn=loader.collate_fn,
        )
        feats, _, indices = _embed_loader(model, sub, device)
        if feats:
            rows = np.concatenate(indices)
            store.add([keys[i] for i in rows], np.concatenate(feats))
            store.save()
    found = np.array([i for i, k in enumerate(keys) if k is not None and k in store], dtype=int)
    log.info("features: %d of %d images embedded, the rest from %s", len(missing), len(keys), store.path)
    if len(found) == 0:
        raise ValueError("the loader yielded no samples")
    return store.get([keys[i] for i in found]), {t: v[found] for t, v in dataset.labels.items()}


def table_features(
    model: nn.Module | str,
    tables: dict[str, ArtTable],
    image_size: int,
    num_workers: int = 0,
    cache: str | Path | None = None,
    batch_size: int = 64,
    device: str | torch.device = "auto",
) -> dict[str, np.ndarray]:
    """``model.embed`` features of every image of each table, one row per table row, as at test time
    (evaluation transform, the model's input normalisation, no shuffling; ``cache``: see
    :func:`extract_features`). An image that cannot be read raises ``ValueError``: rows indexed by
    position (pairs, labels) would otherwise be shifted. Tables checked by notebook 00 can all be read.
    """
    from ..data.loaders import make_loaders
    from ..models import create_backbone, input_normalization

    if isinstance(model, str):  # a registered backbone with its pretrained weights, frozen
        model = create_backbone(model, pretrained=True)
    loaders = make_loaders(  # every table as at test time, "train" included
        tables, image_size, batch_size, num_workers, train=(), normalization=input_normalization(model)
    )
    out = {}
    for name in tables:
        feats, _ = extract_features(model, loaders[name], device=device, cache=cache)
        if len(feats) != len(tables[name]):
            raise ValueError(
                f"{len(tables[name]) - len(feats)} of {len(tables[name])} images of {name!r} could not "
                "be read: check the table with verify_images (notebook 00) first"
            )
        out[name] = feats
    return out


def standardized_features(
    model: nn.Module | str,
    tables: dict[str, ArtTable],
    image_size: int,
    num_workers: int = 0,
    cache: str | Path | None = None,
    fit_on: str = "train",
) -> tuple[dict[str, np.ndarray], StandardScaler]:
    """:func:`table_features` of every table, standardised by a ``StandardScaler`` fitted on ``fit_on``'s;
    returns them (float32) and the scaler (a head trained on them needs it to score raw features)."""
    feats = table_features(model, tables, image_size, num_workers, cache=cache)
    scaler = StandardScaler().fit(feats[fit_on])
    return {k: scaler.transform(v).astype(np.float32) for k, v in feats.items()}, scaler


@torch.no_grad()
def embed_images(
    model: nn.Module, paths: Sequence[str | Path], transform: Callable[..., dict], device: str | torch.device = "auto"
) -> np.ndarray:
    """``model.embed`` of image files (e.g. a query painting); an unreadable file raises ImageLoadError."""
    from ..data.images import load_rgb

    device = resolve_device(device)
    model = place_model(model, device).eval()
    batch = torch.stack([transform(image=load_rgb(p))["image"] for p in paths])
    return embed_with(model, place_images(batch, device)).float().cpu().numpy()
