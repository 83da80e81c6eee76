"""What a training step minimises and what a validation pass reports, for losses other than the Trainer's own.

The :class:`~artlib.train.Trainer` trains classifiers (masked multitask cross-entropy, MixUp/CutMix) by itself.
Another loss (triplets for metric learning, ...) is a :class:`TrainingObjective` given to the Trainer, which still
does the rest: optimizer and schedule, AMP, EMA, gradient clipping, checkpoints and resume, the divergence check,
early stopping, callbacks (progressive unfreezing, Optuna pruning) and the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import torch
from torch.utils.data import DataLoader

if TYPE_CHECKING:
    from .trainer import Trainer


class TrainingObjective(Protocol):
    """``loss`` of one training batch; ``validate`` a loader into history columns (``val_...``); ``epoch_stats``
    anything the objective counted during the epoch (added to the history row, then reset)."""

    def loss(self, trainer: Trainer, images: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor: ...

    def validate(self, trainer: Trainer, loader: DataLoader) -> dict[str, float]: ...

    def epoch_stats(self) -> dict[str, float]: ...
