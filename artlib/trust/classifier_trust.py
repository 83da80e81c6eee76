"""A trained classifier's trust, fitted and measured in one place (notebook 08, ``benchmarks/trust.py``).

preds = {s: split_predictions(trainer.eval_model, splits[s], card) for s in ("train", "val", "test")}
bank = fit_classifier_trust(card, preds["val"], preds["train"], calibration=preds["calibration"])
report = classifier_trust_report(card, preds["test"], bank)         # one row per task, with 95 % intervals
check = fit_reference_check(card, FrozenReference("efficientnet_lite0", 224), splits)   # "not a painting"
artifacts.save_model(cfg, "classifier", trainer.model, card, bank, check.bank)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch.nn as nn

from .conformal import needed_rows
from .evaluation import task_trust_report
from .open_set import OpenSetBank
from .painting_check import (
    NEAR_K,
    MadeUp,
    fit_painting_check,
    made_up_features,
    made_up_sets,
    near_bank,
    painting_check_report,
    refused_by_class,
)
from .task_trust import DEFAULT_COVERAGE, TaskTrust, fit_task_trust

if TYPE_CHECKING:
    from ..data.table import ArtTable
    from ..evaluation.predict import Predictions
    from ..features.reference import FrozenReference
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
        card.painting_reference = None  # the check reads the model's own features
    rules = [TaskTrust.from_dict(t).open_set for t in card.trust.values()]
    return bank if any(rule is not None and rule.needs_bank for rule in rules) else None


@dataclass
class ReferenceCheck:
    """A classifier's painting check fitted on a frozen reference network (:func:`fit_reference_check`): the
    training paintings its nearness rule compares with (saved beside the model), the reference's features of each
    split, and the made-up non-paintings it was fitted on (``"fit"``) and is measured on (``"test"``)."""

    bank: np.ndarray
    features: dict[str, np.ndarray]
    made_up: dict[str, dict[str, MadeUp]]

    def report(self, card: ModelCard) -> pd.DataFrame:
        """The share refused of the test paintings and of each kind of made-up image of another seed, with 95 %
        intervals (:func:`.painting_check.painting_check_report`)."""
        check = card.painting_check()
        if check is None:
            raise ValueError("the card has no painting check: fit it with fit_reference_check")
        return painting_check_report(check, self.features["test"], self.made_up["test"], self.bank)

    def by_class(self, card: ModelCard, test: ArtTable, task: str) -> pd.DataFrame:
        """The share of each ``task`` class of the ``test`` paintings the check refuses, most refused first
        (:func:`.painting_check.refused_by_class`): one threshold for all, so some classes pay more."""
        check = card.painting_check()
        if check is None:
            raise ValueError("the card has no painting check: fit it with fit_reference_check")
        if len(test) != len(self.features["test"]):
            raise ValueError(
                f"{len(test)} test paintings given, the check was measured on {len(self.features['test'])}"
            )
        return refused_by_class(check, self.features["test"], test.label_names(task), self.bank)


def fit_reference_check(
    card: ModelCard,
    reference: FrozenReference,
    tables: dict[str, ArtTable],
    cache: str | Path | None = None,
    num_workers: int = 0,
    per_kind: int = 40,
) -> ReferenceCheck:
    """Fit the card's "not a painting" check on ``reference``'s features of the whole painting (a frozen ImageNet
    network: a fine-tuned classifier's own features take a photograph for a painting): its linear rule on the
    ``train`` paintings against made-up non-paintings, both rules' thresholds on every validation painting (``val``,
    and ``calibration`` where the split holds some out for the prediction sets), and the nearness rule
    (:data:`.painting_check.NEAR_K`) to the training paintings. The card records the check and its reference;
    save the returned ``bank`` with the model (``artifacts.save_model(..., painting_bank=check.bank)``).
    ``cache``: a feature cache folder (the identity model's whole view shares it)."""
    wanted: dict[str, ArtTable] = {n: tables[n] for n in ("train", "val", "calibration", "test") if n in tables}
    if "train" not in wanted or "val" not in wanted:
        raise ValueError(f"a painting check needs the train and val splits; got {sorted(tables)}")
    features = reference.table_features(wanted, cache, num_workers=num_workers)
    features.setdefault("test", np.zeros((0, features["train"].shape[1]), dtype=np.float32))
    # every validation painting sets the thresholds: a 1 % quantile of half of them rests on one or two paintings
    validation = np.concatenate([features[n] for n in ("val", "calibration") if n in features])
    made_up = made_up_sets(reference.image_features, per_kind)
    check = fit_painting_check(features["train"], validation, made_up_features(made_up["fit"]), near_k=NEAR_K)
    card.painting, card.painting_reference = check.to_dict(), reference.to_dict()
    return ReferenceCheck(near_bank(features["train"]), features, made_up)


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
