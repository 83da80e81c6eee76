"""What the notebooks make, saved and loaded by name: models, similarity indexes, parameters and tables.

    from artlib import artifacts
    artifacts.save_model(cfg, "classifier", model, card)          # notebook 08
    model, card = artifacts.load_model(cfg, "classifier")         # notebook 11, the app: no notebook code needed
    artifacts.load_index("outputs/", "image_index").items          # ids, paths, labels, titles

Everything lives under ``<outputs>/artifacts/``: ``models/<name>.pt`` (weights and the
:class:`~artlib.inference.ModelCard`: registry name and build arguments, as nanoGPT stores ``model_args``,
classes, input size and normalisation, the data and split it was trained on, test scores with intervals)
with a readable ``<name>.json`` copy of the card; ``index/<name>/`` (a
:class:`~artlib.retrieval.SimilarityIndex`, ``items.csv`` and ``artifact.json``); ``params/<name>.json``;
``tables/<name>.csv`` with ``<name>.json``. A missing artefact raises :class:`ArtifactNotFoundError`,
which names the notebook that makes it.
"""

from __future__ import annotations

import fnmatch
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch.nn as nn

from ..inference.card import ModelCard
from ..inference.classifier import Classifier
from ..train.checkpoint import load_checkpoint, save_checkpoint
from ..trust.open_set import OpenSetBank
from ..utils import run_status
from ..utils.files import atomic_write

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

    from ..config import Settings
    from ..data.table import ArtTable
    from ..data.transforms import Normalization
    from ..identity.model import IdentityModel
    from ..models.siamese import SiameseNet
    from ..retrieval.embedder_card import EmbedderCard
    from ..retrieval.index import SimilarityIndex
    from ..trust.task_trust import TaskTrust

    #: Where artefacts live: the settings of a run, or its outputs folder.
    Where = Settings | str | Path

ARTIFACTS_DIR = "artifacts"

#: Which notebook makes each artefact (``fnmatch`` patterns): a missing one says where it comes from.
MAKERS: dict[str, str] = {
    "baseline_cnn": "03_baseline_cnn",
    "hpo_params": "04_hpo",
    "classifier": "08_efficientnet",
    "metric_*": "10_metric_learning",
    "identity": "11b_identity",
    "same_artist": "12_siamese_pairs",
    "suspects": "13_outliers",
    "image_index": "14_similarity",
    "title_index": "14_similarity",
    "map": "14_similarity",
}

KINDS = {"models": ".pt", "index": "", "params": ".json", "tables": ".csv"}


def maker(name: str) -> str | None:
    """The notebook that makes artefact ``name`` (None for one it does not know)."""
    return next((nb for pattern, nb in MAKERS.items() if fnmatch.fnmatchcase(name, pattern)), None)


class ArtifactNotFoundError(FileNotFoundError):
    """An artefact not made (yet) in this outputs folder, or made from other data; the message says how
    to make it."""

    def __init__(self, name: str, outputs: Path, kind: str, made_from: str | None = None) -> None:
        notebook = maker(name)
        how = (
            f"run notebook {notebook} (python -m artlib.runner --only {notebook[:2]}, with the same ARTLIB_* settings)"
            if notebook
            else "save it with artlib.store.artifacts"
        )
        where = Path(outputs) / ARTIFACTS_DIR
        what = (
            f"the {kind} artefact {name!r} in {where} was made from {made_from}, not from the configured data"
            if made_from
            else f"no {kind} artefact {name!r} in {where}"
        )
        super().__init__(f"{what}: {how}")
        self.name, self.notebook = name, notebook


def _check_data(saved: dict, data: dict | None, where: Where, kind: str, name: str) -> None:
    """Refuse an artefact made from other data than ``data`` (a :func:`data_record`; None: no check)."""
    if data is not None and not same_data(saved, data):
        raise ArtifactNotFoundError(name, outputs_of(where), kind, (saved or {}).get("label", "unknown data"))


