"""Training: :class:`Trainer`, masked multitask loss, schedules, checkpoints, unfreezing."""
from .checkpoint import load_checkpoint, load_weights, save_checkpoint
from .early_stopping import EarlyStopping
from .losses import MaskedMultiTaskLoss, inverse_frequency_weights
from .schedule import warmup_cosine
from .trainer import Predictions, TrainConfig, Trainer
from .unfreeze import ProgressiveUnfreezing

__all__ = ["EarlyStopping", "MaskedMultiTaskLoss", "Predictions", "ProgressiveUnfreezing", "TrainConfig",
           "Trainer", "inverse_frequency_weights", "load_checkpoint", "load_weights", "save_checkpoint",
           "warmup_cosine"]
