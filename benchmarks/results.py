"""Where benchmark scripts put their latest results: outputs/benchmarks/<name>.json (committed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "outputs" / "benchmarks"


def write_result(name: str, data: dict, folder: Path | None = None) -> Path:
    """Write ``data`` as ``<folder>/<name>.json`` (default ``outputs/benchmarks``), print it, return the path."""
    path = (folder or RESULTS) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data, indent=1))
    return path


def load_test_probs(run: str, paths: list[str], kind: str = "views") -> tuple[np.ndarray, np.ndarray, str] | None:
    """The test probabilities pretrained_lite.py saved for ``run`` (``probs_<kind>``, else the mirror TTA
    ones), their labels and the kind read; ``None`` when the run saved none. ``paths``: the test folder's
    image paths, in order; a file that holds other images or another order is refused."""
    saved = RESULTS / f"{run}_test_probs.npz"
    if not saved.exists():
        return None
    with np.load(saved) as npz:
        if list(npz["path"]) != list(paths):
            raise RuntimeError(f"{saved} holds other test images, or another order, than the test folder")
        kind = kind if f"probs_{kind}" in npz else "mirror"
        return npz[f"probs_{kind}"], npz["label"], kind


def upsert_row(csv_path: Path, row: dict, key: str = "name") -> Path:
    """Add ``row`` to a results CSV, replacing the row with the same ``key``."""
    import pandas as pd

    frame = pd.read_csv(csv_path) if csv_path.is_file() else pd.DataFrame(columns=list(row))
    frame = pd.concat([frame[frame[key] != row[key]], pd.DataFrame([row])], ignore_index=True)
    frame.sort_values("accuracy", ascending=False).to_csv(csv_path, index=False)
    return csv_path
