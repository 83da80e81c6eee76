"""Hyper-parameter search with Optuna: TPE sampling, median pruning, a shareable RDB study.

A study lives in an RDB (``sqlite:///outputs/hpo/<name>.db`` by default, or any
SQLAlchemy URL such as ``postgresql://user:pw@host/db``), so it resumes after an
interruption and several workers (``optuna`` processes on one or many machines)
can fill it at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import optuna
import pandas as pd

from ..data.loaders import make_loader, make_loaders
from ..data.table import ArtTable
from ..data.transforms import train_transform
from ..models import create_classifier, create_model, input_normalization
from ..train import TrainConfig, Trainer, inverse_frequency_weights
from ..train.metric_learning import EmbeddingNet, fit_metric, m_per_class_loader

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ..config import Settings
    from ..train import Trainer


def storage_url(path_or_url: str | Path) -> str:
    """A URL as is; a file path becomes ``sqlite:///<absolute path>`` (folder created)."""
    text = str(path_or_url)
    if "://" in text:
        return text
    path = Path(text).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def study_name(name: str, data: dict) -> str:
    """``name`` keyed by the data (``artifacts.data_record``): trials on other data never mix in."""
    digest = hashlib.sha1(json.dumps(data["signature"], sort_keys=True, default=str).encode()).hexdigest()
    return f"{name}@{digest[:12]}"


def quiet_optuna() -> None:
    """Optuna's per-trial INFO lines and its experimental-feature warnings (the pruner's) off: a notebook shows the
    trials table instead."""
    import warnings

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def plot_study(study: optuna.Study, folder: Path, name: str) -> list[Path]:
    """Save the study's optimisation history as ``<folder>/<name>_history.png`` and, once 3 trials completed, the
    parameters' importances as ``<name>_importances.png`` (fANOVA on so few trials is a rough guide); the files
    written."""
    from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances

    from ..plots import save_figure

    plots: dict[str, Callable[[optuna.Study], Any]] = {"history": plot_optimization_history}
    if sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) >= 3:
        plots["importances"] = plot_param_importances
    written = []
    for kind, plot in plots.items():
        figure = plot(study).get_figure(root=True)
        if figure is not None:
            written.append(save_figure(figure, folder / f"{name}_{kind}.png"))
    return written


def create_study(
    name: str,
    storage: str | Path,
    *,
    data: dict,
    direction: Literal["minimize", "maximize"] = "maximize",
    seed: int = 0,
    n_startup_trials: int = 5,
    n_warmup_steps: int = 1,
) -> optuna.Study:
    """Create or reopen study ``name`` with a seeded TPE sampler and a median pruner.

    ``data`` (a :func:`artlib.store.artifacts.data_record`, required) keys the study by the data's signature
    (see :func:`study_name`) and is stored on it; a study holding another data record is refused. Without
    it, a study reopened on other data met search spaces sized to other data (Optuna: "CategoricalDistribution
    does not support dynamic value space").
    """
    quiet_optuna()
    if not isinstance(data, dict) or not data.get("signature"):
        raise ValueError(
            f"create_study({name!r}) needs data=artifacts.data_record(cfg) (a dict with a 'signature'): "
            f"a study is keyed by the data its trials ran on; got {data!r}"
        )
    study = optuna.create_study(
        study_name=study_name(name, data),
        storage=storage_url(storage),
        direction=direction,
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps),
    )
    stored = study.user_attrs.get("data")
    if stored is None:
        study.set_user_attr("data", data)
    elif stored.get("signature") != data.get("signature"):
        raise ValueError(
            f"study {study.study_name!r} in {storage} holds trials on other data "
            f"({stored.get('label')}); give this study another name"
        )
    return study


#: Batch sizes the classifier search tries, where the training split holds at least that many images.
BATCH_CHOICES = (16, 32, 64)


