"""Classify new paintings with a trained model and its card.

    from artlib import artifacts
    from artlib.predict import ModelCard
    artifacts.save_model_file("genre.pt", model, ModelCard.for_model(model, "efficientnet_lite1", table.classes, 240,
                                                                     views=("letterbox", "start", "end")))
    artifacts.load_classifier("genre.pt").predict(["query.jpg", "folder/"])     # one row per image and task

    artlib-predict genre.pt paintings/ --out predictions.csv

A :class:`ModelCard` holds the registry name, the class names, the input size and normalisation, the test-time
views and margin trimming, so that whoever loads it feeds the model exactly as it was evaluated, and each task's
trust (temperature, conformal threshold, open-set rule). Saving and loading is :mod:`artlib.artifacts`'s.
Unreadable images are logged and reported in an ``error`` column.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from .data.folders import IMAGE_EXTENSIONS, walk_files
from .data.loaders import make_loader
from .data.table import MISSING, ArtTable
from .data.transforms import FITS, Normalization, as_normalization
from .data.tta import VIEWS, views_transform
from .models import create_model, input_normalization
from .models.heads import embed_with
from .trust.conformal import set_names
from .trust.open_set import OpenSetBank
from .trust.task_trust import TaskTrust
from .utils.runtime import resolve_device

if TYPE_CHECKING:
    from .train import Trainer

log = logging.getLogger(__name__)


@dataclass
class ModelCard:
    """What it takes to rebuild a trained classifier and feed it as it was evaluated."""

    model: str
    classes: dict[str, list[str]]
    image_size: int
    normalization: Normalization
    views: tuple[str, ...] = ("crop",)
    flip_tta: bool = True
    model_kwargs: dict = field(default_factory=dict)
    trim_margins: bool = False
    #: the data it was trained on (``artlib.artifacts.data_record``: label and signature of the source)
    data: dict = field(default_factory=dict)
    #: test scores per task with their 95 % intervals (``{task: {"accuracy": .., "accuracy_low": .., ...}}``)
    scores: dict = field(default_factory=dict)
    #: for a head on frozen features: the registered model whose pretrained ``embed`` makes its inputs
    features_from: str | None = None
    #: the notebook (or script) that trained it
    made_by: str | None = None
    #: per task, how far to believe it (:class:`artlib.trust.TaskTrust` as plain values): temperature,
    #: conformal threshold, open-set rule, and what they achieved on the test split
    trust: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_types()
        self.views = tuple(self.views)
        unknown = [v for v in self.views if v not in VIEWS]
        if unknown or not self.views:
            raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {list(self.views)}")
        if not self.classes or any(len(names) < 2 for names in self.classes.values()):
            raise ValueError("classes needs at least one task with two or more class names")
        self.normalization = as_normalization(self.normalization)
        unknown_tasks = sorted(set(self.trust) - set(self.classes))
        if unknown_tasks:
            raise ValueError(f"trust for tasks the card has no classes of: {unknown_tasks}")
        for values in self.trust.values():
            TaskTrust.from_dict(values)  # a damaged record fails here, not at the first prediction
        # the weights come from the file: never ask create_model to fetch pretrained ones again
        self.model_kwargs = {
            k: v for k, v in self.model_kwargs.items() if k not in ("pretrained", "torchvision_weights")
        }

    def _check_types(self) -> None:
        """Refuse a card whose values have the wrong type (a hand-edited JSON, another program's file)."""
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be a registered model name, got {self.model!r}")
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, int) or self.image_size <= 0:
            raise ValueError(f"image_size must be a positive integer, got {self.image_size!r}")
        if not isinstance(self.classes, dict) or not all(
            isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)
            for names in self.classes.values()
        ):
            raise ValueError("classes must map each task to a list of class names")
        for name in ("model_kwargs", "data", "scores", "trust"):
            if not isinstance(getattr(self, name), dict):
                raise ValueError(f"{name} must be a mapping, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.flip_tta, bool) or not isinstance(self.trim_margins, bool):
            raise ValueError("flip_tta and trim_margins must be true or false")

    @property
    def fitted_view(self) -> str:
        """The card's first single-square view (``crop`` or ``letterbox``; ``crop`` when it has only square crops):
        one evaluation image per painting, as Grad-CAM overlays need."""
        return next((v for v in self.views if v in FITS), "crop")

    def task_trust(self, task: str) -> TaskTrust:
        """The task's fitted trust; an identity one (temperature 1, every class in the set, no open-set rule)
        for a card saved without it."""
        return TaskTrust.from_dict(self.trust[task]) if task in self.trust else TaskTrust()

    def to_dict(self) -> dict:
        """Plain lists, dicts, strings and numbers (a ``weights_only`` checkpoint and JSON both hold it)."""
        out = asdict(self)
        out["views"] = list(self.views)
        out["normalization"] = [list(part) for part in self.normalization]
        out["model_kwargs"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.model_kwargs.items()}
        return json.loads(json.dumps(out, default=_plain))  # numpy numbers -> Python numbers

    @classmethod
    def from_dict(cls, values: dict, source: str | Path = "the checkpoint") -> ModelCard:
        """The card of :meth:`to_dict`; a damaged card raises ``ValueError`` naming ``source``."""
        try:
            return cls(**values)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"the model card in {source} is damaged ({exc}): save the model again") from exc

    @property
    def num_classes(self) -> dict[str, int]:
        return {task: len(names) for task, names in self.classes.items()}

    @classmethod
    def for_model(
        cls,
        model: nn.Module,
        name: str,
        classes: dict[str, list[str]],
        image_size: int,
        views: Sequence[str] = ("crop",),
        flip_tta: bool = True,
        trim_margins: bool = False,
        scores: pd.DataFrame | dict | None = None,
        features_from: str | None = None,
        **model_kwargs: Any,
    ) -> ModelCard:
        """A card for ``model`` (built as ``create_model(name, classes, **model_kwargs)``), with the
        normalisation it declares; ``scores``: test scores per task (a :func:`artlib.results.task_scores` table)."""
        if isinstance(scores, pd.DataFrame):
            scores = scores.to_dict(orient="index")
        return cls(
            name,
            {t: list(c) for t, c in classes.items()},
            image_size,
            input_normalization(model),
            tuple(views),
            flip_tta,
            model_kwargs,
            trim_margins,
            scores=dict(scores or {}),
            features_from=features_from,
        )

    def loader_options(self) -> dict:
        """:func:`make_loaders` keywords that feed the model as it was evaluated (the card's views, made into one
        transform by :func:`artlib.data.tta.views_transform`)."""
        return {"normalization": self.normalization, "trim_margins": self.trim_margins, "tta_views": self.views}

    def build(self) -> nn.Module:
        """The model architecture of the card, with untrained weights."""
        return create_model(self.model, self.num_classes, **self.model_kwargs)

    def rebuild(self, weights: dict, source: str | Path = "the checkpoint") -> nn.Module:
        """The card's model with ``weights`` loaded, in eval mode; weights of another shape raise ``ValueError``."""
        model = self.build()
        try:
            model.load_state_dict(weights)
        except RuntimeError as exc:
            raise ValueError(
                f"the weights in {source} do not fit the model its card describes ({self.model}): "
                f"{str(exc).splitlines()[0]}"
            ) from exc
        return model.eval()

    def check(self, model: nn.Module) -> None:
        """Refuse to save ``model`` under a card that would rebuild another architecture."""
        if set(self.build().state_dict()) != set(model.state_dict()):
            raise ValueError(
                f"model does not match its card: create_model({self.model!r}, **{self.model_kwargs}) "
                f"with the card's classes {list(self.classes)} has other weights"
            )