def outputs_of(where: Where) -> Path:
    """The outputs folder of ``where``: a :class:`~artlib.config.Settings` or a path."""
    return Path(where) if isinstance(where, (str, Path)) else Path(where.outputs)


def _path(where: Where, kind: str, name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"an artefact name is a plain file name, got {name!r}")
    return outputs_of(where) / ARTIFACTS_DIR / kind / f"{name}{KINDS[kind]}"


def _require(path: Path, where: Where, kind: str, name: str) -> Path:
    if not path.exists():
        raise ArtifactNotFoundError(name, outputs_of(where), kind)
    return path


def data_record(cfg: Settings) -> dict:
    """The data an artefact was made from: a label for people and the signature that splits are keyed by."""
    from ..data.prepare import source_signature

    return {"label": cfg.source_label, "signature": source_signature(cfg)}


def same_data(a: dict, b: dict) -> bool:
    """Whether two :func:`data_record` s name the same data (an empty record matches nothing)."""
    return bool(a) and bool(b) and a.get("signature") == b.get("signature")


def _stamp(cfg: Settings) -> dict:
    return {
        "data": data_record(cfg),
        "made_by": run_status.notebook_name(),
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is damaged ({exc}): run the notebook that makes it again") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{path} is damaged (not a JSON object): run the notebook that makes it again")
    return value


def _write_json(path: Path, value: dict) -> Path:
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(value, indent=1, default=str), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------- models
def save_model_file(path: str | Path, model: nn.Module, card: ModelCard, bank: OpenSetBank | None = None) -> Path:
    """Write ``model``'s weights with its card (atomically, a ``weights_only`` file) and, for an open task with
    a k-NN open-set rule, its ``bank`` of normalised training features; :func:`load_classifier` reads it back."""
    import torch

    card.check(model)
    state: dict[str, Any] = {"model": model.state_dict(), "card": card.to_dict()}
    if bank is not None:
        state["open_set_bank"] = {
            "features": torch.as_tensor(bank.features.astype(np.float16)),
            "known": {task: torch.as_tensor(flags) for task, flags in bank.known.items()},
        }
    return save_checkpoint(state, path)


def load_model_file(
    path: str | Path, device: str = "cpu", name: str | None = None
) -> tuple[nn.Module, ModelCard, OpenSetBank | None]:
    """The model of a :func:`save_model_file` file in eval mode, its card and its open-set banks."""
    state = load_checkpoint(path, map_location=device)
    if "card" not in state or "model" not in state:
        again = (
            f"run {maker(name)} again"
            if name and maker(name)
            else "save it with artlib.store.artifacts.save_model_file"
        )
        raise ValueError(f"{path} has no model card (a Trainer checkpoint holds the weights only): {again}")
    card = ModelCard.from_dict(state["card"], path)
    saved = state.get("open_set_bank")
    bank = (
        OpenSetBank(saved["features"].float().numpy(), {t: k.numpy() for t, k in saved["known"].items()})
        if saved
        else None
    )
    return card.rebuild(state["model"], path).to(device), card, bank


def save_model(cfg: Settings, name: str, model: nn.Module, card: ModelCard, bank: OpenSetBank | None = None) -> Path:
    """Save ``model`` with ``card`` (and open-set ``bank``) under ``name``; the card gets the configured data and
    the notebook."""
    stamp = _stamp(cfg)
    card.data = card.data or stamp["data"]
    card.made_by = card.made_by or stamp["made_by"]
    path = save_model_file(_path(cfg, "models", name), model, card, bank)
    _write_json(path.with_suffix(".json"), {**card.to_dict(), "saved_at": stamp["saved_at"]})
    return path


