"""The model card of a trained classifier: registry name and build arguments (as nanoGPT stores ``model_args``),
tasks and classes, the preprocessing it was fitted with, the data it was trained on and its fitted trust
(temperature, conformal threshold, open-set rule). Saving and loading is :mod:`artlib.store.artifacts`'s.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch.nn as nn

from ..data.input_spec import InputSpec
from ..data.transforms import Normalization
from ..features.reference import FrozenReference
from ..models import create_model, input_normalization
from ..trust.painting_check import PaintingCheck
from ..trust.task_trust import TaskTrust

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
    #: the data it was trained on (``artlib.store.artifacts.data_record``: label and signature of the source)
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
    #: "is it a painting at all" (:class:`artlib.trust.painting_check.PaintingCheck` as plain values); None: no
    #: check was fitted, every readable image of 32 px or more is answered
    painting: dict | None = None
    #: the frozen network whose features the painting check reads (:class:`artlib.features.reference.FrozenReference`
    #: as plain values); None: the check reads the model's own features (cards saved before 2026-12-07)
    painting_reference: dict | None = None

    def __post_init__(self) -> None:
        self._check_types()
        self.views = tuple(self.views)
        self.normalization = self.input.normalization  # checks the size, the views and the normalisation
        if not self.classes or any(len(names) < 2 for names in self.classes.values()):
            raise ValueError("classes needs at least one task with two or more class names")
        unknown_tasks = sorted(set(self.trust) - set(self.classes))
        if unknown_tasks:
            raise ValueError(f"trust for tasks the card has no classes of: {unknown_tasks}")
        for task, values in self.trust.items():  # a damaged record fails here, naming it, not at a prediction
            try:
                TaskTrust.from_dict(values)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"trust of task {task!r}: {exc}") from exc
        if self.painting is not None:
            PaintingCheck.from_dict(self.painting)
        if self.painting_reference is not None:
            if self.painting is None:
                raise ValueError("painting_reference without a painting check to read its features")
            FrozenReference.from_dict(self.painting_reference)
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
    def input(self) -> InputSpec:
        """What the model is fed: size, normalisation, views and mirror images (the spec an
        :class:`~artlib.retrieval.EmbedderCard` holds too)."""
        return InputSpec(self.image_size, self.normalization, self.views, self.flip_tta, self.trim_margins)

    @property
    def fitted_view(self) -> str:
        """The card's first single-square view (``crop`` or ``letterbox``; ``crop`` when it has only square crops):
        one evaluation image per painting, as Grad-CAM overlays need."""
        return self.input.fitted_view

    def task_trust(self, task: str) -> TaskTrust:
        """The task's fitted trust; an identity one (temperature 1, every class in the set, no open-set rule)
        for a card saved without it."""
        return TaskTrust.from_dict(self.trust[task]) if task in self.trust else TaskTrust()

    def painting_check(self) -> PaintingCheck | None:
        """The card's "is it a painting" check, None when none was fitted."""
        return None if self.painting is None else PaintingCheck.from_dict(self.painting)

    def reference(self) -> FrozenReference | None:
        """The frozen network whose features the painting check reads; None: the model's own."""
        return None if self.painting_reference is None else FrozenReference.from_dict(self.painting_reference)

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
        normalisation it declares; ``scores``: test scores per task (a
        :func:`~artlib.evaluation.results.task_scores` table)."""
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
