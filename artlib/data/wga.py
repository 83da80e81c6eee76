"""Web Gallery of Art catalogue (``jpg_link, AUTHOR, TITLE, ..., TYPE, SCHOOL, TIMEFRAME``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from .table import ArtTable, encode_labels

log = logging.getLogger(__name__)

TASK_COLUMNS = {"type": "TYPE", "school": "SCHOOL", "timeframe": "TIMEFRAME", "technique": "TECHNIQUE"}


def link_to_path(url: str) -> str:
    """``http://www.wga.hu/art/m/master/x.jpg`` -> ``m/master/x.jpg`` (local mirror path)."""
    path = urlparse(url.strip()).path.lstrip("/")
    return path[4:] if path.startswith("art/") else path


def load_wga(
    csv_path: str | Path, tasks: Sequence[str] = ("type", "school", "timeframe"), image_dir: str | Path | None = None
) -> ArtTable:
    """WGA paintings as a multitask table keyed by the local mirror path of ``jpg_link``.

    Keeps ``author``, ``title`` and ``url``; rows without a link are dropped with a warning.
    """
    csv_path = Path(csv_path)
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    needed = ["jpg_link", "AUTHOR", "TITLE", *[TASK_COLUMNS[t] for t in tasks if t in TASK_COLUMNS]]
    missing = [c for c in needed if c not in raw.columns]
    unknown = [t for t in tasks if t not in TASK_COLUMNS]
    if unknown:
        raise KeyError(f"unknown WGA task(s) {unknown}; choose from {sorted(TASK_COLUMNS)}")
    if missing:
        raise KeyError(f"{csv_path}: columns {missing} missing")
    no_link = raw["jpg_link"].str.strip() == ""
    if no_link.any():
        log.warning("%s: %d row(s) without jpg_link dropped", csv_path, int(no_link.sum()))
        raw = raw[~no_link].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "path": raw["jpg_link"].map(link_to_path),
            "author": raw["AUTHOR"],
            "title": raw["TITLE"],
            "url": raw["jpg_link"].str.strip(),
        }
    )
    classes = {}
    for task in tasks:
        frame[task], classes[task] = encode_labels(raw[TASK_COLUMNS[task]].replace("", pd.NA))
    frame = frame.drop_duplicates("path").reset_index(drop=True)
    return ArtTable(frame, classes, Path(image_dir) if image_dir else csv_path.parent / "images", name="wga")
