"""Notebook 12's pairs in one record: the artists held out of training, the pairs of each split (no test pair
reuses a training painting), the many cheap pairs the frozen-feature heads train on, and the frozen features.

    study = pair_study(cfg, artist_tables, how)    # NotEnoughDataError naming a split without a pair kind
    runs = train_siamese_models(cfg, study)         # the profile's specs; weights not to be had are recorded
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.table import ArtTable
from .making import hold_out_artists, make_pairs, pair_counts, pair_groups, pairs_by_split, require_pairs
from .runs import FrozenFeatures, SiameseRun, train_siamese

if TYPE_CHECKING:
    from ..config import Settings


@dataclass
class PairStudy:
    """The pairs of each split (``splits[name] = (table, pairs)``), the training pairs of the heads on frozen
    features (``frozen_train_pairs``, drawn from every training painting), the artists held out of training
    (``unseen``: test only) and the frozen features of every painting."""

    splits: dict[str, tuple[ArtTable, pd.DataFrame]]
    full_train: ArtTable
    frozen_train_pairs: pd.DataFrame
    unseen: list[int]
    frozen: FrozenFeatures
    how: str

    @property
    def test_pairs(self) -> pd.DataFrame:
        return self.splits["test"][1]

    @property
    def same(self) -> np.ndarray:
        """1 for each test pair by one artist, 0 for two artists."""
        return self.test_pairs["same"].to_numpy()

    def counts(self) -> pd.DataFrame:
        """Paintings, artists and same / different pairs per split."""
        return pair_counts({**self.splits, "train (frozen features)": (self.full_train, self.frozen_train_pairs)})

    def groups(self) -> np.ndarray:
        """Per test pair: ``seen`` (both artists trained on), ``unseen`` (neither) or ``mixed``."""
        return pair_groups(self.splits["test"][0], self.test_pairs, self.unseen)


def pair_study(cfg: Settings, artist_tables: dict[str, ArtTable], how: str) -> PairStudy:
    """Hold ``cfg.unseen_artist_share`` of the artists out of training, draw the pairs of each split and the heads'
    training pairs, and compute the frozen features; :class:`~artlib.errors.NotEnoughDataError` names a split
    without a same-artist (or a different-artist) pair."""
    from ..data.prepare import scratch_train
    from ..utils import run_status

    tables, unseen = hold_out_artists(artist_tables, cfg.unseen_artist_share, cfg.seed)  # their paintings: test
    full_train = tables["train"]  # frozen-feature models use every training painting
    tables["train"] = scratch_train(cfg, full_train, stratify="artist")
    run_status.used_data(cfg, f"same-artist pairs: {how}", sum(len(t) for t in tables.values()))
    splits = pairs_by_split(tables, "artist", cfg.pairs_per_image, seed=cfg.seed)
    require_pairs(splits)
    train_paths = set(splits["train"][0].frame["path"]) | set(full_train.frame["path"])
    if train_paths & set(splits["test"][0].frame["path"]):
        raise RuntimeError("test pairs reuse training paintings: the splits of notebook 00 overlap")
    frozen_train_pairs = make_pairs(full_train, "artist", cfg.frozen_pairs_per_image, 1.75, cfg.seed)
    frozen = FrozenFeatures(
        {"train": full_train, "val": splits["val"][0], "test": splits["test"][0]},
        cfg.pretrained_size,
        cfg.num_workers,
        cache=cfg.feature_cache,
    )
    return PairStudy(splits, full_train, frozen_train_pairs, list(unseen), frozen, how)


def train_siamese_models(cfg: Settings, study: PairStudy) -> dict[str, SiameseRun]:
    """Each of ``cfg.siamese_models`` trained on the training pairs, early-stopped on the validation pairs and
    scored on the test pairs; a spec whose pretrained weights cannot be had (offline) is recorded as not run and
    the others still run."""
    from ..models.weights import WeightsUnavailableError
    from ..utils import run_status

    runs = {}
    for spec in cfg.siamese_models:
        try:
            run = train_siamese(spec, study.splits, study.frozen, study.frozen_train_pairs, cfg)
        except WeightsUnavailableError as exc:
            run_status.unavailable(cfg, f"Siamese {spec}", str(exc))
            continue
        runs[run.name] = run
    return runs
