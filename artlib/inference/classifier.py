"""Classify new paintings with a trained model and its card.

    from artlib.inference import ModelCard
    from artlib.store import artifacts
    artifacts.save_model_file("genre.pt", model, ModelCard.for_model(model, "efficientnet_lite1", table.classes, 240,
                                                                     views=("letterbox", "start", "end")))
    artifacts.load_classifier("genre.pt").predict(["query.jpg", "folder/"])     # one row per image and task

    artlib-predict genre.pt paintings/ --out predictions.csv

The :class:`~artlib.inference.card.ModelCard` tells how to feed the model exactly as it was evaluated and how
far to trust each task. Unreadable images are logged and reported in an ``error`` column.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from ..data.images import check_answerable
from ..data.loaders import make_loader
from ..data.table import MISSING, ArtTable
from ..evaluation.predict import predict, predict_batch
from ..trust.conformal import set_names
from ..trust.open_set import OpenSetBank
from ..trust.painting_check import NOT_A_PAINTING, why_refused
from ..utils.runtime import resolve_device
from .card import ModelCard
from .files import PREDICTION_COLUMNS, find_images

log = logging.getLogger(__name__)

#: what a painting by none of an open task's classes is called (the artist task: a painter the model does not know)
SOMEONE_ELSE = "someone else"
#: a prediction row's set when the card's trust had too few calibration paintings to fit one
NO_SET = "(no set: too few calibration paintings)"


@dataclass
class Answer:
    """One task's answer for one painting: calibrated top classes, the prediction set, and whether the painting
    looks like one of the classes at all (``known``: False says "none of the classes this model knows")."""

    task: str
    top: pd.DataFrame  # class, probability (calibrated), most probable first
    prediction_set: list[str]
    coverage: float
    known: bool
    open_set: bool  # whether the task has an open-set rule at all
    #: the painting check's refusal (:data:`NOT_A_PAINTING`, or "unlike the collection": far from every painting
    #: the model was trained on); "" for an image it answers
    refusal: str = ""
    #: False: too few calibration paintings for a set of ``coverage``: the set holds every class
    set_fitted: bool = True

    @property
    def painting(self) -> bool:
        """Whether the painting check let the image through (False: no class is given)."""
        return not self.refusal

    @property
    def best(self) -> str:
        return str(self.top["class"].iloc[0])

    @property
    def look_alikes(self) -> list[str]:
        """The most probable classes, named without their probabilities (what "someone else" looks like)."""
        return [str(c) for c in self.top["class"]]

    def verdict(self, classes: int) -> str:
        """A sentence a person can act on; a rejected painting gets no probability of a class it is not."""
        if not self.painting:
            return f"{self.refusal}: {why_refused(self.refusal)}, so no {self.task} is given"
        if not self.known:
            return (
                f"{SOMEONE_ELSE}: not one of the {classes} {self.task} classes this model knows; looks most like "
                f"{', '.join(self.look_alikes)}"
            )
        if not self.set_fitted:
            return f"{self.best} (no {self.coverage:.0%} set: too few calibration paintings to fit one)"
        if not self.prediction_set:
            return "no class is likely enough (an empty prediction set)"
        return f"{' or '.join(self.prediction_set)} ({self.coverage:.0%} prediction set)"


def someone_else_row(look_alikes: list[str], prediction_set: list[str]) -> dict:
    """A rejected painting's prediction columns: "someone else" first, its look-alikes without probabilities."""
    return {
        "predicted": SOMEONE_ELSE,
        "confidence": np.nan,
        "top_k": "looks most like: " + "; ".join(look_alikes),
        "prediction_set": " | ".join(prediction_set),
        "verdict": "unknown",
        "error": None,
    }


def not_a_painting_row() -> dict:
    """The prediction columns of an image the painting check refuses: no class, no probability."""
    return {
        "predicted": NOT_A_PAINTING,
        "confidence": np.nan,
        "top_k": "",
        "prediction_set": "",
        "verdict": NOT_A_PAINTING,
        "error": None,
    }


def answer_row(answer: Answer) -> dict:
    """One prediction row's answer columns (:func:`someone_else_row` for a rejected painting)."""
    if not answer.painting:
        return {**not_a_painting_row(), "predicted": answer.refusal, "verdict": answer.refusal}
    if not answer.known:
        return someone_else_row(answer.look_alikes, [SOMEONE_ELSE])
    return {
        "predicted": answer.best,
        "confidence": round(float(answer.top["probability"].iloc[0]), 4),
        "top_k": "; ".join(f"{c} {p:.3f}" for c, p in answer.top.itertuples(index=False)),
        "prediction_set": " | ".join(answer.prediction_set) if answer.set_fitted else NO_SET,
        "verdict": "known" if answer.open_set else "",
        "error": None,
    }


