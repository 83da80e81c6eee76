"""A painter-disjoint protocol: split painters, not paintings, so that identity is measured where people use it.

Every painting gets one of three roles:

* ``known``: by one of the artist classes a classifier is trained on (the data's ``artist`` task; paintings whose
  painter name matches a class, e.g. the file name ``marc-chagall_...`` and the class ``Marc_Chagall``, get that
  label when the task left it out);
* ``seen``: by another painter with paintings in the training split (the collection's other painters say what
  "someone else" looks like);
* ``held_out``: by a painter with no painting in training. A share of the other painters is held out on purpose,
  each with all of their paintings, divided by painter between validation and test; paintings of painters who
  only appear outside training anyway count too. No held-out painting is in training, in the bank or in any fit
  but validation's.

    split = painter_disjoint(get_splits(cfg), held_out_share=0.2, min_works=10, seed=0)
    split.tables["test"].frame["role"].value_counts()
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.derived import artists as painter_names
from ..data.table import MISSING, ArtTable, encode_labels
from ..errors import NotEnoughDataError

log = logging.getLogger(__name__)

ROLES = ("known", "seen", "held_out")
SPLITS = ("train", "val", "test")


def name_key(name: str) -> str:
    """One key for the spellings of a painter's name: accents, case and separators folded
    (``Marc_Chagall``, ``marc-chagall`` and ``Marc Chagall`` are one painter)."""
    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.casefold()).strip()


@dataclass
class PainterSplit:
    """Tables ``train`` / ``val`` / ``test`` with tasks ``painter`` (every painter) and ``artist`` (the known
    classes, -1 for anyone else) and a ``role`` column; the held-out painters of validation and test."""

    tables: dict[str, ArtTable]
    held_out: dict[str, list[str]]
    #: how many paintings got their known-artist label from their painter's name
    labels_filled: int
    how: str

    @property
    def known(self) -> list[str]:
        return self.tables["train"].classes["artist"]

    @property
    def painters(self) -> list[str]:
        return self.tables["train"].classes["painter"]

    def counts(self) -> pd.DataFrame:
        """Paintings and painters per split and role."""
        rows = []
        for name, table in self.tables.items():
            for role in ROLES:
                part = table.frame[table.frame["role"] == role]
                rows.append(
                    {"split": name, "role": role, "paintings": len(part), "painters": part["painter"].nunique()}
                )
        return (
            pd.DataFrame(rows).pivot(index="role", columns="split", values=["paintings", "painters"]).loc[list(ROLES)]
        )


def _known_classes(tables: dict[str, ArtTable]) -> list[str]:
    """The data's artist classes that have a training painting (the ones a classifier can learn)."""
    train = tables["train"]
    if "artist" not in train.tasks:
        return []
    codes = train.frame["artist"].to_numpy()
    return [name for i, name in enumerate(train.classes["artist"]) if (codes == i).any()]


def _frame(tables: dict[str, ArtTable]) -> pd.DataFrame:
    parts = []
    for split in SPLITS:
        table = tables[split]
        names, _ = painter_names(table)
        if names is None:
            raise NotEnoughDataError(
                "the data names no painter (no artist_slug, author or artist column): identity needs one"
            )
        artist = table.label_names("artist") if "artist" in table.tasks else pd.Series([""] * len(table))
        frame = table.frame.drop(columns=["artist", "painter"], errors="ignore").assign(
            painter=names.to_numpy(), given_artist=artist.fillna("").to_numpy(), split=split
        )
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    frame["painter"] = frame["painter"].astype("string").fillna("").str.strip()
    missing = frame["painter"] == ""
    if missing.any():
        log.warning("identity: %d paintings name no painter and are left out", int(missing.sum()))
    return frame[~missing].reset_index(drop=True)


def painter_disjoint(
    tables: dict[str, ArtTable], held_out_share: float = 0.2, min_works: int = 2, seed: int = 0
) -> PainterSplit:
    """The painter-disjoint protocol over a run's ``train`` / ``val`` / ``test`` tables (see the module).

    ``held_out_share`` of the painters who are not known and have at least ``min_works`` paintings are held out,
    alternately to validation and test (in a seeded order). Raises :class:`~artlib.errors.NotEnoughDataError`
    when no painter could be held out for validation or for test, or fewer than 2 painters remain in training.
    """
    if not 0 < held_out_share < 1:
        raise ValueError(f"held_out_share must be in (0, 1), got {held_out_share}")
    known = _known_classes(tables)
    frame = _frame(tables)
    # a painter named like a known class is that artist, whatever the artist column says (or leaves out)
    by_key = {name_key(k): k for k in known}
    matched = frame["painter"].map(lambda p: by_key.get(name_key(p), "")).astype(str)
    given = frame["given_artist"].astype(str).where(frame["given_artist"].astype(str).isin(known), "")
    filled = int(((given == "") & (matched != "")).sum())
    frame["artist_name"] = given.where(given != "", matched)
    # a known artist's paintings are one painter, whatever their file names say
    frame.loc[frame["artist_name"] != "", "painter"] = frame["artist_name"]
    works = frame["painter"].value_counts()
    in_train = set(frame.loc[frame["split"] == "train", "painter"])
    candidates = sorted(p for p in works.index if p not in set(known) and works[p] >= min_works)
    rng = np.random.default_rng(seed)
    chosen = [candidates[i] for i in rng.permutation(len(candidates))[: int(round(held_out_share * len(candidates)))]]
    held = {"val": sorted(chosen[0::2]), "test": sorted(chosen[1::2])}
    if not held["val"] or not held["test"]:
        raise NotEnoughDataError(
            f"{len(candidates)} painter(s) besides the known artists have >= {min_works} paintings; holding out "
            f"{held_out_share:.0%} of them leaves none for validation or test: identity on unseen painters needs "
            "at least 2 such painters (lower min_works, raise held_out_share or give more painters)"
        )
    for split, painters in held.items():
        frame.loc[frame["painter"].isin(painters), "split"] = split
    unseen = set(frame["painter"]) - (in_train - set(chosen))
    frame["role"] = np.where(
        frame["artist_name"] != "", "known", np.where(frame["painter"].isin(unseen), "held_out", "seen")
    )
    frame.loc[(frame["role"] == "known") & frame["painter"].isin(unseen), "role"] = "held_out"
    painters = sorted(frame["painter"].unique())
    trained = frame[frame["split"] == "train"]["painter"].nunique()
    if trained < 2:
        raise NotEnoughDataError(f"{trained} painter(s) left in training: an identity embedding needs 2")
    out = {}
    for split in SPLITS:
        part = frame[frame["split"] == split].drop(columns=["given_artist", "split"]).reset_index(drop=True)
        part = part.assign(
            painter=encode_labels(part["painter"], painters)[0],
            artist=np.where(part["role"] == "known", encode_labels(part["artist_name"], known)[0], MISSING),
        ).drop(columns="artist_name")
        source = tables[split]
        out[split] = ArtTable(part, {"painter": painters, "artist": known}, source.root, f"{source.name}-identity")
    how = (
        f"{len(painters)} painters ({len(known)} known artists); held out: {len(held['val'])} for validation, "
        f"{len(held['test'])} for test; {filled} paintings labelled from their painter's name"
    )
    return PainterSplit(out, held, filled, how)
