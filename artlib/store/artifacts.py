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
``tables/<name>.csv`` with ``<name>.json``. Each kind's files are its codec's (:mod:`artlib.store.codecs`); this
module names, stamps (data, ``made_by``, time) and checks them. A missing artefact raises
:class:`ArtifactNotFoundError`, which names the notebook that makes it (:mod:`artlib.store.makers`: each notebook
declares what it makes).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch.nn as nn

from ..inference.card import ModelCard
from ..inference.classifier import Classifier
from ..trust.open_set import OpenSetBank
from ..utils import run_status
from .codecs import (
    CODECS,
    IdentityCodec,
    IndexArtifact,
    IndexCodec,
    ModelCodec,
    ParamsCodec,
    SavedModel,
    TableCodec,
    read_json,
    write_json,
)
from .makers import maker

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

    from ..config import Settings
    from ..data.table import ArtTable
    from ..data.transforms import Normalization
    from ..identity.model import IdentityModel
    from ..models.siamese import SiameseNet
    from ..retrieval.index import SimilarityIndex
    from ..trust.task_trust import TaskTrust

    #: Where artefacts live: the settings of a run, or its outputs folder.
    Where = Settings | str | Path

ARTIFACTS_DIR = "artifacts"

#: The file suffix of each kind of artefact ("" for a folder), as its codec writes it.
KINDS = {kind: codec.suffix for kind, codec in CODECS.items()}


