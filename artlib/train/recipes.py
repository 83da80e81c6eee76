"""The fine-tuning recipe of a pretrained network, in one place (notebook 08 and the Lite benchmarks use it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn

from ..models.contract import staged_backbone
from .param_groups import layerwise_lr_groups
from .trainer import TrainConfig, Trainer
from .unfreeze import ProgressiveUnfreezing, unfreeze_schedule


def fine_tuning_trainer(
    model: nn.Module,
    config: TrainConfig,
    *,
    unfreeze_at: Sequence[int] | None = None,
    layer_decay: float = 1.0,
    class_weights: dict[str, torch.Tensor] | None = None,
    callbacks: list | None = None,
    **trainer_kwargs: Any,
) -> Trainer:
    """A :class:`Trainer` that fine-tunes a pretrained ``model`` (one with ``backbone.unfreeze_groups()``, e.g. the
    EfficientNet-Lite models): the heads first, then the backbone's layer groups from the top down
    (:func:`unfreeze_schedule` over the first half of ``config.epochs`` unless ``unfreeze_at`` says otherwise),
    lower rates further down with ``layer_decay`` < 1 (:func:`layerwise_lr_groups`). ``trainer_kwargs``:
    the Trainer's (``checkpoint_dir``, ``log_dir``, ``class_names``...)."""
    backbone, groups = staged_backbone(model)
    at = list(unfreeze_at) if unfreeze_at is not None else unfreeze_schedule(len(groups), config.epochs)
    unfreeze = ProgressiveUnfreezing(backbone, groups, unfreeze_at=at[: len(groups)])
    param_groups = layerwise_lr_groups(model, groups, config.lr, layer_decay) if layer_decay != 1 else None
    return Trainer(
        model,
        config,
        class_weights=class_weights,
        param_groups=param_groups,
        callbacks=[unfreeze, *(callbacks or [])],
        **trainer_kwargs,
    )


def unfreezing_of(trainer: Trainer) -> list[int]:
    """The epochs at which ``trainer`` (from :func:`fine_tuning_trainer`) opens each backbone group."""
    return next(list(cb.unfreeze_at) for cb in trainer.callbacks if isinstance(cb, ProgressiveUnfreezing))
