"""RLA-ResNet with and without attention, trained alike and compared (notebook 06's study, reusable).

    runs = train_attention_variants(cfg, splits, loaders)         # {"RLA": run, "RLA + SE": run, ...}
    attention_significance(runs, seed=cfg.seed)                   # each variant against plain RLA, per task

``resume=True`` continues each variant from its checkpoint folder (``<outputs>/checkpoints/rla_<attention>``) up
to the profile's epochs and does not retrain a finished one: for a long run that was interrupted, on the same data
and settings (the checkpoints do not record the data they were trained on).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import torch.nn as nn

from ..models import create_model
from ..train import Predictions, TrainConfig, Trainer, inverse_frequency_weights
from ..utils import seed_everything

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

    from ..config import Settings
    from ..data.table import ArtTable

#: The variants of the study: plain RLA, then channel (SE, ECA) and channel + spatial (CBAM) attention.
ATTENTIONS: tuple[str | None, ...] = (None, "se", "eca", "cbam")
#: The learning rate of every variant (from scratch, the profile's epochs).
LR = 2e-3


def variant_name(attention: str | None) -> str:
    return "RLA" + (f" + {attention.upper()}" if attention else "")


@dataclass
class AttentionRun:
    """One variant's test predictions and size."""

    attention: str | None
    predictions: Predictions
    params: int
    #: the trained network at its best epoch (Grad-CAM compares where the variants look)
    model: nn.Module | None = None


def train_attention_variants(
    cfg: Settings,
    splits: dict[str, ArtTable],
    loaders: dict[str, DataLoader],
    attentions: tuple[str | None, ...] = ATTENTIONS,
    resume: bool = False,
) -> dict[str, AttentionRun]:
    """Train each variant of ``cfg.architecture("rla")`` from the same seed, keep its best epoch by validation
    macro-F1 and predict the test split."""
    runs = {}
    for attention in attentions:
        seed_everything(cfg.seed)
        model = create_model(cfg.architecture("rla"), splits["train"].num_classes, attention=attention)
        folder = cfg.run_dir(f"rla_{attention or 'none'}")
        trainer = Trainer(
            model,
            TrainConfig.for_settings(cfg, "scratch", lr=LR),
            class_weights=inverse_frequency_weights(splits["train"]),
            checkpoint_dir=folder,
        )
        done = _epochs_on_record(folder) if resume else 0
        if done < cfg.epochs:
            trainer.fit(loaders["train"], loaders["val"], resume_from=folder / "last.pt" if done else None)
        trainer.load_best()
        params = sum(p.numel() for p in model.parameters())
        runs[variant_name(attention)] = AttentionRun(
            attention, trainer.predict(loaders["test"]), params, trainer.model.eval()
        )
    return runs


def _epochs_on_record(folder: Path) -> int:
    history = folder / "history.csv"
    return len(pd.read_csv(history)) if history.is_file() and (folder / "last.pt").is_file() else 0


def comparison_table(runs: dict[str, AttentionRun]) -> pd.DataFrame:
    """One row per variant and task: test accuracy, macro-F1 and the variant's parameters (millions)."""
    rows = []
    for name, run in runs.items():
        metrics = run.predictions.metrics(top_k=())
        for task in metrics.index:
            rows.append(
                {
                    "model": name,
                    "task": task,
                    "accuracy": metrics.loc[task, "accuracy"],
                    "macro_f1": metrics.loc[task, "macro_f1"],
                    "params_M": run.params / 1e6,
                }
            )
    return pd.DataFrame(rows)


def attention_significance(runs: dict[str, AttentionRun], seed: int = 0) -> pd.DataFrame:
    """Per task, every variant against plain RLA (the most accurate variant when plain RLA did not run): accuracy
    with its interval and the exact McNemar test, adjusted over the variants
    (:func:`artlib.evaluation.significance.compare_predictions`)."""
    from ..evaluation.significance import compare_predictions

    reference = "RLA" if "RLA" in runs else None
    tasks = next(iter(runs.values())).predictions.probs if runs else {}
    return pd.concat(
        {
            task: compare_predictions(
                {name: (run.predictions.labels[task], run.predictions.probs[task]) for name, run in runs.items()},
                reference=reference,
                seed=seed,
            )
            for task in tasks
        },
        names=["task"],
    )


def per_model_scores(runs: dict[str, AttentionRun]) -> pd.DataFrame:
    """Every variant's test scores with intervals, one row per ``"<variant> / <task>"`` (the saved result)."""
    from ..evaluation.results import task_scores

    scores = pd.concat(
        {name: task_scores(run.predictions.labels, run.predictions.probs, top_k=None) for name, run in runs.items()},
        names=["model"],
    )
    scores.index = [f"{model} / {task}" for model, task in scores.index]
    return scores.rename_axis("model / task")
