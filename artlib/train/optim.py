"""The optimizer a :class:`~artlib.train.TrainConfig` names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .config import TrainConfig


def build_optimizer(params: Iterable[Any], config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True
        )
    raise ValueError(f"unknown optimizer {config.optimizer!r} (adamw|sgd)")
