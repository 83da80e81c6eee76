"""An exponential moving average of the weights as a Trainer callback (timm's ``ModelEmaV3``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch.nn as nn

if TYPE_CHECKING:
    from .trainer import Trainer


class WeightEMA:
    """Trainer callback keeping timm's EMA of the weights with its decay warm-up (power 3/4, for short runs):
    ``min(decay, 1 - (1 + step) ** -0.75)`` after each optimizer step. Validation, ``predict`` and ``best.pt`` use
    :attr:`module`; ``last.pt`` holds it too, so a resumed run continues the average."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        from timm.utils import ModelEmaV3  # imported when needed: timm is slow to import

        self.ema = ModelEmaV3(model, decay=decay, use_warmup=True, warmup_power=0.75)

    @property
    def module(self) -> nn.Module:
        """The averaged network."""
        return self.ema.module

    def on_step_end(self, trainer: Trainer, step: int) -> None:
        # the schedule counts the optimizer steps (and is resumed with them)
        self.ema.update(trainer.model, step=step)
