"""Scoring pairs with a same-artist model (each painting embedded once) and how well the scores separate them
(ROC-AUC and average precision with 95 % intervals, overall and by group).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from ..data.loaders import dataset_size
from ..data.table import ArtTable
from ..errors import NotEnoughDataError

if TYPE_CHECKING:
    from ..models.siamese import SiameseNet

log = logging.getLogger(__name__)


def score_pairs(
    model: SiameseNet, images: DataLoader, pairs: pd.DataFrame, device: str | torch.device = "auto"
) -> np.ndarray:
    """P(same artist) of each pair for a :class:`~artlib.models.siamese.SiameseNet`, embedding every image
    of ``images`` (an unshuffled evaluation loader over the table the pairs index) once, not once per pair:
    the same scores as running the pairs through the network in eval mode, several times faster."""
    from ..features.extract import extract_features

    feats, _ = extract_features(model, images, device=device)
    if len(feats) != dataset_size(images):
        raise ValueError(f"{dataset_size(images) - len(feats)} images could not be read: pair rows would be shifted")
    return score_feature_pairs(model, feats, pairs)


def score_table_pairs(
    model: SiameseNet,
    table: ArtTable,
    pairs: pd.DataFrame,
    image_size: int,
    num_workers: int = 0,
    device: str | torch.device = "auto",
) -> np.ndarray:
    """:func:`score_pairs` over the paintings of ``table`` seen as at test time (its evaluation transform, the
    model's input normalisation)."""
    from ..data.dataset import ArtDataset
    from ..data.transforms import eval_transform
    from ..models import input_normalization

    images = DataLoader(
        ArtDataset(table, eval_transform(image_size, normalization=input_normalization(model))),
        batch_size=64,
        num_workers=num_workers,
    )
    return score_pairs(model, images, pairs, device)


def score_feature_pairs(model: SiameseNet, features: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
    """P(same artist) of each pair from precomputed embeddings (one row per image of the table the pairs
    index): ``model.embed`` outputs, or the frozen features a :func:`~artlib.models.siamese.siamese_on_features`
    head was trained on."""
    feats = torch.as_tensor(features)
    a, b = (torch.from_numpy(pairs[c].to_numpy(dtype=np.int64, copy=True)) for c in ("a", "b"))
    return model.same_probability(feats[a], feats[b]).numpy()


def compare_probabilities(probs: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
    """Classify-then-compare scores of ``pairs`` from per-image class probabilities (rows of the table
    the pairs index): the dot product of the two paintings' artist distributions."""
    from ..models.siamese import classify_then_compare

    p = torch.as_tensor(np.asarray(probs))
    a, b = (torch.from_numpy(pairs[c].to_numpy(dtype=np.int64, copy=True)) for c in ("a", "b"))
    return classify_then_compare(p[a], p[b]).numpy()


def auc_table(same: np.ndarray, scores: dict[str, np.ndarray], n_resamples: int = 500, seed: int = 0) -> pd.DataFrame:
    """Per model: ROC AUC with its 95 % bootstrap interval, average precision and the positive share of the pairs."""
    from sklearn.metrics import average_precision_score

    from ..evaluation.significance import bootstrap_interval, roc_auc

    if len(np.unique(same)) < 2:
        kind = "only same-artist pairs" if same.all() else "only different-artist pairs"
        kind = kind if len(same) else "no pair"
        raise NotEnoughDataError(
            f"{len(same)} pairs with {kind}: ROC AUC and average precision need pairs of both kinds "
            "(pairs.require_pairs names the split that lacks them)"
        )
    rows = {}
    for name, s in scores.items():
        auc = bootstrap_interval(roc_auc, same, s, n_resamples=n_resamples, seed=seed, vectorized=True)
        rows[name] = {
            "roc_auc": auc.estimate,
            "roc_auc_low": auc.low,
            "roc_auc_high": auc.high,
            "average_precision": average_precision_score(same, s),
            "positive_share": same.mean(),
        }
    return pd.DataFrame(rows).T.rename_axis("model")


def auc_by_group(
    same: np.ndarray,
    scores: dict[str, np.ndarray],
    groups: np.ndarray,
    n_resamples: int = 500,
    seed: int = 0,
    which: tuple[str, ...] = ("all", "seen", "unseen"),
) -> pd.DataFrame:
    """ROC AUC with its 95 % interval per model on all pairs and on each group of :func:`pair_groups` (``which``
    names those to score) that has pairs of both kinds (columns ``<group> roc_auc``, ``<group> roc_auc_low``,
    ``<group> roc_auc_high``, ``<group> pairs``)."""
    columns = {}
    for group in which:
        mask = np.ones(len(same), dtype=bool) if group == "all" else groups == group
        if len(np.unique(same[mask])) < 2:
            continue
        table = auc_table(same[mask], {n: s[mask] for n, s in scores.items()}, n_resamples, seed)
        columns.update(
            {
                f"{group} roc_auc": table["roc_auc"],
                f"{group} roc_auc_low": table["roc_auc_low"],
                f"{group} roc_auc_high": table["roc_auc_high"],
                f"{group} pairs": int(mask.sum()),
            }
        )
    return pd.DataFrame(columns).rename_axis("model")
