"""Classify new paintings with a trained model: a self-describing checkpoint and a command line.

    from artlib.predict import ModelCard, save_classifier, load_classifier
    save_classifier("genre.pt", model, ModelCard.for_model(model, "efficientnet_lite1", table.classes, 240,
                                                           views=("letterbox", "start", "end")))
    load_classifier("genre.pt").predict(["query.jpg", "folder/"])     # one row per image and task

    python -m artlib.predict genre.pt paintings/ --out predictions.csv

The checkpoint holds the weights and a :class:`ModelCard`: the registry name, the class names,
the input size and normalisation, the test-time views and margin trimming, so that whoever loads
it feeds the model exactly as it was evaluated. It is a plain tensors-and-lists file, loaded with
``weights_only=True``. Unreadable images are logged and reported in an ``error`` column.
"""

from __future__ import annotations

import argparse
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

from .data.folders import IMAGE_EXTENSIONS, is_hidden
from .data.loaders import make_loader
from .data.table import MISSING, ArtTable
from .data.transforms import Normalization, as_normalization, eval_transform
from .data.tta import VIEWS, MultiView
from .models import create_model, input_normalization
from .train.checkpoint import load_checkpoint, save_checkpoint
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

    def __post_init__(self) -> None:
        self.views = tuple(self.views)
        unknown = [v for v in self.views if v not in VIEWS]
        if unknown or not self.views:
            raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {list(self.views)}")
        if not self.classes or any(len(names) < 2 for names in self.classes.values()):
            raise ValueError("classes needs at least one task with two or more class names")
        self.normalization = as_normalization(self.normalization)
        # the weights come from the file: never ask create_model to fetch pretrained ones again
        self.model_kwargs = {
            k: v for k, v in self.model_kwargs.items() if k not in ("pretrained", "torchvision_weights")
        }

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
        """:func:`make_loaders` keywords that feed the model as it was evaluated: one fitted view
        (``crop``/``letterbox``) or a :class:`artlib.data.tta.MultiView` stack of several."""
        single = len(self.views) == 1 and self.views[0] in ("crop", "letterbox")
        return {
            "normalization": self.normalization,
            "trim_margins": self.trim_margins,
            "letterbox": self.views == ("letterbox",),
            "tta_views": None if single else self.views,
        }

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


def save_classifier(path: str | Path, model: nn.Module, card: ModelCard) -> Path:
    """Write ``model``'s weights with its card (atomically); :func:`load_classifier` reads it back."""
    card.check(model)
    return save_checkpoint({"model": model.state_dict(), "card": card.to_dict()}, path)


