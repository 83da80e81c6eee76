"""Same-artist pairs (Painter by Numbers style) that never mix training and test images, and held-out artists."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.table import ArtTable
from ..errors import NotEnoughDataError

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


def make_pairs(
    table: ArtTable, task: str = "artist", k: int = 36, neg_ratio: float = 1.75, seed: int = 0
) -> pd.DataFrame:
    """Pairs ``a, b, same`` (row positions in ``table``): each image meets up to ``k`` others.

    Positives: up to ``k / (1 + neg_ratio)`` partners of the same class per image;
    negatives: random other-class partners, subsampled to ``neg_ratio`` negatives
    per positive. Unordered duplicates are removed; rows without a label are skipped. When fewer
    different-class pairs exist than wanted (few artists, one artist), all of them are taken and a warning
    says so: the loop always ends.
    """
    rng = np.random.default_rng(seed)
    labels = table.frame[task].to_numpy()
    rows = np.flatnonzero(labels >= 0)
    by_class = {c: rows[labels[rows] == c] for c in np.unique(labels[rows])}
    n_pos = max(1, int(round(k / (1 + neg_ratio))))
    pairs = set()
    for i in rows:
        same = by_class[labels[i]]
        same = same[same != i]
        for j in rng.choice(same, size=min(n_pos, len(same)), replace=False):
            pairs.add((min(i, j), max(i, j), 1))
    positives = len(pairs)
    wanted = int(round(neg_ratio * positives))
    sizes = np.array([len(members) for members in by_class.values()], dtype=np.int64)
    available = int((sizes.sum() ** 2 - (sizes**2).sum()) // 2)  # distinct unordered different-class pairs
    if wanted > available:
        log.warning(
            "make_pairs(%s): only %d distinct different-%s pairs exist among %d images of %d classes "
            "(largest %d); %d wanted: taking all of them",
            table.name,
            available,
            task,
            len(rows),
            len(sizes),
            sizes.max(initial=0),
            wanted,
        )
        wanted = available
    negatives = set()
    if wanted and available <= 4 * wanted:  # dense: draw from the full list (a bounded loop could stall)
        a, b = np.triu_indices(len(rows), 1)
        cross = labels[rows[a]] != labels[rows[b]]
        a, b = rows[a[cross]], rows[b[cross]]
        pick = rng.choice(len(a), size=wanted, replace=False)
        negatives = {(int(a[p]), int(b[p]), 0) for p in pick}
    for _ in range(1000):  # sparse: rejection sampling converges in a few rounds
        if len(negatives) >= wanted:
            break
        a, b = rng.choice(rows, size=(2, max(wanted, 64)))
        for i, j in zip(a, b, strict=True):
            if labels[i] != labels[j]:
                negatives.add((min(i, j), max(i, j), 0))
                if len(negatives) >= wanted:
                    break
    else:
        raise RuntimeError(f"make_pairs: {len(negatives)} of {wanted} negative pairs after 1000 rounds")
    frame = pd.DataFrame(sorted(pairs | negatives), columns=["a", "b", "same"])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def pairs_by_split(
    tables: dict[str, ArtTable], task: str = "artist", k: int = 36, neg_ratio: float = 1.75, seed: int = 0
) -> dict[str, tuple[ArtTable, pd.DataFrame]]:
    """:func:`make_pairs` within each already split table (seed + its position): ``{split: (table, pairs)}``."""
    return {name: (t, make_pairs(t, task, k, neg_ratio, seed + i)) for i, (name, t) in enumerate(tables.items())}


def missing_pair_kinds(table: ArtTable, pairs: pd.DataFrame, task: str = "artist") -> str | None:
    """What a split's pairs lack, in words (and what it would need), or ``None`` when they hold both kinds."""
    counts = table.frame.loc[table.frame[task] >= 0, task].value_counts()
    what = f"{int(counts.sum())} labelled paintings by {len(counts)} {task}(s)"
    if not (pairs["same"] == 1).any():
        return f"{what}, none with 2 paintings in it: no same-{task} pair (it needs a {task} with 2 or more)"
    if not (pairs["same"] == 0).any():
        return f"{what}: no different-{task} pair (it needs paintings by 2 {task}s or more)"
    return None


def require_pairs(
    splits: dict[str, tuple[ArtTable, pd.DataFrame]], needed: tuple[str, ...] = ("train", "test"), task: str = "artist"
) -> None:
    """Raise :class:`~artlib.errors.NotEnoughDataError` naming each split of ``needed`` whose pairs lack a kind
    (training needs both to learn from, testing both to be scored)."""
    lacking = {name: missing_pair_kinds(*splits[name], task=task) for name in needed}
    problems = [f"the {name} split holds {why}" for name, why in lacking.items() if why]
    if problems:
        raise NotEnoughDataError(
            "; ".join(problems) + ". More works per artist (or a larger split share, or a lower min_artist_works) "
            "would give them"
        )


def pair_counts(splits: dict[str, tuple[ArtTable, pd.DataFrame]]) -> pd.DataFrame:
    """Images, pairs and the share of same-artist pairs per split."""
    return pd.DataFrame(
        {
            name: {"images": len(t), "pairs": len(p), "positive share": p["same"].mean()}
            for name, (t, p) in splits.items()
        }
    ).T


def hold_out_artists(
    tables: dict[str, ArtTable], share: float = 0.2, seed: int = 0, task: str = "artist"
) -> tuple[dict[str, ArtTable], list[int]]:
    """Move every painting of a random ``share`` of the artists into ``test``: no training or validation image
    is theirs (Painter by Numbers' "unseen artists"). Returns the tables and the held-out class codes; with
    fewer than 2 artists to hold out (``share`` of too few), nothing moves and the list is empty (logged)."""
    artists = sorted(set(tables["train"].frame[task].tolist()) - {-1})
    count = int(round(share * len(artists)))
    if count < 2 or len(artists) - count < 2:
        log.warning(
            "%d artists: too few to hold %d out as unseen (2 are needed, and 2 left to train on)", len(artists), count
        )
        return dict(tables), []
    held = sorted(np.random.default_rng(seed).choice(artists, count, replace=False).tolist())
    out, moved = {}, []
    for name, table in tables.items():
        unseen = table.frame[task].isin(held).to_numpy()
        out[name] = table if name == "test" else table.subset(np.flatnonzero(~unseen))
        if name != "test":
            moved.append(table.subset(np.flatnonzero(unseen)))
    for part in moved:
        out["test"] = out["test"].concat(part)
    log.info("held out %d of %d artists (%d paintings moved to test)", count, len(artists), sum(map(len, moved)))
    return out, held


def pair_groups(table: ArtTable, pairs: pd.DataFrame, held_out: list[int], task: str = "artist") -> np.ndarray:
    """Per pair: ``"seen"`` (both artists in training), ``"unseen"`` (both held out) or ``"mixed"``."""
    unseen = table.frame[task].isin(held_out).to_numpy()
    a, b = unseen[pairs["a"].to_numpy()], unseen[pairs["b"].to_numpy()]
    return np.where(a & b, "unseen", np.where(~a & ~b, "seen", "mixed"))
