"""Deterministic stratified splits that never separate copies of one image."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

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


def _strata(labels: np.ndarray, n_take: int, n_keep: int) -> tuple[np.ndarray | None, list]:
    """Stratum of each row for one cut, and the classes too small to be stratified on their own.

    Classes with fewer than 2 rows (and, while there are more strata than either side of the cut has
    rows, the next smallest classes) are pooled into one stratum, so every other class stays
    stratified. ``None`` when not even that is possible.
    """
    counts = pd.Series(labels).value_counts(sort=False).sort_values(kind="stable")
    pooled = [c for c, n in counts.items() if n < 2]
    kept = [c for c in counts.index if c not in pooled]
    while kept and len(kept) + bool(pooled) > min(n_take, n_keep):
        pooled.append(kept.pop(0))
    pool_size = int(counts[pooled].sum()) if pooled else 0
    if pool_size == 1 and kept:  # a pool of one row cannot be a stratum: it joins the largest class
        strata = np.where(np.isin(labels, pooled), kept[-1], labels)
    else:
        strata = np.where(np.isin(labels, pooled), -2, labels) if pooled else labels
    if len(np.unique(strata)) < 2 or pd.Series(strata).value_counts().min() < 2:
        return None, pooled
    return strata, pooled


def _split_groups(labels: np.ndarray, fractions: Sequence[float], seed: int) -> tuple[np.ndarray, set]:
    """Assign each group an index into ``fractions``; stratified where class sizes allow.

    Returns the assignment and the classes that were too small to be stratified (split at random).
    """
    n = len(labels)
    assignment = np.zeros(n, dtype=np.int64)
    remaining = np.arange(n)
    left = 1.0
    unstratified: set = set()
    for k, frac in enumerate(fractions[:-1]):
        share = frac / left
        if len(remaining) < 2 or share <= 0:
            continue
        if share >= 1:
            assignment[remaining] = k
            remaining = remaining[:0]
            break
        n_take = int(np.floor(share * len(remaining)))  # sklearn's rounding of train_size
        strata, pooled = _strata(labels[remaining], n_take, len(remaining) - n_take)
        unstratified.update(pooled if strata is not None else set(labels[remaining]))
        take, keep = train_test_split(remaining, train_size=share, random_state=seed + k, stratify=strata)
        assignment[take] = k
        assignment[keep] = k + 1
        remaining = keep
        left -= frac
    assignment[remaining] = len(fractions) - 1
    return assignment, unstratified


def stratified_split(
    table: ArtTable,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    names: Sequence[str] = ("train", "val", "test"),
    stratify: str | None = None,
    seed: int = 0,
    group_duplicates: bool = True,
) -> Splits:
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
    hashes = (
        content_hashes(table)
        if group_duplicates
        else pd.Series(table.frame["path"].to_numpy(), index=table.frame.index)
    )
    duplicates = find_duplicates(table, hashes) if group_duplicates else pd.DataFrame()
    group_ids, first = np.unique(hashes.to_numpy(), return_index=True)
    group_of_row = np.searchsorted(group_ids, hashes.to_numpy())
    labels = table.frame[stratify].to_numpy()[first]
    labels = np.where(labels == MISSING, labels.max() + 1, labels)  # unlabelled rows form one stratum
    by_group, unstratified = _split_groups(labels, list(fractions), seed)
    assignment = by_group[group_of_row]
    if unstratified:
        names_of = dict(enumerate(table.classes[stratify]))
        small = sorted(str(names_of.get(c, "(no label)")) for c in unstratified)
        log.warning(
            "stratified split on %r: %d class(es) too small to be stratified, split at random "
            "(every other class is stratified): %s%s",
            stratify,
            len(small),
            ", ".join(small[:8]),
            " ..." if len(small) > 8 else "",
        )
    if len(duplicates):
        log.info("%d duplicate image group(s) kept within one split", duplicates["group"].nunique())
    tables = {name: table.subset(np.flatnonzero(assignment == k)) for k, name in enumerate(names)}
    empty = [name for (name, t), frac in zip(tables.items(), fractions, strict=True) if frac > 0 and len(t) == 0]
    if empty:
        log.warning(
            "EMPTY SPLIT(S) %s: %d images cannot fill fractions %s; a model cannot be validated or "
            "tested on an empty split (the Trainer refuses an empty validation loader)",
            empty,
            len(table),
            tuple(fractions),
        )
    for name, t in tables.items():
        t.name = f"{table.name}-{name}"
    return Splits(tables, duplicates)
