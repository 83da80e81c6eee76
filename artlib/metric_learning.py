"""Metric learning with pytorch-metric-learning: triplet loss, hard mining, m-per-class batches."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from pytorch_metric_learning import losses, miners, samplers
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from .data.dataset import ArtDataset, collate_skip_none
from .data.table import ArtTable
from .features import extract_features
from .models.embedding import EmbeddingNet  # noqa: F401  (re-exported: its historical home)
from .utils.runtime import resolve_device

log = logging.getLogger(__name__)


def m_per_class_loader(
    table: ArtTable,
    task: str,
    transform: Callable[..., dict],
    m: int = 4,
    batch_size: int = 32,
    length: int | None = None,
    num_workers: int = 0,
) -> DataLoader:
    """Batches of ``batch_size // m`` classes with ``m`` images each (MPerClassSampler).

    Checks what the sampler needs instead of failing later: labelled rows only,
    ``batch_size`` divisible by ``m``, enough classes to fill a batch, and an
    epoch length (``length``, default the table size) of at least one batch,
    rounded down to whole batches.
    """
    table = table.labelled(task)
    labels = table.frame[task].to_numpy()
    n_classes = len(np.unique(labels))
    if batch_size % m:
        raise ValueError(f"batch_size ({batch_size}) must be a multiple of m ({m})")
    if m * n_classes < batch_size:
        raise ValueError(f"{n_classes} classes x m={m} cannot fill a batch of {batch_size}; lower batch_size")
    length = (length or len(table)) // batch_size * batch_size
    if length < batch_size:
        raise ValueError(f"epoch length {length} is shorter than one batch of {batch_size}")
    sampler = samplers.MPerClassSampler(labels, m=m, batch_size=batch_size, length_before_new_iter=length)
    return DataLoader(
        ArtDataset(table, transform, on_error="skip"),
        batch_size=batch_size,
        sampler=sampler,
        drop_last=True,
        num_workers=num_workers,
        collate_fn=collate_skip_none,
    )


def embed_all(
    model: nn.Module, loader: DataLoader, task: str, device: str | torch.device = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of every sample and its ``task`` labels (see :func:`artlib.features.extract_features`)."""
    features, labels = extract_features(model, loader, device)
    return features, labels[task]


def retrieval_metrics(
    query: np.ndarray,
    query_labels: np.ndarray,
    reference: np.ndarray | None = None,
    reference_labels: np.ndarray | None = None,
) -> dict[str, float]:
    """precision@1, MAP@R and R-precision (pytorch-metric-learning's AccuracyCalculator).

    Without a reference set each query is searched among the other queries.
    """
    calc = AccuracyCalculator(
        include=("precision_at_1", "mean_average_precision_at_r", "r_precision"), k="max_bin_count"
    )
    q_mask = query_labels >= 0
    q, ql = torch.as_tensor(query[q_mask]), torch.as_tensor(query_labels[q_mask])
    if reference is None:
        out = calc.get_accuracy(q, ql, q, ql, ref_includes_query=True)
    elif reference_labels is None:
        raise ValueError("a reference set needs its reference_labels")
    else:
        r_mask = reference_labels >= 0
        out = calc.get_accuracy(
            q,
            ql,
            torch.as_tensor(reference[r_mask]),
            torch.as_tensor(reference_labels[r_mask]),
            ref_includes_query=False,
        )
    return {k: float(v) for k, v in out.items()}


def fit_metric(
    model: EmbeddingNet,
    train_loader: DataLoader,
    task: str,
    epochs: int = 10,
    lr: float = 1e-3,
    margin: float = 0.2,
    triplets: str = "hard",
    weight_decay: float = 1e-4,
    val_loader: DataLoader | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    on_epoch_end: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """Train with TripletMarginLoss + TripletMarginMiner; returns a history with val retrieval metrics.

    ``on_epoch_end(epoch, row)`` is called after each epoch (e.g. Optuna pruning).
    """
    device = resolve_device(device)
    model.to(device)
    loss_fn = losses.TripletMarginLoss(margin=margin)
    miner = miners.TripletMarginMiner(margin=margin, type_of_triplets=triplets)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs * len(train_loader), 1))
    history = []
    for epoch in range(epochs):
        model.train()
        total, batches, mined = 0.0, 0, 0
        for batch in tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False, disable=not progress):
            if batch is None:
                continue
            images, labels = batch[0].to(device), batch[1][task].to(device)
            emb = model.embed(images)
            pairs = miner(emb, labels)
            loss = loss_fn(emb, labels, pairs)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach())
            batches += 1
            mined += miner.num_triplets
        row = {"epoch": epoch + 1, "train_loss": total / max(batches, 1), "triplets_per_batch": mined / max(batches, 1)}
        if val_loader is not None:
            val_emb, val_y = embed_all(model, val_loader, task, device)
            row.update({f"val_{k}": v for k, v in retrieval_metrics(val_emb, val_y).items()})
        history.append(row)
        if on_epoch_end is not None:
            on_epoch_end(epoch, row)
    return pd.DataFrame(history)
