"""Labels a notebook can derive from whatever the data has: artists for same-artist pairs, titles for search.

Each function answers from the table itself, never from another dataset: ``None`` plus the reason when the
data cannot give it, so the notebook can say so (see :mod:`artlib.utils.run_status`).
"""

from __future__ import annotations

import pandas as pd

from .table import MISSING, ArtTable, encode_labels

#: Where an artist name can come from, best first: WikiArt file names (every image), a WGA ``author``
#: column, an ``artist`` task (Painter by Numbers, NGA, ArtGAN's 23-artist task, a CSV).
ARTIST_SOURCES = ("artist_slug", "author", "artist")


def _artist_source(tables: list[ArtTable]) -> tuple[str | None, str]:
    """The best artist source the tables share (:data:`ARTIST_SOURCES`), judged over all of them at once:
    a column counts when over half of all rows name an artist (one split's share may differ)."""
    for column in ARTIST_SOURCES:
        if all(column in t.tasks for t in tables):
            return column, f"the '{column}' task"
        if all(column in t.frame.columns for t in tables):
            values = pd.concat([t.frame[column] for t in tables]).astype("string").str.strip()
            if values.replace("", pd.NA).notna().mean() > 0.5:
                return column, f"the '{column}' column"
    return None, ""


def _names(table: ArtTable, column: str) -> pd.Series:
    if column in table.tasks:
        return table.label_names(column)
    return table.frame[column].astype("string").str.strip()


def _artist_names(table: ArtTable) -> tuple[pd.Series | None, str]:
    column, origin = _artist_source([table])
    return (None, "") if column is None else (_names(table, column), origin)


def artists(table: ArtTable) -> tuple[pd.Series | None, str]:
    """Each painting's artist name from the best source the data has (:data:`ARTIST_SOURCES`), or ``(None, reason)``."""
    names, origin = _artist_names(table)
    if names is None:
        return None, f"the data names no artist (no {', '.join(ARTIST_SOURCES)} task or column)"
    return names, origin


def same_artist_tables(tables: dict[str, ArtTable], min_works: int = 10) -> tuple[dict[str, ArtTable] | None, str]:
    """One single-task ``artist`` table per split (shared classes: artists with >= ``min_works`` images over all
    splits), and a sentence saying where the artists came from; ``(None, reason)`` when the data has none."""
    column, origin = _artist_source(list(tables.values()))
    if column is None:
        return None, (
            f"the data has no artist label (looked for {', '.join(ARTIST_SOURCES)}; tasks: "
            f"{next(iter(tables.values())).tasks}); same-artist pairs need one"
        )
    per_split = {name: _names(t, column) for name, t in tables.items()}
    counts = pd.concat(per_split.values()).replace("", pd.NA).dropna().value_counts()
    artists = sorted(counts[counts >= min_works].index)
    if len(artists) < 2:
        return None, (
            f"{origin} gives {len(counts)} artist(s), fewer than 2 with >= {min_works} images; "
            "lower min_works or give more data"
        )
    out = {}
    for name, table in tables.items():
        codes, _ = encode_labels(per_split[name], artists)
        frame = table.frame.drop(columns="artist", errors="ignore").assign(artist=codes)
        keep = frame["artist"].to_numpy() != MISSING
        out[name] = ArtTable(
            frame[keep].reset_index(drop=True),
            {"artist": artists},
            table.root,
            f"{table.name}-artists",
            dict(table.extra),
        )
    images = sum(len(t) for t in out.values())
    return out, f"{len(artists)} artists with >= {min_works} images from {origin}, {images} images"


def titles(table: ArtTable) -> tuple[pd.Series | None, str]:
    """The paintings' titles (WikiArt file names, NGA, PbN, WGA, a CSV ``title`` column), or ``(None, reason)``."""
    if "title" not in table.frame.columns:
        return None, f"the data has no 'title' column (columns: {list(table.frame.columns)})"
    values = table.frame["title"].astype("string").fillna("").str.strip()
    if (values != "").mean() < 0.5:
        return None, f"only {(values != '').mean():.0%} of the images have a title"
    return values, f"{int((values != '').sum())} titled images"
