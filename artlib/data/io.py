"""Save and load an :class:`ArtTable` as ``<name>.csv`` + ``<name>.json`` (classes, root)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..utils.files import atomic_write
from .table import ArtTable


def save_table(table: ArtTable, path: str | Path) -> Path:
    """Write ``path.csv`` (the frame) and ``path.json`` (classes, root, name); returns the CSV path."""
    path = Path(path).with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_path, meta_path = path.with_suffix(".csv"), path.with_suffix(".json")
    with atomic_write(csv_path) as tmp:
        table.frame.to_csv(tmp, index=False)
    meta = {"classes": table.classes, "root": str(table.root) if table.root else None, "name": table.name}
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    return csv_path


def load_table(path: str | Path) -> ArtTable:
    """Read a table written by :func:`save_table`."""
    path = Path(path).with_suffix("")
    meta_path, csv_path = path.with_suffix(".json"), path.with_suffix(".csv")
    if not meta_path.is_file() or not csv_path.is_file():
        raise FileNotFoundError(f"saved table {path}(.csv/.json) not found")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    dtypes = {"path": str, **{t: "int64" for t in meta["classes"]}}
    frame = pd.read_csv(csv_path, dtype=dtypes, keep_default_na=False, na_values=[""])
    frame["path"] = frame["path"].astype(str)
    return ArtTable(frame, meta["classes"], Path(meta["root"]) if meta["root"] else None, meta["name"])