def _plain(value: Any) -> Any:
    """JSON form of numpy scalars and arrays in a card (scores computed with numpy)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a model card holds plain values, not {type(value).__name__}")


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

    @property
    def best(self) -> str:
        return str(self.top["class"].iloc[0])

    def verdict(self, classes: int) -> str:
        """A sentence a person can act on."""
        if not self.known:
            return f"not one of the {classes} {self.task} classes this model knows"
        if not self.prediction_set:
            return "no class is likely enough (an empty prediction set)"
        return f"{' or '.join(self.prediction_set)} ({self.coverage:.0%} prediction set)"


class Classifier:
    """A trained model with its card: :meth:`predict` on image files or folders, :meth:`answer` on one image.

    Probabilities are calibrated with the card's temperatures, prediction sets use its conformal thresholds and
    an open task (artists) says "unknown" by its open-set rule; a card without trust records gives raw softmax
    values, sets of every class and no unknown verdict.
    """

    def __init__(
        self, model: nn.Module, card: ModelCard, device: str = "auto", bank: OpenSetBank | None = None
    ) -> None:
        self.model, self.card = model, card
        self.device = resolve_device(device)
        #: the normalised training features a k-NN open-set rule compares with
        self.bank = bank
        self.trust = {task: card.task_trust(task) for task in card.classes}
        self._trainer: Trainer | None = (
            None  # made on the first predict() on files (the Trainer's imports take seconds)
        )

    def transform(self, views: Sequence[str] | None = None) -> Any:
        """The evaluation transform of the card (or of other ``views``): one fitted view or a :class:`MultiView`."""
        card = self.card
        return views_transform(views or card.views, card.image_size, card.normalization, card.trim_margins)

    @torch.no_grad()
    def raw_scores(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Uncalibrated softmax probabilities per task of one decoded RGB image, averaged over the card's views
        (or ``views``) and, with ``flip`` (default: the card's), their mirror images, as :meth:`predict` scores
        files; and the image's features (the mean over the views)."""
        x = self.transform(views)(image=image)["image"]
        x = (x if x.ndim == 4 else x[None]).to(self.device)
        self.model.to(self.device).eval()
        features = embed_with(self.model, x)
        head = getattr(self.model, "head", None)
        out = head(features) if callable(head) else self.model(x)
        probs = {task: torch.softmax(logits.float(), 1) for task, logits in out.items()}
        if self.card.flip_tta if flip is None else flip:
            mirrored = self.model(torch.flip(x, dims=[-1]))
            probs = {task: (p + torch.softmax(mirrored[task].float(), 1)) / 2 for task, p in probs.items()}
        return (
            {task: p.mean(0).cpu().numpy() for task, p in probs.items()},
            features.float().mean(0, keepdim=True).cpu().numpy(),
        )

    def probabilities(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None, calibrated: bool = True
    ) -> dict[str, np.ndarray]:
        """Class probabilities per task of one decoded RGB image (:func:`artlib.data.images.load_rgb` or
        :func:`~artlib.data.images.decode_rgb`), calibrated with the card's temperatures unless ``calibrated=False``."""
        raw, _ = self.raw_scores(image, views, flip)
        if not calibrated:
            return raw
        return {task: self.trust[task].calibrate(p[None])[0] for task, p in raw.items()}

    def answer(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None, top_k: int = 3
    ) -> dict[str, Answer]:
        """Per task: the calibrated top-``k``, the prediction set and the open-set verdict of one image."""
        raw, features = self.raw_scores(image, views, flip)
        return {task: self._answer(task, p[None], features, top_k)[0] for task, p in raw.items()}

    def _answer(self, task: str, raw: np.ndarray, features: np.ndarray | None, top_k: int) -> list[Answer]:
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
        answers = []
        for p, in_set, is_known in zip(probs, sets, known, strict=True):
            best = np.argsort(-p, kind="stable")[:top_k]
            answers.append(
                Answer(
                    task,
                    pd.DataFrame({"class": [names[i] for i in best], "probability": p[best]}),
                    set_names(in_set, names, p),
                    trust.coverage,
                    bool(is_known),
                    open_rule,
                )
            )
        return answers

    def predict(
        self, images: Iterable[str | Path], top_k: int = 3, batch_size: int = 32, num_workers: int = 0
    ) -> pd.DataFrame:
        """One row per readable image and task: ``path, task, predicted, confidence, top_k, prediction_set,
        verdict``; ``confidence`` is calibrated, ``verdict`` is ``unknown`` for a painting an open task (artists)
        rejects as none of its classes, else ``known`` (empty for a closed task). Unreadable images get one row
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
        if self._trainer is None:
            from .train import TrainConfig, Trainer

            self._trainer = Trainer(self.model, TrainConfig(device=str(self.device), progress=False))
        preds = self._trainer.predict(loader, embed=self.bank is not None, flip_tta=self.card.flip_tta)
        indices = preds.indices if preds.indices is not None else np.zeros(0, dtype=np.int64)
        rows = []
        for task, names in self.card.classes.items():
            raw = preds.probs.get(task, np.zeros((0, len(names))))
            for i, answer in zip(indices, self._answer(task, raw, preds.embeddings, top_k), strict=True):
                rows.append(
                    {
                        "path": str(paths[i]),
                        "task": task,
                        "predicted": answer.best,
                        "confidence": round(float(answer.top["probability"].iloc[0]), 4),
                        "top_k": "; ".join(f"{c} {p:.3f}" for c, p in answer.top.itertuples(index=False)),
                        "prediction_set": " | ".join(answer.prediction_set),
                        "verdict": ("known" if answer.known else "unknown") if answer.open_set else "",
                        "error": None,
                    }
                )
        seen = set(indices.tolist())
        failed = [(p, "unreadable image (see the log)") for i, p in enumerate(paths) if i not in seen] + problems
        rows += [{"path": str(p), "confidence": np.nan, "error": why} for p, why in failed]
        return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


#: the columns of :meth:`Classifier.predict`
PREDICTION_COLUMNS = ["path", "task", "predicted", "confidence", "top_k", "prediction_set", "verdict", "error"]


def find_images(images: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files as given; folders expanded (recursively, sorted) to their image files; and what was not taken.

    Hidden files and folders (``.ipynb_checkpoints``, ``.DS_Store``) are left out without a word; in a folder,
    a file of another type and a link to nothing are returned as ``(path, why)`` problems, so that each gets
    a row of its own. A missing path given by name raises ``FileNotFoundError``.
    """
    found: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for item in images:
        item = Path(item)
        if item.is_dir():
            inside = []
            for p in walk_files(item):
                if p.is_symlink() and not p.exists():
                    problems.append((p, f"a link to nothing ({os.readlink(p)})"))
                elif not p.is_file():
                    problems.append((p, "not a regular file (a FIFO or a socket)"))
                elif p.suffix.lower() in IMAGE_EXTENSIONS:
                    inside.append(p)
                else:
                    problems.append((p, f"not an image type ({p.suffix or 'no extension'})"))
            if not inside:
                log.warning("no image files under %s", item)
            found += inside
        elif item.exists():
            found.append(item)
        elif item.is_symlink():
            problems.append((item, f"a link to nothing ({os.readlink(item)})"))
        else:
            raise FileNotFoundError(f"no such image or folder: {item}")
    return found, problems