class Classifier:
    """A trained model with its card: :meth:`predict` on image files or folders."""

    def __init__(self, model: nn.Module, card: ModelCard, device: str = "auto") -> None:
        self.model, self.card = model, card
        self.device = resolve_device(device)
        self._trainer: Trainer | None = (
            None  # made on the first predict() on files (the Trainer's imports take seconds)
        )

    def transform(self, views: Sequence[str] | None = None) -> Any:
        """The evaluation transform of the card (or of other ``views``): one fitted view or a :class:`MultiView`."""
        views = tuple(views or self.card.views)
        if len(views) == 1 and views[0] in ("crop", "letterbox"):
            return eval_transform(
                self.card.image_size,
                normalization=self.card.normalization,
                fit=views[0],
                trim_margins=self.card.trim_margins,
            )
        return MultiView(views, self.card.image_size, self.card.normalization, trim_margins=self.card.trim_margins)

    @torch.no_grad()
    def probabilities(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None
    ) -> dict[str, np.ndarray]:
        """Class probabilities per task of one decoded RGB image (:func:`artlib.data.images.load_rgb` or
        :func:`~artlib.data.images.decode_rgb`), averaged over the card's views (or ``views``) and, with
        ``flip`` (default: the card's), over their mirror images, as :meth:`predict` scores files."""
        x = self.transform(views)(image=image)["image"]
        x = x if x.ndim == 4 else x[None]
        if self.card.flip_tta if flip is None else flip:
            x = torch.cat([x, torch.flip(x, dims=[-1])])
        self.model.to(self.device).eval()
        out = self.model(x.to(self.device))
        return {task: torch.softmax(logits.float(), 1).mean(0).cpu().numpy() for task, logits in out.items()}

    def predict(
        self, images: Iterable[str | Path], top_k: int = 3, batch_size: int = 32, num_workers: int = 0
    ) -> pd.DataFrame:
        """One row per readable image and task: ``path, task, predicted, confidence, top_k``; unreadable
        images get one row with ``error`` set (logged, never a made-up prediction)."""
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
        preds = self._trainer.predict(loader, flip_tta=self.card.flip_tta)
        indices = preds.indices if preds.indices is not None else np.zeros(0, dtype=np.int64)
        rows = []
        for task, names in self.card.classes.items():
            probs = preds.probs.get(task, np.zeros((0, len(names))))
            for i, p, best in zip(indices, probs, np.argsort(-probs, axis=1)[:, :top_k], strict=True):
                rows.append(
                    {
                        "path": str(paths[i]),
                        "task": task,
                        "predicted": names[best[0]],
                        "confidence": round(float(p[best[0]]), 4),
                        "top_k": "; ".join(f"{names[c]} {p[c]:.3f}" for c in best),
                        "error": None,
                    }
                )
        seen = set(indices.tolist())
        rows += [
            {
                "path": str(p),
                "task": None,
                "predicted": None,
                "confidence": np.nan,
                "top_k": None,
                "error": "unreadable image (see the log)",
            }
            for i, p in enumerate(paths)
            if i not in seen
        ]
        rows += [
            {"path": str(p), "task": None, "predicted": None, "confidence": np.nan, "top_k": None, "error": why}
            for p, why in problems
        ]
        columns = ["path", "task", "predicted", "confidence", "top_k", "error"]
        return pd.DataFrame(rows, columns=columns)


def load_classifier(path: str | Path, device: str = "auto") -> Classifier:
    """Rebuild the model of a :func:`save_classifier` checkpoint (no download: the weights are in the file)."""
    state = load_checkpoint(path)
    if "card" not in state:
        raise ValueError(
            f"{path} has no model card: write it with artlib.predict.save_classifier "
            "(a Trainer checkpoint holds the weights only)"
        )
    card = ModelCard.from_dict(state["card"], path)
    return Classifier(card.rebuild(state["model"], path), card, device=device)


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
            for p in sorted(item.rglob("*")):
                if is_hidden(p, item):
                    continue
                if p.is_symlink() and not p.exists():
                    problems.append((p, f"a link to nothing ({os.readlink(p)})"))
                elif p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS:
                    inside.append(p)
                elif p.is_file():
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


def expand_images(images: Iterable[str | Path]) -> list[Path]:
    """The image files of :func:`find_images` (what it left out is logged)."""
    found, problems = find_images(images)
    for path, why in problems:
        log.warning("skipped %s: %s", path, why)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Classify paintings with a checkpoint written by save_classifier.")
    parser.add_argument(
        "checkpoint",
        type=Path,
        help="a save_classifier file, or the name of a saved artefact "
        "(e.g. 'classifier', made by notebook 08) in ARTLIB_OUTPUTS (default outputs/)",
    )
    parser.add_argument("images", nargs="+", help="image files or folders (searched recursively)")
    parser.add_argument("--out", type=Path, default=None, help="CSV to write (default: print)")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.checkpoint.is_file() or args.checkpoint.suffix:
        classifier = load_classifier(args.checkpoint, args.device)
    else:  # an artefact name, e.g. "classifier" (notebook 08), in ARTLIB_OUTPUTS or outputs/
        from .artifacts import load_classifier as load_artifact
        from .config import default_outputs

        classifier = load_artifact(default_outputs(), str(args.checkpoint), args.device)
    table = classifier.predict(args.images, args.top_k, args.batch_size, args.workers)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
        print(f"{len(table)} rows -> {args.out}")
    else:
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
