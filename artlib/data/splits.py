"""Deterministic stratified splits that never separate copies of one image."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .duplicates import content_hashes, find_duplicates
from .table import MISSING, ArtTable

log = logging.getLogger(__name__)


@dataclass
class Splits:
    """Named sub-tables (``train``, ``val``, ``test``) and the duplicate groups found."""

    tables: dict[str, ArtTable]
    duplicates: pd.DataFrame

    def __getitem__(self, name: str) -> ArtTable:
        return self.tables[name]

    @property
    def train(self) -> ArtTable:
        return self.tables["train"]

    @property
    def val(self) -> ArtTable:
        return self.tables["val"]

    @property
    def test(self) -> ArtTable:
        return self.tables["test"]

    def sizes(self) -> pd.Series:
        return pd.Series({k: len(v) for k, v in self.tables.items()}, name="images")


def _split_groups(labels: np.ndarray, fractions: Sequence[float], seed: int) -> np.ndarray:
    """Assign each group an index into ``fractions``; stratified where class sizes allow."""
    n = len(labels)
    assignment = np.zeros(n, dtype=np.int64)
    remaining = np.arange(n)
    left = 1.0
    for k, frac in enumerate(fractions[:-1]):
        share = frac / left
        rest_share = 1.0 - share
        if len(remaining) < 2 or share <= 0:
            continue
        strat = labels[remaining]
        counts = pd.Series(strat).value_counts()
        can_stratify = (counts.min() >= 2 and round(rest_share * len(remaining)) >= len(counts)
                        and round(share * len(remaining)) >= len(counts))
        take, keep = train_test_split(remaining, train_size=share, random_state=seed + k,
                                      stratify=strat if can_stratify else None)
        assignment[take] = k
        assignment[keep] = k + 1
        remaining = keep
        left -= frac
    assignment[remaining] = len(fractions) - 1
    return assignment


def stratified_split(table: ArtTable, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                     names: Sequence[str] = ("train", "val", "test"), stratify: str | None = None,
                     seed: int = 0, group_duplicates: bool = True) -> Splits:
    """Split ``table`` by ``fractions`` (summing to 1), stratified on task ``stratify``.

    With ``group_duplicates`` byte-identical files share one split (they are
    hashed once), and the groups are reported in ``Splits.duplicates``. The same
    table and seed always give the same split.
    """
    if len(fractions) != len(names):
        raise ValueError("fractions and names must have the same length")
    if not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f"fractions must be >= 0 and sum to 1, got {fractions}")
    stratify = stratify or table.tasks[0]
    hashes = content_hashes(table) if group_duplicates else pd.Series(
        table.frame["path"].to_numpy(), index=table.frame.index)
    duplicates = find_duplicates(table, hashes) if group_duplicates else pd.DataFrame()
    group_ids, first = np.unique(hashes.to_numpy(), return_index=True)
    group_of_row = np.searchsorted(group_ids, hashes.to_numpy())
    labels = table.frame[stratify].to_numpy()[first]
    labels = np.where(labels == MISSING, labels.max() + 1, labels)  # unlabelled rows form one stratum
    assignment = _split_groups(labels, list(fractions), seed)[group_of_row]
    if len(duplicates):
        log.info("%d duplicate image group(s) kept within one split", duplicates["group"].nunique())
    tables = {name: table.subset(np.flatnonzero(assignment == k)) for k, name in enumerate(names)}
    for name, t in tables.items():
        t.name = f"{table.name}-{name}"
    return Splits(tables, duplicates)
