"""The one prediction step of every artlib classifier: class probabilities (and features) of images, averaged over
their views and mirror images. The Trainer's validation and ``predict``, and a saved
:class:`~artlib.inference.Classifier` answering one painting or a folder, all call it (``artlib.inference.predict``
is this module's :func:`predict`).

    preds = predict(model, loader, flip=True, embed=True)   # Predictions: probs, labels, indices, embeddings
    batch = predict_batch(model, views_of_one_image, views=3, flip=True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from ..models.contract import FeatureNet
from ..models.heads import embed_with
from ..utils.runtime import forward_in_parts, place_images, place_model
from .metrics import TopK


@dataclass
class Predictions:
    """Per-task class probabilities and labels (``-1`` = missing), rows in loader order."""

    probs: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    indices: np.ndarray | None = None
    embeddings: np.ndarray | None = None

    def metrics(self, top_k: TopK = (3, 5)) -> pd.DataFrame:
        from .metrics import metrics_table

        return metrics_table(self.labels, self.probs, top_k)


@dataclass
class BatchPrediction:
    """One batch's per-image ``probs`` ``{task: (B, C)}``, the ``logits`` a loss is measured on (log-probabilities
    when views were averaged) and the ``features`` ``(B, D)`` when asked for."""

    probs: dict[str, torch.Tensor]
    logits: dict[str, torch.Tensor]
    features: torch.Tensor | None = None


def split_batch(batch: tuple | list) -> tuple[torch.Tensor, dict[str, torch.Tensor], Any]:
    """``(images, labels, index or None)`` of a loader's batch."""
    return batch[0], batch[1], (batch[2] if len(batch) > 2 else None)


def _as_dict(out: Any) -> dict[str, torch.Tensor]:
    return {"label": out} if isinstance(out, torch.Tensor) else out


@torch.no_grad()
def predict_batch(
    model: nn.Module,
    images: torch.Tensor,
    views: int = 0,
    flip: bool = False,
    embed: bool = False,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> BatchPrediction:
    """Probabilities of ``images`` (``(B * views, C, H, W)`` when ``views`` > 0: each image's views in a row,
    averaged per image), with ``flip`` averaged with the mirror images, and with ``embed`` the features (the mean
    over the views). ``model``'s forward pass runs inside ``autocast()``."""
    with autocast():
        features: torch.Tensor | None = None
        if embed and isinstance(model, FeatureNet):  # features and logits from one pass
            pooled = forward_in_parts(model.forward_features, model, images)
            out, features = _as_dict(model.forward_head(pooled)), pooled
        else:
            out = _as_dict(forward_in_parts(model, model, images))
            features = embed_with(model, images) if embed else None
        mirrored = _as_dict(forward_in_parts(model, model, torch.flip(images, dims=[-1]))) if flip else None
    probs = {task: torch.softmax(logits.float(), 1) for task, logits in out.items()}
    if mirrored is not None:
        probs = {task: (p + torch.softmax(mirrored[task].float(), 1)) / 2 for task, p in probs.items()}
    if views:
        size = len(images) // views
        probs = {task: p.view(size, views, -1).mean(1) for task, p in probs.items()}
        out = {task: p.clamp_min(1e-12).log() for task, p in probs.items()}
        features = features.float().view(size, views, -1).mean(1) if features is not None else None
    return BatchPrediction(probs, out, features)


def loader_has_views(loader: DataLoader) -> bool:
    """Whether ``loader``'s transform stacks several views per image (an :class:`artlib.data.tta.MultiView`)."""
    from ..data.tta import MultiView

    return isinstance(getattr(loader.dataset, "transform", None), MultiView)


def iter_predictions(
    model: nn.Module,
    loader: DataLoader,
    flip: bool = False,
    embed: bool = False,
    multi_view: bool | None = None,
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> Iterator[tuple[BatchPrediction, dict[str, torch.Tensor], Any]]:
    """``(prediction, labels, index)`` per batch of ``loader`` (skipped batches of unreadable images left out), in
    eval mode without gradients. ``multi_view``: average over the views of ``(B, V, C, H, W)`` batches (None: when
    the loader's transform is a ``MultiView``; other 5-D batches, Siamese pairs, pass unchanged). ``prepare`` moves a
    batch to the model's device (default: the device of its first parameter, channels_last where faster)."""
    if multi_view is None:
        multi_view = loader_has_views(loader)
    if prepare is None:
        device = next(model.parameters()).device
        place_model(model, device)

        def prepare(x: torch.Tensor) -> torch.Tensor:
            return place_images(x, device)

    model.eval()
    with torch.no_grad():
        for batch in loader:
            if batch is None:
                continue
            images, labels, index = split_batch(batch)
            if multi_view and images.ndim != 5:
                raise ValueError(f"multi_view needs (B, V, C, H, W) batches, got {tuple(images.shape)}")
            views = images.shape[1] if multi_view else 0
            images = prepare(images.flatten(0, 1) if views else images)
            yield predict_batch(model, images, views, flip, embed, autocast), labels, index


def collect(batches: Iterator[tuple[BatchPrediction, dict[str, torch.Tensor], Any]]) -> Predictions:
    """One :class:`Predictions` of :func:`iter_predictions`' batches."""
    probs: dict[str, list] = {}
    labels: dict[str, list] = {}
    indices, embeddings = [], []
    for batch, target, index in batches:
        for task, p in batch.probs.items():
            probs.setdefault(task, []).append(p.cpu().numpy())
            if task in target:
                labels.setdefault(task, []).append(target[task].cpu().numpy())
        if index is not None:
            indices.append(np.asarray(index))
        if batch.features is not None:
            embeddings.append(batch.features.float().cpu().numpy())
    return Predictions(
        {t: np.concatenate(v) for t, v in probs.items()},
        {t: np.concatenate(v) for t, v in labels.items()},
        np.concatenate(indices) if indices else None,
        np.concatenate(embeddings) if embeddings else None,
    )


def predict(
    model: nn.Module,
    loader: DataLoader,
    flip: bool = False,
    embed: bool = False,
    multi_view: bool | None = None,
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> Predictions:
    """Class probabilities (and with ``embed`` the features) of every image ``loader`` yields, as
    :func:`iter_predictions` makes them."""
    return collect(iter_predictions(model, loader, flip, embed, multi_view, prepare, autocast))
