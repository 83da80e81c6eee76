"""Kaggle Painter by Numbers ``train_info.csv`` (filename, artist, title, style, genre, date)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .table import ArtTable, encode_labels

log = logging.getLogger(__name__)

COLUMNS = ("filename", "artist", "title", "style", "genre", "date")
_YEAR = re.compile(r"(\d{3,4})")


def parse_year(value: object) -> float:
    """Year of a PbN date: ``'1913'``, ``'1913.0'``, ``'c.1895'`` -> 1895.0; else NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    match = _YEAR.search(str(value))
    return float(match.group(1)) if match else np.nan


def date_bucket(years: pd.Series, width: int = 50) -> pd.Series:
    """Years to ``'1850-1899'``-style buckets of ``width`` years (missing stays missing)."""
    start = (years // width) * width
    return start.map(lambda s: pd.NA if pd.isna(s) else f"{int(s)}-{int(s) + width - 1}")


def load_painter_by_numbers(
    csv_path: str | Path,
    tasks: Sequence[str] = ("artist", "style", "genre"),
    image_dir: str | Path | None = None,
    min_images: int = 1,
    date_width: int = 50,
) -> ArtTable:
    """Painter by Numbers as a multitask table.

    Tasks may include ``'date'`` (bucketed by ``date_width`` years). Classes with
    fewer than ``min_images`` images become missing labels. Metadata columns
    ``title`` and ``year`` are kept. ``image_dir`` defaults to ``<csv dir>/train``.
    """
    csv_path = Path(csv_path)
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise KeyError(f"{csv_path}: not a PbN train_info.csv, columns {missing} missing")
    raw = raw[raw["filename"].str.strip() != ""].reset_index(drop=True)
    dupes = raw["filename"].duplicated()
    if dupes.any():
        log.warning("%s: %d duplicate filename row(s) dropped", csv_path, int(dupes.sum()))
        raw = raw[~dupes].reset_index(drop=True)
    frame = pd.DataFrame({"path": raw["filename"].str.strip(), "title": raw["title"]})
    frame["year"] = raw["date"].map(parse_year)
    labels = {
        "artist": raw["artist"],
        "style": raw["style"],
        "genre": raw["genre"],
        "date": date_bucket(frame["year"], date_width),
    }
    classes = {}
    for task in tasks:
        if task not in labels:
            raise KeyError(f"unknown PbN task {task!r}; choose from {sorted(labels)}")
        values = labels[task].replace("", pd.NA)
        if min_images > 1:
            counts = values.value_counts()
            values = values.where(values.map(counts).fillna(0) >= min_images)
        frame[task], classes[task] = encode_labels(values)
    root = Path(image_dir) if image_dir else csv_path.parent / "train"
    return ArtTable(frame, classes, root, name="painter-by-numbers")
