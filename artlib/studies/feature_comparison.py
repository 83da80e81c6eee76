"""Notebook 11's other contenders: the models earlier notebooks saved by name (from this data), each scored on
the same test paintings as the classifiers on frozen features.

    predictions |= saved_model_predictions(cfg, tables, task)   # {name: (true codes, predicted codes)}
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from ..data.table import ArtTable

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)

Scored = tuple[np.ndarray, np.ndarray]
Saved = TypeVar("Saved")


def _saved(cfg: Settings, name: str, load: Callable[..., Saved]) -> Saved | None:
    """What ``load`` (``artifacts.load_model``: ``(model, card)``; ``artifacts.load_classifier``: a
    :class:`~artlib.inference.Classifier`) reads of the artefact ``name`` another notebook saved from this data, or
    None with the reason printed."""
    from ..store import artifacts

    try:
        return load(cfg, name, data=artifacts.data_record(cfg))
    except artifacts.ArtifactNotFoundError as exc:
        print("left out:", exc)
        return None


def direct_cnn(cfg: Settings, test: ArtTable, task: str) -> Scored | None:
    """Notebook 03's CNN, fed as its card says."""
    from ..data.loaders import make_loader
    from ..evaluation.predict import predict
    from ..store import artifacts

    found = _saved(cfg, "baseline_cnn", artifacts.load_model)
    if found is None:
        return None
    model, card = found
    loader = make_loader(
        test, train=False, image_size=card.image_size, num_workers=cfg.num_workers, normalization=card.normalization
    )
    preds = predict(model, loader)
    return preds.labels[task], preds.probs[task].argmax(1)


def metric_knn(cfg: Settings, tables: dict[str, ArtTable], task: str, k: int = 5) -> Scored | None:
    """Notebook 10's embedding (rebuilt from its card: its size and normalisation) with a ``k``-NN vote over the
    training paintings."""
    from ..features import knn_predict, table_features
    from ..store import artifacts

    found = _saved(cfg, f"metric_{task}", artifacts.load_model)
    if found is None:
        return None
    model, card = found
    emb = table_features(model, tables, card.image_size, cfg.num_workers, cfg.feature_cache)  # as at test time
    y_train, y_test = (tables[name].frame[task].to_numpy() for name in ("train", "test"))
    return y_test, knn_predict(emb["train"], y_train, emb["test"], k=k)


def fine_tuned(cfg: Settings, test: ArtTable, task: str) -> Scored | None:
    """Notebook 08's classifier as a person gets it (``load_classifier``, as ``artlib-predict`` and the app load it:
    views, mirror, calibration, the open-set and nearness banks; "not a painting": no class, counted wrong); None
    when it lacks the task or could not score every test painting."""
    from ..store import artifacts

    classifier = _saved(cfg, "classifier", artifacts.load_classifier)
    if classifier is None or task not in classifier.card.classes:
        return None
    rows = classifier.predict(test.image_paths(), num_workers=cfg.num_workers)
    said = rows[(rows["task"] == task) & rows["error"].isna()].set_index("path")["predicted"]
    paths = [str(p) for p in test.image_paths()]
    if not all(p in said.index for p in paths):
        log.warning("notebook 08's classifier could not read every test painting: left out")
        return None
    codes = {name: i for i, name in enumerate(classifier.card.classes[task])}
    return test.frame[task].to_numpy(), np.array([codes.get(said[p], -1) for p in paths])


def saved_model_predictions(cfg: Settings, tables: dict[str, ArtTable], task: str) -> dict[str, Scored]:
    """``{name: (true, predicted)}`` on ``tables["test"]`` of the saved models that exist for this data."""
    scored = {
        "direct CNN (notebook 03)": direct_cnn(cfg, tables["test"], task),
        "metric learning + 5-NN (notebook 10)": metric_knn(cfg, tables, task),
        "fine-tuned Lite0, multi-view (notebook 08)": fine_tuned(cfg, tables["test"], task),
    }
    return {name: pair for name, pair in scored.items() if pair is not None}
