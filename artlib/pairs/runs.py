"""Same-artist Siamese models by spec: train one, score the test pairs (notebook 12's comparison, reusable).

    frozen = FrozenFeatures(tables, image_size=224, cache="outputs/cache/features")
    run = train_siamese("efficientnet_lite0:all:frozen", splits, frozen, frozen_train_pairs, cfg)
    run.scores          # P(same artist) of the test pairs, in order

``splits``: ``{split: (table, pairs)}`` as :func:`artlib.pairs.pairs_by_split` makes them. A spec is
``backbone:combine:training`` (:func:`artlib.models.siamese.parse_siamese_spec`): ``scratch`` and ``pretrained``
train the whole network on image pairs; ``frozen`` trains a head on standardised frozen features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..features.extract import standardized_features
from ..models import input_normalization
from ..models.siamese import SiameseNet, parse_siamese_spec, siamese, siamese_on_features
from ..train import TrainConfig, Trainer
from ..utils import seed_everything
from .dataset import feature_pair_loaders, pair_loaders
from .scoring import score_feature_pairs, score_table_pairs

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

    from ..config import Settings
    from ..data.table import ArtTable
    from ..trust.task_trust import TaskTrust

log = logging.getLogger(__name__)

#: A pretrained network is fine-tuned on pairs for at most this many epochs (the ``pairs_fine_tune`` recipe).
PRETRAINED_PAIR_EPOCHS = 3


class FrozenFeatures:
    """Standardised frozen features of every painting per split, made once per backbone (and cached per image
    on disk, shared with notebooks 11, 13 and 14), with the scaler a saved head needs to score raw features."""

    def __init__(
        self, tables: dict[str, ArtTable], image_size: int, num_workers: int = 0, cache: str | Path | None = None
    ) -> None:
        self.tables, self.image_size, self.num_workers, self.cache = tables, image_size, num_workers, cache
        self._made: dict[str, tuple[dict[str, np.ndarray], StandardScaler]] = {}

    def _get(self, backbone: str) -> tuple[dict[str, np.ndarray], StandardScaler]:
        if backbone not in self._made:
            self._made[backbone] = standardized_features(
                backbone, self.tables, self.image_size, self.num_workers, cache=self.cache
            )
        return self._made[backbone]

    def features(self, backbone: str) -> dict[str, np.ndarray]:
        return self._get(backbone)[0]

    def scaler(self, backbone: str) -> StandardScaler:
        return self._get(backbone)[1]


@dataclass
class SiameseRun:
    """One trained spec: its training history, the test pairs' scores, and (frozen specs) the head."""

    name: str
    backbone: str
    history: pd.DataFrame
    scores: np.ndarray
    head: SiameseNet | None = None  # a head on frozen features: what the app's same-artist model is made from


def train_siamese(
    spec: str,
    splits: dict[str, tuple[ArtTable, pd.DataFrame]],
    frozen: FrozenFeatures,
    frozen_train_pairs: pd.DataFrame,
    cfg: Settings,
) -> SiameseRun:
    """Train ``spec`` on the training pairs (its recipe in :data:`artlib.train.RECIPES`: ``pairs``,
    ``pairs_fine_tune`` or ``pair_head`` with ``cfg.head_epochs``; early stopping on the validation pairs' loss,
    best weights kept) and score the test pairs. A pretrained backbone whose weights cannot be had offline raises
    :class:`~artlib.models.weights.WeightsUnavailableError` before any training."""
    backbone, combine, training = parse_siamese_spec(spec)
    seed_everything(cfg.seed)
    name = f"Siamese {backbone} {combine} ({training})"
    if training == "frozen":
        feats = frozen.features(backbone)
        model = siamese_on_features(feats["train"].shape[1], combine)
        loaders = feature_pair_loaders(feats, {"train": frozen_train_pairs, "val": splits["val"][1]})
        config = TrainConfig.for_settings(cfg, "pair_head")
    else:
        model = siamese(backbone, combine, pretrained=training == "pretrained")
        loaders = pair_loaders(splits, cfg.image_size, input_normalization(model), cfg.batch_size, cfg.num_workers)
        if training == "pretrained":
            config = TrainConfig.for_settings(cfg, "pairs_fine_tune")
            config.epochs = min(config.epochs, PRETRAINED_PAIR_EPOCHS)
        else:
            config = TrainConfig.for_settings(cfg, "pairs")
    validate = len(splits["val"][1]) > 0
    if not validate:
        log.warning(
            "%s: no validation pairs (too few validation paintings per artist): trained for %d epochs "
            "without early stopping, the last epoch's weights kept",
            name,
            config.epochs,
        )
        config = config.on_training_loss()
    checkpoints = cfg.run_dir(f"siamese_{backbone}_{combine}_{training}")
    trainer = Trainer(model, config, checkpoint_dir=checkpoints)
    history = trainer.fit(loaders["train"], loaders["val"] if validate else None)
    trainer.load_best()
    test_table, test_pairs = splits["test"]
    if training == "frozen":
        scores = score_feature_pairs(model, feats["test"], test_pairs)
        return SiameseRun(name, backbone, history, scores, head=model)
    scores = score_table_pairs(model, test_table, test_pairs, cfg.image_size, cfg.num_workers)
    return SiameseRun(name, backbone, history, scores)