#: Suffixes of other libraries' model files, which artlib cannot read as a model with its card.
FOREIGN_MODEL_SUFFIXES = (".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".safetensors", ".h5", ".onnx")


def _model_path(where: Where, name: str) -> Path:
    """A model file given by path (``where`` a ``.pt`` file), else the artefact ``name`` of an outputs folder; a
    file of another kind (``.pth``, ``.ckpt``, ``.pkl``...) is refused as not an artlib model file."""
    if isinstance(where, (str, Path)):
        path = Path(where)
        if path.suffix.lower() in FOREIGN_MODEL_SUFFIXES or (path.is_file() and path.suffix != ".pt"):
            raise ValueError(
                f"{path} is not an artlib model file: artlib reads the .pt files it saves with their card "
                "(artlib.store.artifacts.save_model_file, or a notebook's artefact); weights of another library "
                "must be loaded into an artlib model and saved that way first"
            )
    if isinstance(where, (str, Path)) and Path(where).suffix == ".pt":
        if not Path(where).is_file():
            raise FileNotFoundError(f"no model file {where}")
        return Path(where)
    return _require(_path(where, "models", name), where, "model", name)


def load_model(where: Where, name: str, device: str = "cpu", data: dict | None = None) -> tuple[nn.Module, ModelCard]:
    """Rebuild a saved model from its card (``create_model(card.model, ..., **card.model_kwargs)``),
    load its weights and return it in eval mode with the card. ``where``: an outputs folder (or settings) holding
    the artefact ``name``, or a ``.pt`` file. With ``data`` (a :func:`data_record`), a model trained on other data
    raises :class:`ArtifactNotFoundError`."""
    model, card, _ = load_model_file(_model_path(where, name), device, name)
    _check_data(card.data, data, where, "model", name)
    return model, card


def load_classifier(
    where: Where, name: str = "classifier", device: str = "auto", data: dict | None = None
) -> Classifier:
    """A saved classifier (the artefact ``name``, or a ``.pt`` file given as ``where``) ready for
    :meth:`~artlib.inference.Classifier.predict` / ``answer``, with its open-set banks."""
    model, card, bank = load_model_file(_model_path(where, name), "cpu", name)
    _check_data(card.data, data, where, "model", name)
    return Classifier(model, card, device=device, bank=bank)


def save_siamese_head(
    cfg: Settings,
    name: str,
    head: SiameseNet,
    backbone: str,
    scaler: StandardScaler,
    image_size: int,
    scores: dict | None = None,
    trust: TaskTrust | None = None,
) -> Path:
    """Save a Siamese head trained on standardised frozen features of ``backbone`` (pretrained, at
    ``image_size``) as a ``siamese_head`` that standardises raw features itself (``scaler``: the fitted
    ``StandardScaler``), so whoever loads it scores pairs of raw features; ``trust``: its calibration
    (:func:`artlib.pairs.runs.same_artist_trust`), applied by whoever shows its probability."""
    from ..models import create_backbone
    from ..models.siamese import standardized_head

    saved = standardized_head(head, scaler.mean_, scaler.scale_)
    card = ModelCard.for_model(
        create_backbone(backbone),
        "siamese_head",
        {"same": ["different artist", "same artist"]},
        image_size,
        flip_tta=False,
        features_from=backbone,
        scores={"same": dict(scores or {})},
        feature_dim=saved.feature_dim,
        combine=saved.combine,
        hidden=saved.hidden,
    )
    if trust is not None:
        card.trust = {"same": trust.to_dict()}
    return save_model(cfg, name, saved, card)


def save_identity(cfg: Settings, name: str, model: IdentityModel) -> Path:
    """Save an identity model (:mod:`artlib.identity`: head, classifier, card and the collection's identity
    vectors) under ``name``, with a readable copy of its card."""
    from ..identity.model import identity_state

    stamp = _stamp(cfg)
    model.card.data = model.card.data or stamp["data"]
    model.card.made_by = model.card.made_by or stamp["made_by"]
    path = _path(cfg, "models", name)
    save_checkpoint(identity_state(model), path)
    _write_json(path.with_suffix(".json"), {**model.card.to_dict(), "saved_at": stamp["saved_at"]})
    return path


def load_identity(where: Where, name: str = "identity", data: dict | None = None) -> IdentityModel:
    """A saved identity model (the artefact ``name``, or a ``.pt`` file given as ``where``); one made from other
    data than ``data`` raises :class:`ArtifactNotFoundError`, a damaged one ``ValueError`` naming the field."""
    from ..identity.model import identity_from_state

    path = _model_path(where, name)
    state = load_checkpoint(path, map_location="cpu")
    if not isinstance(state, dict) or state.get("kind") != "identity":
        raise ValueError(f"{path} is not an identity model file: run notebook {maker(name) or '11b_identity'} again")
    model = identity_from_state(state)
    _check_data(model.card.data, data, where, "identity model", name)
    return model


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


def collection_items(table: ArtTable, ids: list[str]) -> pd.DataFrame:
    """One row per painting of an :class:`~artlib.data.ArtTable` for an index: ``id``, ``path``, the class
    name of each task, ``artist_name`` and ``title`` where the data has them (:mod:`artlib.data.derived`)."""
    from ..data.derived import artists, titles

    items = pd.DataFrame({"id": [str(i) for i in ids], "path": table.frame["path"].astype(str).to_numpy()})
    for task in table.tasks:
        items[task] = table.label_names(task).to_numpy()
    for column, (values, _) in (("artist_name", artists(table)), ("title", titles(table))):
        if values is not None:
            items[column] = values.to_numpy()
    return items


def save_index(
    cfg: Settings,
    name: str,
    index: SimilarityIndex,
    items: pd.DataFrame,
    root: str | Path,
    embedder: dict,
    tasks: list[str] | None = None,
    features: np.ndarray | None = None,
) -> Path:
    """Save ``index`` with its ``items`` (same order as the index's ids) and how the vectors were made;
    ``features``: the vectors before cosine normalisation (a model on raw features needs them)."""
    if "id" not in items or "path" not in items:
        raise ValueError("items needs 'id' and 'path' columns")
    if [str(i) for i in items["id"]] != list(index.ids):
        raise ValueError(f"items ({len(items)} rows) do not list the index's {len(index)} ids in its order")
    folder = _path(cfg, "index", name)
    index.save(folder)
    with atomic_write(folder / "items.csv") as tmp:
        items.to_csv(tmp, index=False)
    if features is not None:
        if len(features) != len(index):
            raise ValueError(f"{len(features)} feature rows for an index of {len(index)}")
        with atomic_write(folder / "features.npy", suffix=".npy") as tmp:
            np.save(tmp, np.asarray(features, dtype=np.float32))
    else:
        (folder / "features.npy").unlink(missing_ok=True)
    meta = {
        **_stamp(cfg),
        "root": str(Path(root).resolve()),
        "embedder": embedder,
        "count": len(items),
        "tasks": list(tasks or []),
    }
    return _write_json(folder / "artifact.json", meta).parent  # last: it vouches for the files above


def save_collection(
    cfg: Settings,
    table: ArtTable,
    ids: list[str],
    image_index: SimilarityIndex,
    features: np.ndarray,
    model: str,
    image_size: int,
    normalization: Normalization,
    title_index: SimilarityIndex | None = None,
    thumbnails: bool = True,
) -> dict[str, Path]:
    """Save a collection's image index (``image_index``, made from ``features`` of the pretrained ``model``
    at ``image_size``, centre crop) and title index by name, with every painting's labels, title and path,
    and make its thumbnails (:class:`artlib.store.thumbnails.Thumbnails`) for galleries."""
    items = collection_items(table, ids)
    from ..retrieval.embedder_card import EmbedderCard

    embedder = EmbedderCard(model, image_size, normalization).to_dict()
    saved = {
        "image_index": save_index(
            cfg, "image_index", image_index, items, table.root or Path(), embedder, tasks=table.tasks, features=features
        )
    }
    if title_index is not None:
        saved["title_index"] = save_index(
            cfg,
            "title_index",
            title_index,
            items,
            table.root or Path(),
            {"encoder": "all-MiniLM-L6-v2"},
            tasks=table.tasks,
        )
    if thumbnails:
        from .thumbnails import collection_thumbnails

        collection_thumbnails(outputs_of(cfg)).build(table.image_paths())
    return saved


def load_index(where: Where, name: str) -> IndexArtifact:
    """A saved index with its items; files that do not belong together raise ``ValueError``."""
    from ..retrieval.index import SimilarityIndex

    folder = _require(_path(where, "index", name), where, "index", name)
    if not (folder / "artifact.json").is_file():
        raise ValueError(
            f"{folder} holds no complete index artefact (artifact.json missing: an interrupted "
            f"save): run {maker(name) or 'its notebook'} again"
        )
    meta = _read_json(folder / "artifact.json")
    index = SimilarityIndex.load(folder)
    items = pd.read_csv(folder / "items.csv", dtype={"id": str}, keep_default_na=False, na_values=[""])
    if items["id"].tolist() != index.ids:
        raise ValueError(
            f"{folder}: items.csv does not list the index's ids (files from different saves): "
            f"run {maker(name) or 'its notebook'} again"
        )
    features = np.load(folder / "features.npy") if (folder / "features.npy").is_file() else None
    if features is not None and features.shape[0] != len(index):
        raise ValueError(
            f"{folder}: features.npy has {features.shape[0]} rows for {len(index)} items: "
            f"run {maker(name) or 'its notebook'} again"
        )
    return IndexArtifact(index, items, meta, features)


# ------------------------------------------------------------------------------------- params and tables
def save_params(cfg: Settings, name: str, params: dict) -> Path:
    """Save a dict of parameters (e.g. notebook 04's best hyper-parameters)."""
    return _write_json(_path(cfg, "params", name), {"params": params, **_stamp(cfg)})


def load_params(where: Where, name: str, data: dict | None = None) -> dict:
    """Saved parameters; with ``data`` (a :func:`data_record`), parameters found on other data raise
    :class:`ArtifactNotFoundError` too (they do not belong to this data)."""
    path = _require(_path(where, "params", name), where, "params", name)
    saved = _read_json(path)
    _check_data(saved.get("data", {}), data, where, "params", name)
    return saved["params"]


def save_frame(cfg: Settings, name: str, frame: pd.DataFrame, **info: Any) -> Path:
    """Save a table (e.g. notebook 13's suspects) with ``info`` (JSON values) beside it."""
    path = _path(cfg, "tables", name)
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False)
    _write_json(path.with_suffix(".json"), {**_stamp(cfg), "rows": len(frame), "info": info})
    return path


