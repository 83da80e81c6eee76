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
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch.nn as nn

from .data.folders import IMAGE_EXTENSIONS
from .data.loaders import make_loaders
from .data.table import MISSING, ArtTable
from .data.transforms import Normalization
from .data.tta import VIEWS
from .models import create_model, input_normalization
from .train.checkpoint import load_checkpoint, save_checkpoint

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

    def __post_init__(self) -> None:
        self.views = tuple(self.views)
        unknown = [v for v in self.views if v not in VIEWS]
        if unknown or not self.views:
            raise ValueError(f"views must be a non-empty subset of {VIEWS}, got {list(self.views)}")
        if not self.classes or any(len(names) < 2 for names in self.classes.values()):
            raise ValueError("classes needs at least one task with two or more class names")
        self.normalization = tuple(tuple(float(v) for v in part) for part in self.normalization)
        # the weights come from the file: never ask create_model to fetch pretrained ones again
        self.model_kwargs = {k: v for k, v in self.model_kwargs.items() if k not in ("pretrained", "torchvision_weights")}

    @classmethod
    def for_model(cls, model: nn.Module, name: str, classes: dict[str, list[str]], image_size: int,
                  views: Sequence[str] = ("crop",), flip_tta: bool = True, trim_margins: bool = False,
                  **model_kwargs) -> "ModelCard":
        """A card for ``model`` (built as ``create_model(name, ...)``), with the normalisation it declares."""
        return cls(name, {t: list(c) for t, c in classes.items()}, image_size, input_normalization(model),
                   tuple(views), flip_tta, model_kwargs, trim_margins)

    def loader_options(self) -> dict:
        """:func:`make_loaders` keywords that feed the model as it was evaluated: one fitted view
        (``crop``/``letterbox``) or a :class:`artlib.data.tta.MultiView` stack of several."""
        single = len(self.views) == 1 and self.views[0] in ("crop", "letterbox")
        return {"normalization": self.normalization, "trim_margins": self.trim_margins,
                "letterbox": self.views == ("letterbox",), "tta_views": None if single else self.views}

    def build(self) -> nn.Module:
        """The model architecture of the card, with untrained weights."""
        return create_model(self.model, {task: len(names) for task, names in self.classes.items()},
                            **self.model_kwargs)


def save_classifier(path: str | Path, model: nn.Module, card: ModelCard) -> Path:
    """Write ``model``'s weights with its card (atomically); :func:`load_classifier` reads it back."""
    if set(card.build().state_dict()) != set(model.state_dict()):
        raise ValueError(f"model does not match its card: create_model({card.model!r}) with the card's "
                         f"classes {list(card.classes)} has other weights")
    card_dict = asdict(card)
    card_dict["views"] = list(card.views)
    card_dict["normalization"] = [list(part) for part in card.normalization]
    return save_checkpoint({"model": model.state_dict(), "card": card_dict}, path)


class Classifier:
    """A trained model with its card: :meth:`predict` on image files or folders."""

    def __init__(self, model: nn.Module, card: ModelCard, device: str = "auto") -> None:
        from .train import TrainConfig, Trainer
        self.model, self.card = model, card
        self._trainer = Trainer(model, TrainConfig(device=device, progress=False))

    def predict(self, images: Iterable[str | Path], top_k: int = 3, batch_size: int = 32,
                num_workers: int = 0) -> pd.DataFrame:
        """One row per readable image and task: ``path, task, predicted, confidence, top_k``; unreadable
        images get one row with ``error`` set (logged, never a made-up prediction)."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        paths = expand_images(images)
        table = ArtTable(pd.DataFrame({"path": [str(p) for p in paths],
                                       **{task: MISSING for task in self.card.classes}}), self.card.classes)
        loader = make_loaders({"images": table}, self.card.image_size, batch_size, num_workers, return_index=True,
                              **self.card.loader_options())["images"]  # unreadable images are skipped and logged
        preds = self._trainer.predict(loader, flip_tta=self.card.flip_tta)
        indices = preds.indices if preds.indices is not None else np.zeros(0, dtype=np.int64)
        rows = []
        for task, names in self.card.classes.items():
            probs = preds.probs.get(task, np.zeros((0, len(names))))
            for i, p, best in zip(indices, probs, np.argsort(-probs, axis=1)[:, :top_k]):
                rows.append({"path": str(paths[i]), "task": task, "predicted": names[best[0]],
                             "confidence": round(float(p[best[0]]), 4),
                             "top_k": "; ".join(f"{names[c]} {p[c]:.3f}" for c in best), "error": None})
        seen = set(indices.tolist())
        rows += [{"path": str(p), "task": None, "predicted": None, "confidence": np.nan, "top_k": None,
                  "error": "unreadable image (see the log)"} for i, p in enumerate(paths) if i not in seen]
        columns = ["path", "task", "predicted", "confidence", "top_k", "error"]
        return pd.DataFrame(rows, columns=columns)


def load_classifier(path: str | Path, device: str = "auto") -> Classifier:
    """Rebuild the model of a :func:`save_classifier` checkpoint (no download: the weights are in the file)."""
    state = load_checkpoint(path)
    if "card" not in state:
        raise ValueError(f"{path} has no model card: write it with artlib.predict.save_classifier "
                         "(a Trainer checkpoint holds the weights only)")
    card = ModelCard(**state["card"])
    model = card.build()
    model.load_state_dict(state["model"])
    return Classifier(model.eval(), card, device=device)


def expand_images(images: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders expanded (recursively, sorted) to their image files. Missing paths raise."""
    out: list[Path] = []
    for item in images:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
            if not found:
                log.warning("no image files under %s", item)
            out += found
        elif item.exists():
            out.append(item)
        else:
            raise FileNotFoundError(f"no such image or folder: {item}")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Classify paintings with a checkpoint written by save_classifier.")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("images", nargs="+", help="image files or folders (searched recursively)")
    parser.add_argument("--out", type=Path, default=None, help="CSV to write (default: print)")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    table = load_classifier(args.checkpoint, args.device).predict(args.images, args.top_k, args.batch_size,
                                                                  args.workers)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
        print(f"{len(table)} rows -> {args.out}")
    else:
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
