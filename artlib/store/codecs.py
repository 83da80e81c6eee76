"""One codec per kind of artefact: how its files are written and read back, and nothing about names or notebooks
(:mod:`artlib.store.artifacts` names them, stamps them with their data and maker, and refuses those of other data).

Each codec has ``kind`` (the folder under ``artifacts/``), ``suffix`` (of the file, "" for a folder), ``record``
(the readable JSON beside it, or inside a folder), ``write(path, value)`` and ``read(path)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import torch.nn as nn

from ..inference.card import ModelCard
from ..train.checkpoint import load_checkpoint, save_checkpoint
from ..trust.open_set import OpenSetBank
from ..trust.painting_check import checked_bank
from ..utils.files import atomic_write

if TYPE_CHECKING:
    from ..identity.model import IdentityModel
    from ..retrieval.embedder_card import EmbedderCard


def read_json(path: Path, again: str = "run the notebook that makes it again") -> dict:
    """A JSON object from ``path``; a damaged or non-object file raises ``ValueError`` saying what to do."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is damaged ({exc}): {again}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{path} is damaged (not a JSON object): {again}")
    return value


def write_json(path: Path, value: dict) -> Path:
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(value, indent=1, default=str), encoding="utf-8")
    return path


class Codec:
    """The files of one kind of artefact."""

    kind: ClassVar[str]
    suffix: ClassVar[str]

    def record(self, path: Path) -> Path:
        """The readable JSON record of the artefact at ``path`` (made_by, data, saved_at, ...)."""
        return path / "artifact.json" if not self.suffix else path.with_suffix(".json")

    def write(self, path: Path, value: Any) -> Path:
        raise NotImplementedError

    def read(self, path: Path) -> Any:
        raise NotImplementedError


# ----------------------------------------------------------------------------------------------- models
@dataclass
class SavedModel:
    """A classifier (or Siamese head) with its card and, for an open task with a k-NN rule, its open-set bank."""

    model: nn.Module
    card: ModelCard
    bank: OpenSetBank | None = None
    #: the training paintings' features the painting check's nearness rule compares with (its reference's)
    painting_bank: np.ndarray | None = None


class ModelCodec(Codec):
    """``models/<name>.pt``: the weights with their :class:`ModelCard` (a ``weights_only`` file, written
    atomically) and the open-set bank; the card is checked against the weights when read."""

    kind, suffix = "models", ".pt"

    def write(self, path: Path, value: SavedModel) -> Path:
        import torch

        value.card.check(value.model)
        state: dict[str, Any] = {"model": value.model.state_dict(), "card": value.card.to_dict()}
        if value.bank is not None:
            state["open_set_bank"] = {
                "features": torch.as_tensor(value.bank.features.astype(np.float16)),
                "known": {task: torch.as_tensor(flags) for task, flags in value.bank.known.items()},
            }
        if value.painting_bank is not None:
            state["painting_bank"] = torch.as_tensor(_painting_bank(value.painting_bank, value.card, path))
        return save_checkpoint(state, path)

    def read(self, path: Path, device: str = "cpu", again: str = "save it with save_model_file") -> SavedModel:
        state = load_checkpoint(path, map_location=device)
        if not isinstance(state, dict) or "card" not in state or "model" not in state:
            raise ValueError(f"{path} has no model card (a Trainer checkpoint holds the weights only): {again}")
        card = ModelCard.from_dict(state["card"], path)
        saved = state.get("open_set_bank")
        bank = (
            OpenSetBank(saved["features"].float().numpy(), {t: k.numpy() for t, k in saved["known"].items()})
            if saved
            else None
        )
        painting = state.get("painting_bank")
        painting = None if painting is None else _painting_bank(painting, card, path)
        return SavedModel(card.rebuild(state["model"], path).to(device), card, bank, painting)


def _painting_bank(bank: Any, card: ModelCard, source: str | Path) -> np.ndarray:
    """``bank`` (an array, or the tensor a file holds) checked against the card's painting check
    (:func:`artlib.trust.painting_check.checked_bank`)."""
    import torch

    rows = bank.float().numpy() if isinstance(bank, torch.Tensor) else bank
    width = None if card.painting is None else len(card.painting["weights"])
    return checked_bank(rows, width, f"the painting_bank in {source}", "save the model again")


class IdentityCodec(Codec):
    """``models/<name>.pt`` of kind ``identity``: an :class:`~artlib.identity.IdentityModel` (head, classifier,
    card and the collection's identity vectors)."""

    kind, suffix = "models", ".pt"

    def write(self, path: Path, value: IdentityModel) -> Path:
        from ..identity.model import identity_state

        return save_checkpoint(identity_state(value), path)

    def read(self, path: Path, again: str = "run notebook 11b_identity again") -> IdentityModel:
        from ..identity.model import identity_from_state

        state = load_checkpoint(path, map_location="cpu")
        if not isinstance(state, dict) or state.get("kind") != "identity":
            raise ValueError(f"{path} is not an identity model file: {again}")
        return identity_from_state(state)


