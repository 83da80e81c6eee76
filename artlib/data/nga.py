"""National Gallery of Art open data (github.com/NationalGalleryOfArt/opendata).

``objects.csv`` joined with ``published_images.csv`` (primary views) gives the
paintings with an IIIF image; ``objects_terms.csv`` adds Style / School / Theme
terms and ``objects_constituents.csv`` the artist ids. Each file may be a plain
``.csv`` or the single-file ``.zip`` the repository ships.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .table import ArtTable, encode_labels

log = logging.getLogger(__name__)

TERM_TASKS = {"style": "Style", "school": "School", "theme": "Theme", "technique": "Technique"}


def read_nga_csv(root: str | Path, name: str, usecols: Sequence[str] | None = None) -> pd.DataFrame:
    """Read ``root/<name>.csv`` or ``root/<name>.zip`` with the given columns."""
    root = Path(root)
    for candidate in (root / f"{name}.csv", root / f"{name}.zip", root / f"{name}.csv.zip"):
        if candidate.is_file():
            frame = pd.read_csv(candidate, dtype=str, keep_default_na=False, low_memory=False)
            if usecols is not None:
                missing = [c for c in usecols if c not in frame.columns]
                if missing:
                    raise KeyError(f"{candidate}: columns {missing} missing; have {list(frame.columns)[:12]}")
                frame = frame[list(usecols)]
            return frame
    raise FileNotFoundError(f"NGA table {name!r} not found as .csv or .zip in {root}")


def first_terms(terms: pd.DataFrame, termtype: str) -> pd.Series:
    """objectid -> first term of ``termtype`` (objects may carry several)."""
    sel = terms[terms["termtype"] == termtype].sort_values(["objectid", "termid"])
    return sel.drop_duplicates("objectid").set_index("objectid")["term"]


def load_nga(
    root: str | Path,
    tasks: Sequence[str] = ("style", "school", "artist"),
    classification: str = "Painting",
    image_dir: str | Path | None = None,
    require_image: bool = True,
) -> ArtTable:
    """Paintings of the NGA open data as a multitask table.

    Tasks: any of ``style``, ``school``, ``theme``, ``technique`` (from
    objects_terms) and ``artist`` (attribution). Rows keep ``objectid``,
    ``title``, ``attribution``, ``beginyear`` and ``iiifurl``. With
    ``require_image`` only objects with a primary published image are kept.
    Image paths are ``images/<objectid>.jpg`` under ``root`` (or ``image_dir``).
    """
    root = Path(root)
    objects = read_nga_csv(root, "objects", ["objectid", "title", "attribution", "beginyear", "classification"])
    objects = objects[objects["classification"].str.strip() == classification]
    if objects.empty:
        raise ValueError(f"no objects with classification == {classification!r} in {root}")
    try:
        images = read_nga_csv(root, "published_images", ["depictstmsobjectid", "iiifurl", "viewtype", "sequence"])
        images = images[images["viewtype"] == "primary"].copy()
        images["seq"] = pd.to_numeric(images["sequence"], errors="coerce")
        images = images.sort_values("seq").drop_duplicates("depictstmsobjectid")
        images = images.rename(columns={"depictstmsobjectid": "objectid"})[["objectid", "iiifurl"]]
        objects = objects.merge(images, on="objectid", how="inner" if require_image else "left")
    except FileNotFoundError:
        if require_image:
            raise
        objects = objects.assign(iiifurl="")
    frame = objects.reset_index(drop=True)
    frame["beginyear"] = pd.to_numeric(frame["beginyear"], errors="coerce")
    classes = {}
    term_tasks = [t for t in tasks if t in TERM_TASKS]
    if term_tasks:
        terms = read_nga_csv(root, "objects_terms", ["termid", "objectid", "termtype", "term"])
        terms["termid"] = pd.to_numeric(terms["termid"], errors="coerce")
        for task in term_tasks:
            values = frame["objectid"].map(first_terms(terms, TERM_TASKS[task]))
            frame[task], classes[task] = encode_labels(values)
    for task in tasks:
        if task == "artist":
            frame["artist"], classes["artist"] = encode_labels(frame["attribution"].replace("", pd.NA))
        elif task not in TERM_TASKS:
            raise KeyError(f"unknown NGA task {task!r}; choose from {sorted([*TERM_TASKS, 'artist'])}")
    frame.insert(0, "path", "images/" + frame["objectid"] + ".jpg")
    frame = frame.drop(columns=["classification"])
    table = ArtTable(frame, {t: classes[t] for t in tasks}, Path(image_dir) if image_dir else root, name="nga")
    log.info("NGA: %d %s objects", len(table), classification)
    return table
