"""Notebook 11b's pipeline in one call, reusable by benchmarks: protocol, view features, head, fitted model.

run = run_identity(cfg, get_splits(cfg))
run.model.answer(run.features["test"])   # who painted each test painting
figures = identity_figures(run)          # who-painted-it and same-painter tables, held-out test painters
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..models import create_backbone
from ..trust.painting_check import (
    MadeUp,
    PaintingCheck,
    made_up_features,
    made_up_sets,
    painting_check_report,
)
from .embedding import IdentityRecipe, mean_view, train_identity_head
from .evaluation import (
    held_out_pairs,
    neighbour_pairs_of_held_out,
    open_set_report,
    operating_point,
    same_artist_report,
)
from .features import image_view_features, view_features
from .model import IdentityCard, IdentityModel, fit_identity
from .protocol import PainterSplit, painter_disjoint
from .views import VIEWS

if TYPE_CHECKING:
    from ..config import Settings
    from ..data.table import ArtTable

log = logging.getLogger(__name__)

#: held-out painters need at least this many paintings (a same-painter pair); cfg.min_artist_works is notebook 12's
HELD_OUT_MIN_WORKS = 2


@dataclass
class IdentityRun:
    split: PainterSplit
    features: dict[str, np.ndarray]  # (n, views, dim) frozen features per split
    model: IdentityModel  # fitted on validation
    history: pd.DataFrame
    #: per split, the frozen network's mean view ("frozen") and the identity embedding ("identity")
    embeddings: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    #: made-up non-paintings' whole-view features: "fit" (the painting check's) and "test" (another seed)
    made_up: dict[str, dict[str, MadeUp]] = field(default_factory=dict)


def run_identity(cfg: Settings, tables: dict[str, ArtTable], recipe: IdentityRecipe | None = None) -> IdentityRun:
    """The painter-disjoint split of ``tables`` (``cfg.unseen_artist_share`` of the other painters with at least
    :data:`HELD_OUT_MIN_WORKS` paintings held out), the frozen ``cfg.feature_backbone``'s features of every view at
    ``cfg.identity_size``, the identity head (``cfg.identity_epochs``) and the model fitted on validation.
    Raises :class:`~artlib.errors.NotEnoughDataError` when the data cannot hold painters out."""
    split = painter_disjoint(tables, cfg.unseen_artist_share, HELD_OUT_MIN_WORKS, cfg.seed)
    log.info("identity protocol: %s", split.how)
    size, detail = cfg.identity_size, cfg.identity_size // 2
    network = create_backbone(cfg.feature_backbone, pretrained=True)
    features = view_features(
        network, split.tables, VIEWS, size, detail, cache=cfg.feature_cache, num_workers=cfg.num_workers
    )
    # the painting check's made-up non-paintings (fit) and those it is measured on (test, another seed)
    made_up = made_up_sets(lambda image: image_view_features(network, image, VIEWS[:1], size, detail)[0, 0])
    recipe = recipe or IdentityRecipe(epochs=cfg.identity_epochs, seed=cfg.seed)
    frames = {name: t.frame for name, t in split.tables.items()}
    val_held = frames["val"]["role"].to_numpy() == "held_out"
    head, history = train_identity_head(
        features["train"],
        frames["train"]["painter"].to_numpy(),
        features["val"][val_held],
        frames["val"]["painter"].to_numpy()[val_held],
        recipe,
    )
    card = IdentityCard(
        cfg.feature_backbone, size, detail, VIEWS, split.known, recipe=recipe.to_dict(), held_out=split.held_out
    )
    model = fit_identity(head, card, features, split.tables, seed=cfg.seed, made_up=made_up_features(made_up["fit"]))
    embeddings = {
        "frozen": {s: mean_view(f) for s, f in features.items()},
        "identity": {s: model.embed(f) for s, f in features.items()},
    }
    model.items = {  # every painting's identity vector by path, for the Similar page
        "paths": [str(p.resolve()) for s in split.tables for p in split.tables[s].image_paths()],
        "embeddings": np.concatenate([embeddings["identity"][s] for s in split.tables]),
    }
    return IdentityRun(split, features, model, history, embeddings, made_up)


def identity_figures(run: IdentityRun, k: int = 8, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Held-out test painters' figures (the model's card gets the who-painted-it ones in ``card.test``):

    * ``open_set``: who painted it (:func:`~.evaluation.open_set_report`);
    * ``painting_check``: the share called "not a painting" of the test paintings and of made-up non-paintings
      (a seed the check was not fitted on), when the card has a check;
    * ``operating_point``: the answer moved to accept 90 % of the known artists' validation paintings;
    * ``random_pairs`` / ``neighbour_pairs``: same-painter ROC AUC on random pairs of held-out test paintings and on
      each held-out test painting with its ``k`` nearest paintings of the whole collection (found by the frozen
      network, as the Similar page's index does), the same pairs for every scorer; ``*_rows``: those pairs, as
      rows ``a``, ``b`` of the train + val + test pool, ``same`` and the query's ``painter``.
    """
    test = run.split.tables["test"].frame
    model = run.model
    report = open_set_report(model, run.features["test"], test)
    model.card.test = {key: value for key, value in report.items() if key != "paintings"}
    open_set = pd.DataFrame([report], index=["who painted it"]).drop(columns="paintings")
    val = (run.features["val"], run.split.tables["val"].frame)
    point = pd.DataFrame([operating_point(model, val, (run.features["test"], test))], index=["90 % known recall"])
    painters = np.concatenate([run.split.tables[s].frame["painter"].to_numpy() for s in ("train", "val", "test")])
    offset = len(run.features["train"]) + len(run.features["val"])
    random_pairs = held_out_pairs(test, seed=seed)
    pool = {name: np.concatenate([e[s] for s in ("train", "val", "test")]) for name, e in run.embeddings.items()}
    queries = offset + np.flatnonzero(test["role"].to_numpy() == "held_out")
    neighbours = neighbour_pairs_of_held_out(pool["frozen"], painters, queries, k)
    out = {"open_set": open_set, "operating_point": point}
    if model.card.painting is not None and run.made_up:
        check = PaintingCheck.from_dict(model.card.painting)
        out["painting_check"] = painting_check_report(
            check, run.features["test"][:, 0], run.made_up["test"], run.model.painting_bank
        )
    for label, pairs, base in (("random_pairs", random_pairs, offset), ("neighbour_pairs", neighbours, 0)):
        a, b = pairs["a"].to_numpy() + base, pairs["b"].to_numpy() + base
        scores = {f"{name} cosine": (pool[name][a] * pool[name][b]).sum(1) for name in pool}
        scores["identity same-artist value"] = model.same_artist(pool["identity"][a], pool["identity"][b])
        out[label] = same_artist_report(scores, pairs, painters[a])
        out[f"{label}_rows"] = pd.DataFrame({"a": a, "b": b, "same": pairs["same"].to_numpy(), "painter": painters[a]})
    return out
