"""Hyper-parameter search with Optuna: TPE sampling, median pruning, a shareable RDB study.

A study lives in an RDB (``sqlite:///outputs/hpo/<name>.db`` by default, or any
SQLAlchemy URL such as ``postgresql://user:pw@host/db``), so it resumes after an
interruption and several workers (``optuna`` processes on one or many machines)
can fill it at once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import optuna

from .data.loaders import make_loaders
from .data.table import ArtTable
from .metric_learning import EmbeddingNet, fit_metric, m_per_class_loader
from .data.transforms import train_transform
from .models import create_model, input_normalization
from .train import TrainConfig, Trainer, inverse_frequency_weights


def storage_url(path_or_url: str | Path) -> str:
    """A URL as is; a file path becomes ``sqlite:///<absolute path>`` (folder created)."""
    text = str(path_or_url)
    if "://" in text:
        return text
    path = Path(text).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def create_study(name: str, storage: str | Path, direction: str = "maximize", seed: int = 0,
                 n_startup_trials: int = 5, n_warmup_steps: int = 1) -> optuna.Study:
    """Create or reopen study ``name`` with a seeded TPE sampler and a median pruner."""
    return optuna.create_study(
        study_name=name, storage=storage_url(storage), direction=direction, load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps),
    )


class OptunaPruning:
    """Trainer callback: report the monitored value each epoch and stop pruned trials."""

    def __init__(self, trial: optuna.Trial, monitor: str = "val_macro_f1") -> None:
        self.trial, self.monitor = trial, monitor

    def on_epoch_end(self, trainer, row: dict) -> None:
        self.trial.report(float(row[self.monitor]), step=int(row["epoch"]))
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at epoch {row['epoch']}")


def classifier_objective(tables: dict[str, ArtTable], model_name: str = "simple_cnn", model_kwargs: dict | None = None,
                         epochs: int = 4, image_size: int = 64, num_workers: int = 0,
                         seed: int = 0) -> Callable[[optuna.Trial], float]:
    """Objective: best validation macro-F1 (mean over tasks) of a direct classifier.

    Searches lr, batch size, weight decay, augmentation strength and the share of training
    batches mixed by MixUp/CutMix (``mix_prob``; 0 = none).
    """
    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        batch_size = trial.suggest_categorical("batch_size", [16, 32, 64])
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        strength = trial.suggest_float("aug_strength", 0.0, 1.0)
        mix_prob = trial.suggest_float("mix_prob", 0.0, 1.0)
        model = create_model(model_name, tables["train"].num_classes, **(model_kwargs or {}))
        loaders = make_loaders({"train": tables["train"], "val": tables["val"]}, image_size, batch_size,
                               num_workers, strength, seed, normalization=input_normalization(model))
        config = TrainConfig(epochs=epochs, lr=lr, weight_decay=weight_decay, warmup_epochs=min(1, epochs - 1),
                             mixup_alpha=0.2, cutmix_alpha=1.0, mix_prob=mix_prob,
                             monitor="val_macro_f1", mode="max", patience=None, seed=seed, progress=False)
        trainer = Trainer(model, config, class_weights=inverse_frequency_weights(tables["train"]),
                          callbacks=[OptunaPruning(trial)])
        history = trainer.fit(loaders["train"], loaders["val"])
        return float(history["val_macro_f1"].max())
    return objective


def metric_objective(tables: dict[str, ArtTable], task: str, backbone_name: str = "simple_cnn",
                     backbone_kwargs: dict | None = None, epochs: int = 4, image_size: int = 64,
                     seed: int = 0) -> Callable[[optuna.Trial], float]:
    """Objective: best validation MAP@R of a triplet-loss embedding for ``task``.

    Searches lr, weight decay, margin, embedding size, m and augmentation strength.
    """
    def objective(trial: optuna.Trial) -> float:
        import torch

        lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        margin = trial.suggest_float("margin", 0.05, 0.5)
        dim = trial.suggest_categorical("dim", [32, 64, 128])
        m = trial.suggest_categorical("m", [4, 8])
        strength = trial.suggest_float("aug_strength", 0.0, 1.0)
        torch.manual_seed(seed)
        n_classes = tables["train"].num_classes[task]
        batch_size = m * min(n_classes, 8)
        classifier = create_model(backbone_name, {task: n_classes}, **(backbone_kwargs or {}))
        norm = input_normalization(classifier)
        train = m_per_class_loader(tables["train"], task, train_transform(image_size, strength, normalization=norm),
                                   m, batch_size)
        val = make_loaders({"val": tables["val"].labelled(task)}, image_size, 64, normalization=norm)["val"]
        model = EmbeddingNet(classifier.backbone, classifier.feature_dim, dim)

        def report(epoch: int, row: dict) -> None:
            trial.report(row["val_mean_average_precision_at_r"], step=epoch + 1)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch + 1}")

        history = fit_metric(model, train, task, epochs, lr, margin, weight_decay=weight_decay,
                             val_loader=val, progress=False, on_epoch_end=report)
        return float(history["val_mean_average_precision_at_r"].max())
    return objective


def trials_frame(study: optuna.Study) -> "pd.DataFrame":  # noqa: F821
    """Trials as a DataFrame: number, state, value, params."""
    cols = ["number", "state", "value", "duration"]
    frame = study.trials_dataframe()
    return frame[[c for c in frame.columns if c in cols or c.startswith("params_")]]