class Classifier:
    """A trained model with its card: :meth:`predict` on image files or folders, :meth:`answer` on one image.

    Probabilities are calibrated with the card's temperatures, prediction sets use its conformal thresholds and
    an open task (artists) says "unknown" by its open-set rule; a card without trust records gives raw softmax
    values, sets of every class and no unknown verdict.
    """

    def __init__(
        self,
        model: nn.Module,
        card: ModelCard,
        device: str = "auto",
        bank: OpenSetBank | None = None,
        painting_bank: np.ndarray | None = None,
    ) -> None:
        self.model, self.card = model, card
        self.device = resolve_device(device)
        #: the normalised training features a k-NN open-set rule compares with
        self.bank = bank
        width = getattr(model, "feature_dim", None)
        if bank is not None and isinstance(width, int) and bank.features.shape[1] != width:
            raise ValueError(
                f"the open-set bank holds features of width {bank.features.shape[1]}, the model makes {width}: "
                "the bank belongs to another model (save the model with its own bank again)"
            )
        self.trust = {task: card.task_trust(task) for task in card.classes}
        #: "is it a painting at all" (None: the card has no check, every image of 32 px or more is answered)
        self.painting = card.painting_check()
        #: the frozen network whose features the check reads (None: the model's own features), and the training
        #: paintings' features its nearness rule compares with
        self.reference, self.painting_bank = card.reference(), painting_bank
        bare = [task for task in card.classes if task not in card.trust]
        if card.trust and bare:  # a record lost from a card that has others: say what the answers then are
            log.warning(
                "the card has no trust record for %s: raw softmax probabilities, every class in the set and no "
                "'someone else' verdict for it (fit its trust again, notebook 08)",
                ", ".join(bare),
            )

    def transform(self, views: Sequence[str] | None = None) -> Any:
        """The evaluation transform of the card (or of other ``views``): one fitted view or a :class:`MultiView`."""
        return self.card.input.transform(views)

    @torch.no_grad()
    def raw_scores(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Uncalibrated softmax probabilities per task of one decoded RGB image, averaged over the card's views
        (or ``views``) and, with ``flip`` (default: the card's), their mirror images, as :meth:`predict` scores
        files; and the image's features (the mean over the views)."""
        x = self.transform(views)(image=image)["image"]
        views_of_image = len(x) if x.ndim == 4 else 0  # a MultiView stack: one row per view
        x = (x if x.ndim == 4 else x[None]).to(self.device)
        self.model.to(self.device).eval()
        flip = self.card.flip_tta if flip is None else flip
        batch = predict_batch(self.model, x, views=views_of_image, flip=flip, embed=True)
        assert batch.features is not None  # embed=True: a model without embed() has raised already
        probs = {task: p[0].cpu().numpy() for task, p in batch.probs.items()}
        return probs, batch.features.float().cpu().numpy()

    def probabilities(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None, calibrated: bool = True
    ) -> dict[str, np.ndarray]:
        """Class probabilities per task of one decoded RGB image (:func:`artlib.data.images.load_rgb` or
        :func:`~artlib.data.images.decode_rgb`), calibrated with the card's temperatures unless ``calibrated=False``."""
        raw, _ = self.raw_scores(image, views, flip)
        if not calibrated:
            return raw
        return {task: self.trust[task].calibrate(p[None])[0] for task, p in raw.items()}

    def image_features(self, image: np.ndarray) -> np.ndarray:
        """The ``(dim,)`` features of one decoded RGB image, over the card's views (what the painting check and
        the open-set bank compare)."""
        return self.raw_scores(image, flip=False)[1][0]

    def check_features(self, image: np.ndarray) -> np.ndarray:
        """The ``(dim,)`` features of one decoded RGB image that the painting check reads: its reference network's
        (:class:`artlib.features.reference.FrozenReference`), else the model's own (:meth:`image_features`)."""
        return self.image_features(image) if self.reference is None else self.reference.image_features(image)

    def refusal(self, image: np.ndarray) -> str:
        """The painting check's verdict on one decoded RGB image: ``""`` (answered, or no check on the card), or
        its refusal (as :meth:`answer` gives it)."""
        if self.painting is None:
            return ""
        return str(self.refusals(self.check_features(check_answerable(image))[None])[0])

    def refusals(self, features: np.ndarray | None) -> np.ndarray:
        """Per row of the check's features: ``""`` (answered), or the painting check's refusal (:data:`NOT_A_PAINTING`
        or :data:`~artlib.trust.painting_check.UNLIKE_THE_COLLECTION`); every row answered without a check."""
        if self.painting is None or features is None:
            return np.full(0 if features is None else len(features), "", dtype=object)
        return self.painting.verdicts(features, self.painting_bank)

    def explain(self, image: np.ndarray, task: str, name: str) -> np.ndarray:
        """Where the model saw class ``name`` of ``task`` in one decoded RGB image: a Grad-CAM overlay (uint8 RGB)
        on the card's fitted view, averaged with its mirror image's map when the card's answers average the mirror,
        from a layer with at least 7x7 cells at the card's size (:func:`artlib.trust.cam.cam_layer`)."""
        from ..trust.cam import class_activation_maps, mirrored_maps, overlay, view_pixels

        names = self.card.classes[task]
        if name not in names:
            raise ValueError(f"{name!r} is not a {task} class of this model; it has {names}")
        view = self.transform((self.card.fitted_view,))(image=image)["image"][None].to(self.device)
        self.model.to(self.device)
        chosen = [names.index(name)]
        if self.card.flip_tta:
            heat = mirrored_maps(self.model, view, task, chosen)
        else:
            heat, _ = class_activation_maps(self.model, view, task, chosen)
        return overlay(view_pixels(view[0], self.card.normalization), heat[0])

    def answer(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None, top_k: int = 3
    ) -> dict[str, Answer]:
        """Per task: the calibrated top-``k``, the prediction set and the open-set verdict of one image (one below
        32 px a side raises :class:`~artlib.data.images.ImageLoadError`: there is nothing to see; one the card's
        painting check refuses gets answers with ``painting`` False and no class)."""
        raw, features = self.raw_scores(check_answerable(image), views, flip)
        if self.painting is None:
            refusals = np.full(1, "", dtype=object)
        else:
            refusals = self.refusals(features if self.reference is None else self.check_features(image)[None])
        return {task: self._answer(task, p[None], features, top_k, refusals)[0] for task, p in raw.items()}

    def _answer(
        self, task: str, raw: np.ndarray, features: np.ndarray | None, top_k: int, refusals: np.ndarray
    ) -> list[Answer]:
        trust, names = self.trust[task], self.card.classes[task]
        probs = trust.calibrate(raw)
        sets = trust.sets(probs)
        rule = trust.open_set
        open_rule = rule is not None and (not rule.needs_bank or (self.bank is not None and task in self.bank.known))
        if rule is not None and not open_rule:
            log.warning(
                "the %s open-set rule of %r has no bank in this model file: no unknown verdicts", rule.score, task
            )
        known = trust.known(probs, features, self.bank) if open_rule else np.ones(len(probs), dtype=bool)
        if not len(refusals):
            refusals = np.full(len(probs), "", dtype=object)
        answers = []
        for p, in_set, is_known, refusal in zip(probs, sets, known, refusals, strict=True):
            best = np.argsort(-p, kind="stable")[:top_k]
            answers.append(
                Answer(
                    task,
                    pd.DataFrame({"class": [names[i] for i in best], "probability": p[best]}),
                    set_names(in_set, names, p),
                    trust.coverage,
                    bool(is_known),
                    open_rule,
                    str(refusal),
                    trust.set_threshold is not None,
                )
            )
        return answers

    def predict(
        self, images: Iterable[str | Path], top_k: int = 3, batch_size: int = 32, num_workers: int = 0
    ) -> pd.DataFrame:
        """One row per readable image and task: ``path, task, predicted, confidence, top_k, prediction_set,
        verdict``; ``confidence`` is calibrated, ``verdict`` is ``unknown`` for a painting an open task (artists)
        rejects as none of its classes (``predicted`` is then "someone else", with no confidence, and ``top_k``
        names its look-alikes without probabilities), else ``known`` (empty for a closed task); ``not a painting``
        (no class, no confidence) for an image the card's painting check refuses. Unreadable images get one row
        with ``error`` set (logged, never a made-up prediction)."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        paths, problems = find_images(images)
        table = ArtTable(
            pd.DataFrame({"path": [str(p) for p in paths], **{task: MISSING for task in self.card.classes}}),
            self.card.classes,
        )
        loader = make_loader(
            table,
            train=False,
            image_size=self.card.image_size,
            batch_size=batch_size,
            num_workers=num_workers,
            return_index=True,
            **self.card.loader_options(),
        )  # unreadable images are skipped and logged
        embed = self.bank is not None or (self.painting is not None and self.reference is None)
        preds = predict(self.model.to(self.device), loader, flip=self.card.flip_tta, embed=embed)
        indices = preds.indices if preds.indices is not None else np.zeros(0, dtype=np.int64)
        check_features = preds.embeddings
        if self.painting is not None and self.reference is not None:
            check_features = self.reference.file_features([paths[i] for i in indices], batch_size, num_workers)
        refusals = self.refusals(check_features) if len(indices) else np.zeros(0, dtype=object)
        rows = []
        for task, names in self.card.classes.items():
            raw = preds.probs.get(task, np.zeros((0, len(names))))
            answers = self._answer(task, raw, preds.embeddings, top_k, refusals)
            for i, answer in zip(indices, answers, strict=True):
                rows.append({"path": str(paths[i]), "task": task, **answer_row(answer)})
        seen = set(indices.tolist())
        failed = [(p, "unreadable image (see the log)") for i, p in enumerate(paths) if i not in seen] + problems
        rows += [{"path": str(p), "confidence": np.nan, "error": why} for p, why in failed]
        return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)