# ---------------------------------------------------------------------------------------------- indexes
@dataclass
class IndexArtifact:
    """A similarity index with one row of ``items`` per stored vector (``id``, ``path`` relative to
    ``root``, label names per task, ``title`` where the data has titles) and how its vectors were made."""

    index: Any  # artlib.retrieval.SimilarityIndex
    items: pd.DataFrame
    meta: dict
    features: np.ndarray | None = None  # the vectors before normalisation, when saved

    @property
    def root(self) -> Path:
        return Path(self.meta["root"])

    @property
    def tasks(self) -> list[str]:
        return list(self.meta.get("tasks", []))

    @property
    def embedder(self) -> dict:
        """``{"model": name, "image_size": .., "normalization": .., "fit": ..}`` or ``{"encoder": name}``."""
        return self.meta.get("embedder", {})

    @property
    def data(self) -> dict:
        return self.meta.get("data", {})

    @property
    def embedder_card(self) -> EmbedderCard | None:
        """How the image vectors were made (None for a text index); a damaged record raises ``ValueError``."""
        from ..retrieval.embedder_card import EmbedderCard

        return EmbedderCard.from_dict(self.embedder) if "model" in self.embedder else None


class IndexCodec(Codec):
    """``index/<name>/``: the index's own files, ``items.csv``, ``features.npy`` (raw vectors, when saved) and
    ``artifact.json``, written last: it vouches for the files before it."""

    kind, suffix = "index", ""

    def write(self, path: Path, value: IndexArtifact) -> Path:
        index, items, features = value.index, value.items, value.features
        if "id" not in items or "path" not in items:
            raise ValueError("items needs 'id' and 'path' columns")
        if [str(i) for i in items["id"]] != list(index.ids):
            raise ValueError(f"items ({len(items)} rows) do not list the index's {len(index)} ids in its order")
        if features is not None and len(features) != len(index):
            raise ValueError(f"{len(features)} feature rows for an index of {len(index)}")
        index.save(path)
        with atomic_write(path / "items.csv") as tmp:
            items.to_csv(tmp, index=False)
        if features is not None:
            with atomic_write(path / "features.npy", suffix=".npy") as tmp:
                np.save(tmp, np.asarray(features, dtype=np.float32))
        else:
            (path / "features.npy").unlink(missing_ok=True)
        return write_json(self.record(path), value.meta).parent

    def read(self, path: Path, again: str = "run its notebook again") -> IndexArtifact:
        from ..retrieval.index import SimilarityIndex

        if not self.record(path).is_file():
            raise ValueError(
                f"{path} holds no complete index artefact (artifact.json missing: an interrupted save): {again}"
            )
        meta = read_json(self.record(path), again)
        index = SimilarityIndex.load(path)
        items = pd.read_csv(path / "items.csv", dtype={"id": str}, keep_default_na=False, na_values=[""])
        if items["id"].tolist() != index.ids:
            raise ValueError(f"{path}: items.csv does not list the index's ids (files from different saves): {again}")
        features = np.load(path / "features.npy") if (path / "features.npy").is_file() else None
        if features is not None and features.shape[0] != len(index):
            raise ValueError(f"{path}: features.npy has {features.shape[0]} rows for {len(index)} items: {again}")
        return IndexArtifact(index, items, meta, features)


# ------------------------------------------------------------------------------------- params and tables
class ParamsCodec(Codec):
    """``params/<name>.json``: ``{"params": {...}, "data": .., "made_by": .., "saved_at": ..}`` (its own record)."""

    kind, suffix = "params", ".json"

    def record(self, path: Path) -> Path:
        return path

    def write(self, path: Path, value: dict) -> Path:
        return write_json(path, value)

    def read(self, path: Path) -> dict:
        return read_json(path)


class TableCodec(Codec):
    """``tables/<name>.csv`` with its ``<name>.json`` record (rows and the saver's ``info``)."""

    kind, suffix = "tables", ".csv"

    def write(self, path: Path, value: pd.DataFrame) -> Path:
        with atomic_write(path) as tmp:
            value.to_csv(tmp, index=False)
        return path

    def read(self, path: Path) -> pd.DataFrame:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])


#: The codec of each folder under ``artifacts/`` (identity models share ``models`` with classifiers).
CODECS: dict[str, Codec] = {codec.kind: codec for codec in (ModelCodec(), IndexCodec(), ParamsCodec(), TableCodec())}
