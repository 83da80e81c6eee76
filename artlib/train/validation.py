"""What the Trainer measures on validation after each epoch: the loss, and per task accuracy and macro-F1."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from torch.utils.data import DataLoader

from ..data.loaders import dataset_size
from ..evaluation.metrics import classification_metrics
from ..evaluation.predict import Predictions, collect, iter_predictions

if TYPE_CHECKING:
    from .trainer import Trainer


def predict_with_loss(
    trainer: Trainer,
    loader: DataLoader,
    with_loss: bool = False,
    embed: bool = False,
    flip_tta: bool = False,
    multi_view: bool | None = None,
) -> tuple[Predictions, float]:
    """Predictions by ``trainer.eval_model`` (:func:`artlib.evaluation.predict.iter_predictions`) and their mean
    loss (NaN unless ``with_loss``); every rank evaluates the whole loader (no collective calls, identical results)."""
    total, count = 0.0, 0

    def prepare(images: Any) -> Any:
        return trainer.channels_last(trainer._prepare(images, "eval"))

    def batches() -> Any:
        nonlocal total, count
        model = trainer.eval_model
        for batch, target, index in iter_predictions(
            model, loader, flip_tta, embed, multi_view, prepare, trainer.autocast
        ):
            if with_loss:
                size = len(next(iter(batch.probs.values())))
                total += float(trainer.loss_fn(batch.logits, trainer._targets(target))[0]) * size
                count += size
            yield batch, target, index

    preds = collect(batches())
    return preds, (total / max(count, 1) if with_loss else math.nan)


def validation_row(trainer: Trainer, loader: DataLoader) -> dict[str, float]:
    """The validation columns of an epoch's history row; a run whose outputs are no longer finite diverged."""
    preds, loss = predict_with_loss(trainer, loader, with_loss=True)
    if not preds.probs or not len(next(iter(preds.probs.values()))):
        raise ValueError(
            f"the validation loader yielded no images ({dataset_size(loader)} rows): an empty "
            "validation split or only unreadable images; its loss and 'best' epoch would be "
            "meaningless. Give a larger dataset, other split fractions, or no val_loader "
            "(monitor='train_loss')"
        )
    if not math.isfinite(loss) or not all(np.isfinite(np.asarray(p)).all() for p in preds.probs.values()):
        trainer.diverged(f"val_loss = {loss:.4g}, and the validation outputs are not all finite")
    row = {"val_loss": loss}
    f1s = []
    for task in preds.probs:
        m = classification_metrics(preds.labels[task], preds.probs[task], top_k=())
        if m.get("n", 0):
            row[f"val_{task}_accuracy"] = m["accuracy"]
            row[f"val_{task}_macro_f1"] = m["macro_f1"]
            f1s.append(m["macro_f1"])
    row["val_macro_f1"] = float(np.mean(f1s)) if f1s else math.nan
    return row


def monitored(row: dict[str, float], monitor: str) -> float:
    """The value early stopping watches in an epoch's history ``row``; a column the row lacks raises."""
    if monitor not in row:
        raise ValueError(
            f"monitor {monitor!r} is not in the history columns {list(row)}; pass a val_loader or set "
            "monitor='train_loss'"
        )
    return float(row[monitor])
