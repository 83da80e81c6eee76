"""Training: :class:`Trainer`, :class:`TrainConfig` and its named recipes, masked multitask loss, schedules,
checkpoints, unfreezing, layer-wise rates, MixUp/CutMix, weight EMA, the fine-tuning recipe."""

from ..evaluation.predict import Predictions
from .checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from .config import RECIPES, Recipe
from .divergence import TrainingDivergedError
from .early_stopping import EarlyStopping
from .losses import MaskedMultiTaskLoss, inverse_frequency_weights
from .mixing import MixedBatch, MixUpCutMix, mixed_loss
from .param_groups import layerwise_lr_groups
from .recipes import fine_tuning_trainer, unfreezing_of
from .schedule import warmup_cosine
from .trainer import TrainConfig, Trainer
from .unfreeze import ProgressiveUnfreezing, unfreeze_schedule

__all__ = [
    "RECIPES",
    "Recipe",
    "EarlyStopping",
    "MaskedMultiTaskLoss",
    "MixUpCutMix",
    "MixedBatch",
    "Predictions",
    "ProgressiveUnfreezing",
    "TrainConfig",
    "Trainer",
    "TrainingDivergedError",
    "inverse_frequency_weights",
    "layerwise_lr_groups",
    "fine_tuning_trainer",
    "unfreezing_of",
    "CheckpointError",
    "load_checkpoint",
    "load_weights",
    "mixed_loss",
    "save_checkpoint",
    "unfreeze_schedule",
    "warmup_cosine",
]
