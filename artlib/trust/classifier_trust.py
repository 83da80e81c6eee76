"""A trained classifier's trust, fitted and measured in one place (notebook 08, ``benchmarks/trust.py``).

preds = {s: split_predictions(trainer.eval_model, splits[s], card) for s in ("train", "val", "test")}
made_up = embed_made_up(Classifier(model, card).image_features)                     # made-up non-paintings
bank = fit_classifier_trust(card, preds["val"], preds["train"], made_up=made_up, calibration=preds["calibration"])
report = classifier_trust_report(card, preds["test"], bank)         # one row per task, with 95 % intervals
artifacts.save_model(cfg, "classifier", trainer.model, card, bank)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch.nn as nn

from .conformal import needed_rows
from .evaluation import task_trust_report
from .open_set import OpenSetBank
from .painting_check import MadeUp, fit_painting_check, made_up_features
from .task_trust import DEFAULT_COVERAGE, TaskTrust, fit_task_trust

if TYPE_CHECKING:
    from ..data.table import ArtTable
    from ..evaluation.predict import Predictions
    from ..inference.card import ModelCard

#: tasks whose classes do not cover every painting: a painting without a label of the task is by another artist
OPEN_TASKS = ("artist", "author", "artist_slug")


def split_predictions(
    model: nn.Module, table: ArtTable, card: ModelCard, batch_size: int = 64, num_workers: int = 0, flip: bool = True
) -> Predictions:
    """Raw probabilities and features of every painting of ``table`` by ``model`` (a trainer's ``eval_model``, or
    a loaded classifier's), fed as the card says (its views; its mirror images unless ``flip=False``, which leaves
    the features as they are and halves the time): :func:`artlib.evaluation.predict.predict`."""
    from ..data.loaders import make_loader
    from ..evaluation.predict import predict

    loader = make_loader(
        table,
        train=False,
        image_size=card.image_size,
        batch_size=batch_size,
        num_workers=num_workers,
        **card.loader_options(),
    )
    return predict(model, loader, flip=card.flip_tta and flip, embed=True)


def fit_classifier_trust(
    card: ModelCard,
    val: Predictions,
    train: Predictions | None = None,
    coverage: float = DEFAULT_COVERAGE,
    known_recall: float = 0.9,
    open_tasks: tuple[str, ...] = OPEN_TASKS,
    made_up: np.ndarray | dict[str, MadeUp] | None = None,
    calibration: Predictions | None = None,
) -> OpenSetBank | None:
    """Fit every task's temperature, conformal threshold and (for ``open_tasks``) open-set rule on the validation
    predictions, store them in ``card.trust``, and return the bank of training features the k-NN open-set rules
    need (None without ``train`` predictions or an open task). With ``made_up`` (the model's features of made-up
    non-paintings, or :func:`.painting_check.embed_made_up`'s record of them) and the features of both splits,
    also fit the card's "not a painting" check (``card.painting``). ``calibration``: predictions of paintings held
    out of validation (:func:`.calibration_split.hold_out_calibration`), which alone fit the prediction sets."""
    opened = [t for t in card.classes if t in open_tasks]
    bank = None
    if train is not None and train.embeddings is not None and opened:
        bank = OpenSetBank(train.embeddings, {t: train.labels[t] >= 0 for t in opened})
    card.trust = {}
    for task in card.classes:
        trust = fit_task_trust(
            task,
            val.probs[task],
            val.labels[task],
            coverage,
            open_set=task in opened,
            features=val.embeddings,
            bank=bank,
            known_recall=known_recall,
            calibration=None if calibration is None else (calibration.probs[task], calibration.labels[task]),
        )
        card.trust[task] = trust.to_dict()
    if made_up is not None and train is not None and train.embeddings is not None and val.embeddings is not None:
        made_up = made_up_features(made_up) if isinstance(made_up, dict) else made_up
        card.painting = fit_painting_check(train.embeddings, val.embeddings, made_up).to_dict()
    rules = [TaskTrust.from_dict(t).open_set for t in card.trust.values()]
    return bank if any(rule is not None and rule.needs_bank for rule in rules) else None


def classifier_trust_report(card: ModelCard, test: Predictions, bank: OpenSetBank | None = None) -> pd.DataFrame:
    """What each task's trust achieves on the test predictions (a row per task, ``<score>_low/_high`` intervals);
    the card keeps it under ``trust[task]["test"]``."""
    rows = {}
    for task in card.classes:
        trust = card.task_trust(task)
        report = task_trust_report(test.probs[task], test.labels[task], trust, test.embeddings, bank)
        card.trust[task]["test"] = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in report.items()}
        rows[task] = report
    return pd.DataFrame.from_dict(rows, orient="index")


def classifier_set_methods(card: ModelCard, calibration: Predictions, test: Predictions) -> pd.DataFrame:
    """LAC (the card's), APS and RAPS sets of every task side by side (:mod:`.set_methods`): each fitted on the
    ``calibration`` predictions, measured on ``test``; rows ``(task, method)``."""
    from .set_methods import set_methods_report

    tables = {}
    for task in card.classes:
        trust = card.task_trust(task)
        cal, y_cal = calibration.probs[task], calibration.labels[task]
        probs, y = test.probs[task], test.labels[task]
        if (y_cal >= 0).sum() < needed_rows(trust.coverage) or (y >= 0).sum() < 2:
            continue
        tables[task] = set_methods_report(
            trust.calibrate(cal[y_cal >= 0]),
            y_cal[y_cal >= 0],
            trust.calibrate(probs[y >= 0]),
            y[y >= 0],
            trust.coverage,
        )
    return pd.concat(tables) if tables else pd.DataFrame()