def same_artist_trust(run: SiameseRun, frozen: FrozenFeatures, k: int = 8, seed: int = 0) -> TaskTrust:
    """Platt scaling of a frozen-feature run's head on pairs drawn as the explorer's Similar page draws them
    (:func:`artlib.trust.pair_calibration.calibrate_same_artist`): neighbours by cosine on raw features, fitted on
    validation paintings, measured on test ones."""
    from ..models.siamese import standardized_head
    from ..trust.pair_calibration import calibrate_same_artist

    if run.head is None:
        raise ValueError(f"{run.name} has no head on frozen features to calibrate")
    scaler = frozen.scaler(run.backbone)
    head = standardized_head(run.head, scaler.mean_, scaler.scale_)
    raw = {name: scaler.inverse_transform(f) for name, f in frozen.features(run.backbone).items()}
    artists = {name: frozen.tables[name].frame["artist"].to_numpy() for name in raw}
    trust, _ = calibrate_same_artist(head, raw, artists, k=k, seed=seed)
    return trust


def classify_then_compare_scores(
    splits: dict[str, tuple[ArtTable, pd.DataFrame]], frozen: FrozenFeatures, full_train: ArtTable, cfg: Settings
) -> dict[str, np.ndarray]:
    """The Kaggle winner's approach on the test pairs: an artist classifier, then the dot product of the two
    paintings' artist distributions; with ``cfg``'s from-scratch CNN (early-stopped on validation loss) and with a
    logistic regression on the frozen ``cfg.feature_backbone`` features of every training painting."""
    from ..data.loaders import make_loaders
    from ..features import fit_frozen_classifier
    from ..models import create_model
    from .scoring import compare_probabilities

    tables = {name: table for name, (table, _) in splits.items()}
    test_pairs = splits["test"][1]
    loaders = make_loaders(tables, cfg.image_size, cfg.batch_size, cfg.num_workers, seed=cfg.seed)
    name = cfg.architecture("pair_classifier")
    trainer = Trainer(
        create_model(name, tables["train"].num_classes),
        TrainConfig.for_settings(cfg, "scratch", monitor="val_loss", mode="min", patience=5),
    )
    trainer.fit(loaders["train"], loaders["val"])
    probs = trainer.predict(loaders["test"]).probs["artist"]
    feats = frozen.features(cfg.feature_backbone)
    artists = full_train.frame["artist"].to_numpy()
    logistic = fit_frozen_classifier("logistic_regression", feats["train"], artists, seed=cfg.seed)
    return {
        f"classify-then-compare ({name} from scratch)": compare_probabilities(probs, test_pairs),
        "classify-then-compare (frozen Lite0 + logistic regression)": compare_probabilities(
            logistic.predict_proba(feats["test"]), test_pairs
        ),
    }


def best_head_on_validation(
    runs: dict[str, SiameseRun], frozen: FrozenFeatures, val_pairs: pd.DataFrame
) -> tuple[SiameseRun | None, dict[str, float]]:
    """The run with a head on frozen features whose *validation* pairs' ROC AUC is highest (the test pairs never
    choose), and every such head's validation AUC; ``(None, {})`` without heads or validation pairs of both kinds."""
    from sklearn.metrics import roc_auc_score

    same = val_pairs["same"].to_numpy() if len(val_pairs) else np.zeros(0)
    heads = {name: run for name, run in runs.items() if run.head is not None}
    if not heads or len(np.unique(same)) < 2:
        return None, {}
    aucs = {
        name: float(roc_auc_score(same, score_feature_pairs(run.head, frozen.features(run.backbone)["val"], val_pairs)))
        for name, run in heads.items()
        if run.head is not None
    }
    return heads[max(aucs, key=aucs.__getitem__)], aucs