def batch_choices(n_train: int) -> list[int]:
    """The :data:`BATCH_CHOICES` a training split of ``n_train`` images fills at least twice (or its half)."""
    if n_train < 2:
        raise ValueError(f"the training split has {n_train} image(s): too few to search hyper-parameters")
    fitting = [b for b in BATCH_CHOICES if 2 * b <= n_train]
    return fitting or [max(1, n_train // 2)]


class OptunaPruning:
    """Trainer callback: report the monitored value each epoch and stop pruned trials."""

    def __init__(self, trial: optuna.Trial, monitor: str = "val_macro_f1") -> None:
        self.trial, self.monitor = trial, monitor

    def on_epoch_end(self, trainer: Trainer, row: dict) -> None:
        self.trial.report(float(row[self.monitor]), step=int(row["epoch"]))
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at epoch {row['epoch']}")


def classifier_objective(
    tables: dict[str, ArtTable],
    model_name: str = "simple_cnn",
    model_kwargs: dict | None = None,
    epochs: int = 4,
    image_size: int = 64,
    num_workers: int = 0,
    seed: int = 0,
) -> Callable[[optuna.Trial], float]:
    """Objective: best validation macro-F1 (mean over tasks) of a direct classifier.

    Searches lr, batch size, weight decay, augmentation strength and the share of training
    batches mixed by MixUp/CutMix (``mix_prob``; 0 = none).
    """

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        batch_size = trial.suggest_categorical("batch_size", batch_choices(len(tables["train"])))
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        strength = trial.suggest_float("aug_strength", 0.0, 1.0)
        mix_prob = trial.suggest_float("mix_prob", 0.0, 1.0)
        model = create_model(model_name, tables["train"].num_classes, **(model_kwargs or {}))
        loaders = make_loaders(
            {"train": tables["train"], "val": tables["val"]},
            image_size,
            batch_size,
            num_workers,
            strength=strength,
            seed=seed,
            normalization=input_normalization(model),
        )
        config = TrainConfig.from_recipe(
            "search",
            epochs=epochs,
            lr=lr,
            weight_decay=weight_decay,
            warmup_epochs=min(1, epochs - 1),
            mix_prob=mix_prob,
            seed=seed,
        )
        trainer = Trainer(
            model, config, class_weights=inverse_frequency_weights(tables["train"]), callbacks=[OptunaPruning(trial)]
        )
        history = trainer.fit(loaders["train"], loaders["val"])
        return float(history["val_macro_f1"].max())

    return objective


def metric_objective(
    tables: dict[str, ArtTable],
    task: str,
    backbone_name: str = "simple_cnn",
    backbone_kwargs: dict | None = None,
    epochs: int = 4,
    image_size: int = 64,
    seed: int = 0,
) -> Callable[[optuna.Trial], float]:
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
        classifier = create_classifier(backbone_name, {task: n_classes}, **(backbone_kwargs or {}))
        norm = input_normalization(classifier)
        train = m_per_class_loader(  # up to 8 classes of m images, fewer when the split is small
            tables["train"], task, train_transform(image_size, strength, normalization=norm), m, 8 * m
        )
        m_used = train.sampler.m_per_class  # type: ignore[attr-defined]  # below the suggested m on a small split
        trial.set_user_attr("m_used", m_used)
        val = make_loader(tables["val"].labelled(task), train=False, image_size=image_size, normalization=norm)
        model = EmbeddingNet(classifier.backbone, classifier.feature_dim, dim)

        config = TrainConfig.from_recipe(
            "metric", epochs=epochs, lr=lr, weight_decay=weight_decay, seed=seed, progress=False
        )
        history = fit_metric(
            model,
            train,
            task,
            config,
            margin=margin,
            val_loader=val,
            callbacks=[OptunaPruning(trial, "val_mean_average_precision_at_r")],
        )
        return float(history["val_mean_average_precision_at_r"].max())

    return objective


def best_params(study: optuna.Study) -> dict:
    """The best complete trial's parameters; ``{}`` (and a warning counting the failed and pruned trials) when
    none completed, e.g. every objective value was NaN on a validation split too small to score."""
    if any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        return dict(study.best_params)
    log.warning("%s", describe_best(study))
    return {}


def describe_best(study: optuna.Study, what: str = "value") -> str:
    """One line: the best ``what`` and its parameters, or why there is none."""
    states = Counter(t.state.name.lower() for t in study.trials)
    if states.get("complete"):
        return f"best {what}: {study.best_value:.4f} {study.best_params}"
    counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "no trials"
    return (
        f"study {study.study_name!r}: no trial completed ({counts}); a failed trial's objective was NaN or "
        "raised (see the log), e.g. a validation split too small to score: the defaults are kept"
    )


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """Trials as a DataFrame: number, state, value, params."""
    cols = ["number", "state", "value", "duration"]
    frame = study.trials_dataframe()
    return frame[[c for c in frame.columns if c in cols or c.startswith("params_")]]


#: Metric learning's hyper-parameters when notebook 04 found none on this data (notebook 10).
METRIC_DEFAULTS = {"lr": 2e-3, "margin": 0.2, "dim": 64, "m": 4, "aug_strength": 0.5, "weight_decay": 1e-4}


def metric_hyperparameters(cfg: Settings) -> dict:
    """:data:`METRIC_DEFAULTS` updated with notebook 04's best metric-learning values, when its search ran on this
    data (the reason printed when it did not)."""
    from ..store import artifacts

    chosen = dict(METRIC_DEFAULTS)
    try:
        chosen.update(artifacts.load_params(cfg, "hpo_params", data=artifacts.data_record(cfg))["metric_learning"])
    except artifacts.ArtifactNotFoundError as exc:
        print("default hyper-parameters:", exc)
    return chosen
