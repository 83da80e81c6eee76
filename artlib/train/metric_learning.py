"""Metric learning with pytorch-metric-learning: triplet loss, hard mining, m-per-class batches."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from pytorch_metric_learning import losses, miners, samplers
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from torch.utils.data import DataLoader

from ..data.dataset import ArtDataset, collate_skip_none
from ..data.table import ArtTable
from ..errors import NotEnoughDataError
from ..features.extract import extract_features
from ..models.embedding import EmbeddingNet  # noqa: F401  (re-exported: its historical home)
from ..models.heads import embed_with

if TYPE_CHECKING:
    from . import TrainConfig, Trainer

log = logging.getLogger(__name__)


def metric_batch(n_labelled: int, n_classes: int, m: int, max_classes: int = 8) -> tuple[int, int]:
    """``(m, batch_size)`` for an m-per-class batch of up to ``max_classes`` classes that ``n_labelled``
    images fill at least once.

    ``m`` shrinks (to 2 at least) when the split is too small; fewer than 2 classes x 2 images raise
    :class:`~artlib.errors.NotEnoughDataError`.
    """
    for m_try in range(m, 1, -1):
        classes = min(n_classes, max_classes, n_labelled // m_try)
        if classes >= 2:
            return m_try, m_try * classes
    raise NotEnoughDataError(
        f"{n_labelled} labelled training image(s) in {n_classes} class(es): metric learning needs "
        "batches of at least 2 classes x 2 images"
    )


def m_per_class_loader(
    table: ArtTable,
    task: str,
    transform: Callable[..., dict],
    m: int = 4,
    batch_size: int = 32,
    length: int | None = None,
    num_workers: int = 0,
) -> DataLoader:
    """Batches of ``m`` images from each of ``batch_size // m`` classes (MPerClassSampler), sized to the data.

    ``m`` and ``batch_size`` are upper bounds: a split with fewer classes, or too few images for one batch,
    gets fewer classes per batch and then a smaller ``m`` (:func:`metric_batch`; logged). Labelled rows only;
    ``batch_size`` must be a multiple of ``m``; the epoch length (``length``, default the table size) is
    rounded down to whole batches and must hold one.
    """
    if batch_size % m:
        raise ValueError(f"batch_size ({batch_size}) must be a multiple of m ({m})")
    table = table.labelled(task)
    labels = table.frame[task].to_numpy()
    n_classes = len(np.unique(labels))
    length = length or len(table)
    m_used, batch_used = metric_batch(min(length, len(table)), n_classes, m, batch_size // m)
    if (m_used, batch_used) != (m, batch_size):
        log.info(
            "%d labelled %r images in %d classes: batches of %d classes x %d images (asked: %d x %d)",
            len(table),
            task,
            n_classes,
            batch_used // m_used,
            m_used,
            batch_size // m,
            m,
        )
    sampler = samplers.MPerClassSampler(
        labels, m=m_used, batch_size=batch_used, length_before_new_iter=length // batch_used * batch_used
    )
    return DataLoader(
        ArtDataset(table, transform, on_error="skip"),
        batch_size=batch_used,
        sampler=sampler,
        drop_last=True,
        num_workers=num_workers,
        collate_fn=collate_skip_none,
    )


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


class TripletObjective:
    """Triplet margin loss on ``model.embed`` with a triplet miner (pytorch-metric-learning), validated by
    retrieval (:func:`retrieval_metrics` of the validation split against itself): a Trainer objective."""

    def __init__(self, task: str, margin: float = 0.2, triplets: str = "hard") -> None:
        self.task = task
        self.loss_fn = losses.TripletMarginLoss(margin=margin)
        self.miner = miners.TripletMarginMiner(margin=margin, type_of_triplets=triplets)
        self._mined: list[int] = []

    def loss(self, trainer: Trainer, images: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor:
        y = labels[self.task].to(trainer.device)
        with trainer.autocast():
            emb = embed_with(trainer.model, images)
        triplets = self.miner(emb.float(), y)
        self._mined.append(int(self.miner.num_triplets))
        return self.loss_fn(emb.float(), y, triplets)

    def validate(self, trainer: Trainer, loader: DataLoader) -> dict[str, float]:
        emb, labels = extract_features(trainer.eval_model, loader, trainer.device)
        if not np.isfinite(emb).all():  # before the k-NN metrics meet them
            trainer.diverged("the validation embeddings are not all finite")
        y = labels[self.task]
        return {f"val_{k}": v for k, v in retrieval_metrics(emb, y).items()}

    def epoch_stats(self) -> dict[str, float]:
        mined, self._mined = self._mined, []
        return {"triplets_per_batch": float(np.mean(mined)) if mined else 0.0}


def fit_metric(
    model: EmbeddingNet,
    train_loader: DataLoader,
    task: str,
    config: TrainConfig | None = None,
    *,
    margin: float = 0.2,
    triplets: str = "hard",
    val_loader: DataLoader | None = None,
    callbacks: list | None = None,
    checkpoint_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Train ``model`` with :class:`TripletObjective` through the :class:`~artlib.train.Trainer` (``config``: the
    ``metric`` recipe unless given, e.g. ``TrainConfig.for_settings(cfg, "metric", lr=3e-3)``; checkpoints and
    resume with ``checkpoint_dir``; ``callbacks``: the Trainer's, e.g.
    ``OptunaPruning(trial, "val_mean_average_precision_at_r")``); returns the history. With ``val_loader`` the best
    epoch (by validation MAP@R) is kept in ``checkpoint_dir``'s ``best.pt`` and loaded back into ``model`` at the
    end; without one the run watches the training loss and the model keeps its last epoch's weights."""
    from . import TrainConfig, Trainer

    config = config or TrainConfig.from_recipe("metric")
    if val_loader is None and config.monitor.startswith("val_"):
        config = config.on_training_loss()
    trainer = Trainer(
        model,
        config,
        callbacks=callbacks,
        checkpoint_dir=checkpoint_dir,
        objective=TripletObjective(task, margin, triplets),
    )
    history = trainer.fit(train_loader, val_loader)
    if checkpoint_dir is not None and val_loader is not None:
        trainer.load_best()
    return history