def load_frame(where: Where, name: str) -> tuple[pd.DataFrame, dict]:
    """A saved table and its ``{"data": .., "info": .., ...}`` record."""
    path = _require(_path(where, "tables", name), where, "table", name)
    meta = _read_json(path.with_suffix(".json")) if path.with_suffix(".json").is_file() else {}
    return pd.read_csv(path, keep_default_na=False, na_values=[""]), meta


def list_artifacts(where: Where) -> pd.DataFrame:
    """Every artefact of an outputs folder: ``kind, name, made_by, data, saved_at``."""
    base = outputs_of(where) / ARTIFACTS_DIR
    rows = []
    for kind, suffix in KINDS.items():
        folder = base / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if kind == "index" and path.is_dir():
                record, name = path / "artifact.json", path.name
            elif suffix and path.suffix == suffix and not path.name.startswith("."):
                record, name = path.with_suffix(".json"), path.stem
            else:
                continue
            meta = _read_json(record) if record.is_file() else {}
            rows.append(
                {
                    "kind": kind,
                    "name": name,
                    "made_by": meta.get("made_by"),
                    "data": (meta.get("data") or {}).get("label"),
                    "saved_at": meta.get("saved_at"),
                }
            )
    return pd.DataFrame(rows, columns=["kind", "name", "made_by", "data", "saved_at"])
