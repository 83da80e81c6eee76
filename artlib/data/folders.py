"""ImageFolder trees and generic ``path,label`` CSV files."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import pandas as pd

from .table import ArtTable, encode_labels

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def load_image_folder(root: str | Path, task: str = "label",
                      extensions: Sequence[str] = IMAGE_EXTENSIONS) -> ArtTable:
    """``root/<class>/<image>`` as a single-task table (classes sorted by folder name).

    Files with other extensions are ignored; an empty class folder is an error.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not class_dirs:
        raise ValueError(f"{root} has no class sub-folders (expected root/<class>/<image>)")
    rows = []
    for code, class_dir in enumerate(class_dirs):
        files = sorted(p for p in class_dir.rglob("*")
                       if p.is_file() and p.suffix.lower() in extensions)
        if not files:
            raise ValueError(f"class folder {class_dir} holds no images with {tuple(extensions)}")
        rows += [{"path": str(p.relative_to(root)), task: code} for p in files]
    frame = pd.DataFrame(rows)
    return ArtTable(frame, {task: [d.name for d in class_dirs]}, root, name=root.name)


def load_split_folders(root: str | Path, task: str = "label") -> dict[str, ArtTable]:
    """``root/<split>/<class>/<image>`` (e.g. train/ and test/) as one table per split.

    Class lists are the union across splits so that codes agree.
    """
    root = Path(root)
    splits = {d.name: load_image_folder(d, task) for d in sorted(root.iterdir()) if d.is_dir()}
    if not splits:
        raise ValueError(f"{root} has no split folders")
    classes = sorted({c for t in splits.values() for c in t.classes[task]})
    out = {}
    for name, table in splits.items():
        frame = table.frame.copy()
        frame[task], _ = encode_labels(table.label_names(task), classes)
        frame["path"] = [f"{name}/{p}" for p in frame["path"]]
        out[name] = ArtTable(frame, {task: classes}, root, name=f"{root.name}-{name}")
    return out


def load_csv_table(csv_path: str | Path, label_columns: Sequence[str], path_column: str = "path",
                   root: str | Path | None = None, keep_columns: Sequence[str] = ()) -> ArtTable:
    """A CSV with an image path column and string or integer label columns.

    ``root`` defaults to the CSV's folder. Rows with an empty path are dropped
    with a warning; empty labels become missing (-1).
    """
    csv_path = Path(csv_path)
    raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    missing = [c for c in [path_column, *label_columns] if c not in raw.columns]
    if missing:
        raise KeyError(f"{csv_path}: columns {missing} not found; have {list(raw.columns)}")
    empty = raw[path_column].str.strip() == ""
    if empty.any():
        log.warning("%s: %d row(s) without an image path dropped", csv_path, int(empty.sum()))
        raw = raw[~empty].reset_index(drop=True)
    frame = pd.DataFrame({"path": raw[path_column].str.strip()})
    classes = {}
    for col in label_columns:
        frame[col], classes[col] = encode_labels(raw[col].replace("", pd.NA))
    for col in keep_columns:
        frame[col] = raw[col]
    return ArtTable(frame, classes, Path(root) if root else csv_path.parent, name=csv_path.stem)
