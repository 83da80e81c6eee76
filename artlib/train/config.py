"""Optimisation settings (:class:`TrainConfig`) and the named recipes every training run starts from
(:data:`RECIPES`), so that a notebook writes ``TrainConfig.for_settings(cfg, "scratch")`` instead of ten fields.

    TrainConfig.for_settings(cfg, "fine_tune")            # a pretrained classifier, cfg.pretrained_epochs
    TrainConfig.for_settings(cfg, "scratch", lr=2e-3)     # the recipe, one field changed
    TrainConfig.from_recipe("metric", epochs=4, lr=3e-3)  # without the run's Settings (library code, tests)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Settings


@dataclass
class TrainConfig:
    """Optimisation settings. ``monitor`` is a history column, e.g. ``val_loss`` or ``val_macro_f1``."""

    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    momentum: float = 0.9
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01
    label_smoothing: float = 0.0
    mixup_alpha: float = 0.0  # > 0: MixUp training batches (see artlib.train.mixing)
    cutmix_alpha: float = 0.0  # > 0: CutMix; both > 0: one or the other per batch
    mix_prob: float = 1.0  # the chance that a training batch is mixed
    ema_decay: float | None = None  # e.g. 0.999: evaluate and save an exponential moving average of the weights
    grad_clip: float | None = None
    amp: bool = True
    channels_last: bool = True  # images and convolution weights in channels_last order on CUDA and CPU (faster)
    monitor: str = "val_loss"
    mode: str = "min"
    patience: int | None = 5
    seed: int = 0
    progress: bool = True
    device: str = "auto"

    def on_training_loss(self) -> TrainConfig:
        """This config for a run without validation data: it watches the training loss, with no early stopping
        (the last epoch's weights are kept)."""
        return replace(self, monitor="train_loss", mode="min", patience=None)

    @classmethod
    def from_recipe(cls, recipe: str, **changes: Any) -> TrainConfig:
        """The fields of :data:`RECIPES` ``[recipe]``, then ``changes`` (any field; an unknown one is a TypeError)."""
        return replace(cls(**_recipe(recipe).fields), **changes)

    @classmethod
    def for_settings(cls, cfg: Settings, recipe: str = "scratch", **changes: Any) -> TrainConfig:
        """The recipe with the run's epochs (the setting the recipe names: ``epochs``, ``pretrained_epochs``,
        ``hpo_epochs`` or ``head_epochs``), seed and progress bars (unless the recipe fixes them) from ``cfg``,
        then ``changes``."""
        chosen = _recipe(recipe)
        run = {"seed": cfg.seed, "progress": cfg.progress}
        from_settings = {key: value for key, value in run.items() if key not in chosen.fields}
        from_settings["epochs"] = getattr(cfg, chosen.epochs_setting)
        return cls.from_recipe(recipe, **{**from_settings, **changes})


@dataclass(frozen=True)
class Recipe:
    """A kind of training run: the :class:`TrainConfig` fields it sets, and the setting that gives its epochs."""

    epochs_setting: str
    fields: dict[str, Any] = field(default_factory=dict)


_BY_MACRO_F1 = {"monitor": "val_macro_f1", "mode": "max"}
#: The training recipes of the series, by name.
RECIPES: dict[str, Recipe] = {
    # a classifier from scratch (notebooks 03, 05-07, 09; EfficientNet-B0 in 08): best epoch by validation macro-F1
    "scratch": Recipe("epochs", {"lr": 3e-3, "patience": 8, **_BY_MACRO_F1}),
    # a pretrained classifier fine-tuned (08, the Lite benchmarks; with artlib.train.fine_tuning_trainer)
    "fine_tune": Recipe("pretrained_epochs", {"lr": 1e-3, "patience": 8, **_BY_MACRO_F1}),
    # the Lite benchmarks' fine-tuning (benchmarks/pretrained_lite.py, wikiart_finetune.py): every epoch trained (no
    # early stopping), a half-epoch warm-up, label smoothing 0.1, the best epoch by validation macro-F1 (a refit on
    # train + val: .on_training_loss())
    "fine_tune_all_epochs": Recipe(
        "pretrained_epochs",
        {"lr": 1e-3, "warmup_epochs": 0.5, "label_smoothing": 0.1, "patience": None, **_BY_MACRO_F1},
    ),
    # one trial of the hyper-parameter search (04): no early stopping, the pruner decides
    "search": Recipe(
        "hpo_epochs",
        {"patience": None, "progress": False, "mixup_alpha": 0.2, "cutmix_alpha": 1.0, **_BY_MACRO_F1},
    ),
    # a triplet-loss embedding (10): cosine decay to zero without warm-up, best epoch by validation MAP@R
    "metric": Recipe(
        "epochs",
        {
            "lr": 1e-3,
            "warmup_epochs": 0.0,
            "min_lr_ratio": 0.0,
            "monitor": "val_mean_average_precision_at_r",
            "mode": "max",
            "patience": None,
        },
    ),
    # a Siamese network on image pairs from scratch (12): best epoch by validation pair loss
    "pairs": Recipe("epochs", {"lr": 2e-3, "monitor": "val_loss", "patience": 5}),
    # a pretrained Siamese network fine-tuned on pairs (12; at most PRETRAINED_PAIR_EPOCHS, see siamese_runs)
    "pairs_fine_tune": Recipe("pretrained_epochs", {"lr": 1e-3, "monitor": "val_loss", "patience": 5}),
    # a Siamese head on frozen features (12)
    "pair_head": Recipe("head_epochs", {"lr": 1e-3, "monitor": "val_loss", "patience": 5}),
}


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise KeyError(f"unknown training recipe {name!r}; recipes: {sorted(RECIPES)}")
    return RECIPES[name]