class ArtifactNotFoundError(FileNotFoundError):
    """An artefact not made (yet) in this outputs folder, or made from other data; the message says how
    to make it."""

    def __init__(
        self, name: str, outputs: Path, kind: str, made_from: str | None = None, made_by: str | None = None
    ) -> None:
        notebook = maker(name, made_by)
        how = (
            f"run notebook {notebook} (python -m artlib.runner --only {notebook.split('_', 1)[0]}, with the same "
            "ARTLIB_* settings)"
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
        self.name, self.notebook, self.made_from = name, notebook, made_from


def _check_data(saved: dict, data: dict | None, where: Where, kind: str, name: str, made_by: str | None = None) -> None:
    """Refuse an artefact made from other data than ``data`` (a :func:`data_record`; None: no check)."""
    if data is not None and not same_data(saved, data):
        made_from = (saved or {}).get("label", "unknown data")
        raise ArtifactNotFoundError(name, outputs_of(where), kind, made_from, made_by)


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


def _again(name: str | None, fallback: str = "save it again with artlib.store.artifacts") -> str:
    """What to do about a damaged or unfinished artefact ``name``: run the notebook that makes it, else ``fallback``."""
    notebook = maker(name) if name else None
    return f"run {notebook} again" if notebook else fallback


# ----------------------------------------------------------------------------------------------- models
def save_model_file(
    path: str | Path,
    model: nn.Module,
    card: ModelCard,
    bank: OpenSetBank | None = None,
    painting_bank: np.ndarray | None = None,
) -> Path:
    """Write ``model``'s weights with its card (atomically, a ``weights_only`` file) and, for an open task with
    a k-NN open-set rule, its ``bank`` of normalised training features; ``painting_bank``: the training paintings
    the card's painting check compares with (:func:`artlib.trust.painting_check.near_bank`). :func:`load_classifier`
    reads it back."""
    return ModelCodec().write(Path(path), SavedModel(model, card, bank, painting_bank))


def load_model_file(
    path: str | Path, device: str = "cpu", name: str | None = None
) -> tuple[nn.Module, ModelCard, OpenSetBank | None]:
    """The model of a :func:`save_model_file` file in eval mode, its card and its open-set banks."""
    again = _again(name, "save it with artlib.store.artifacts.save_model_file")
    saved = ModelCodec().read(Path(path), device, again)
    return saved.model, saved.card, saved.bank


def save_model(
    cfg: Settings,
    name: str,
    model: nn.Module,
    card: ModelCard,
    bank: OpenSetBank | None = None,
    painting_bank: np.ndarray | None = None,
) -> Path:
    """Save ``model`` with ``card`` (and open-set ``bank``, painting check's ``painting_bank``) under ``name``; the
    card gets the configured data and the notebook."""
    stamp = _stamp(cfg)
    card.data = card.data or stamp["data"]
    card.made_by = card.made_by or stamp["made_by"]
    path = save_model_file(_path(cfg, "models", name), model, card, bank, painting_bank)
    write_json(ModelCodec().record(path), {**card.to_dict(), "saved_at": stamp["saved_at"]})
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
    _check_data(card.data, data, where, "model", name, card.made_by)
    return model, card


def load_classifier(
    where: Where, name: str = "classifier", device: str = "auto", data: dict | None = None
) -> Classifier:
    """A saved classifier (the artefact ``name``, or a ``.pt`` file given as ``where``) ready for
    :meth:`~artlib.inference.Classifier.predict` / ``answer``, with its open-set banks."""
    saved = ModelCodec().read(_model_path(where, name), "cpu", _again(name, "save it with save_model_file"))
    _check_data(saved.card.data, data, where, "model", name, saved.card.made_by)
    return Classifier(saved.model, saved.card, device=device, bank=saved.bank, painting_bank=saved.painting_bank)


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
    stamp = _stamp(cfg)
    model.card.data = model.card.data or stamp["data"]
    model.card.made_by = model.card.made_by or stamp["made_by"]
    codec = IdentityCodec()
    path = codec.write(_path(cfg, "models", name), model)
    write_json(codec.record(path), {**model.card.to_dict(), "saved_at": stamp["saved_at"]})
    return path


def load_identity(where: Where, name: str = "identity", data: dict | None = None) -> IdentityModel:
    """A saved identity model (the artefact ``name``, or a ``.pt`` file given as ``where``); one made from other
    data than ``data`` raises :class:`ArtifactNotFoundError`, a damaged one ``ValueError`` naming the field."""
    model = IdentityCodec().read(_model_path(where, name), _again(name, "run notebook 11b_identity again"))
    _check_data(model.card.data, data, where, "identity model", name, model.card.made_by)
    return model


# ---------------------------------------------------------------------------------------------- indexes
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
    meta = {
        **_stamp(cfg),
        "root": str(Path(root).resolve()),
        "embedder": embedder,
        "count": len(items),
        "tasks": list(tasks or []),
    }
    return IndexCodec().write(_path(cfg, "index", name), IndexArtifact(index, items, meta, features))


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
    folder = _require(_path(where, "index", name), where, "index", name)
    return IndexCodec().read(folder, _again(name, "run its notebook again"))


# ------------------------------------------------------------------------------------- params and tables
def save_params(cfg: Settings, name: str, params: dict) -> Path:
    """Save a dict of parameters (e.g. notebook 04's best hyper-parameters)."""
    return ParamsCodec().write(_path(cfg, "params", name), {"params": params, **_stamp(cfg)})


def load_params(where: Where, name: str, data: dict | None = None) -> dict:
    """Saved parameters; with ``data`` (a :func:`data_record`), parameters found on other data raise
    :class:`ArtifactNotFoundError` too (they do not belong to this data)."""
    saved = ParamsCodec().read(_require(_path(where, "params", name), where, "params", name))
    _check_data(saved.get("data", {}), data, where, "params", name, saved.get("made_by"))
    return saved["params"]


def save_frame(cfg: Settings, name: str, frame: pd.DataFrame, **info: Any) -> Path:
    """Save a table (e.g. notebook 13's suspects) with ``info`` (JSON values) beside it."""
    codec = TableCodec()
    path = codec.write(_path(cfg, "tables", name), frame)
    write_json(codec.record(path), {**_stamp(cfg), "rows": len(frame), "info": info})
    return path


def load_frame(where: Where, name: str) -> tuple[pd.DataFrame, dict]:
    """A saved table and its ``{"data": .., "info": .., ...}`` record."""
    codec = TableCodec()
    path = _require(_path(where, "tables", name), where, "table", name)
    meta = read_json(codec.record(path)) if codec.record(path).is_file() else {}
    return codec.read(path), meta


def list_artifacts(where: Where) -> pd.DataFrame:
    """Every artefact of an outputs folder: ``kind, name, made_by, data, saved_at``."""
    base = outputs_of(where) / ARTIFACTS_DIR
    rows = []
    for kind, codec in CODECS.items():
        folder = base / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if codec.suffix and (path.suffix != codec.suffix or path.name.startswith(".")):
                continue
            if not codec.suffix and not path.is_dir():
                continue
            record = codec.record(path)
            meta = read_json(record) if record.is_file() else {}
            rows.append(
                {
                    "kind": kind,
                    "name": path.stem if codec.suffix else path.name,
                    "made_by": meta.get("made_by"),
                    "data": (meta.get("data") or {}).get("label"),
                    "saved_at": meta.get("saved_at"),
                }
            )
    return pd.DataFrame(rows, columns=["kind", "name", "made_by", "data", "saved_at"])
