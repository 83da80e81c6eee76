"""What every benchmark script shares: the checkout (``ROOT``) and where the latest results go,
outputs/benchmarks/<name>.json (committed), and the store of pretrained_lite.py runs' test probabilities
(:class:`artlib.evaluation.ensembles.ProbabilityStore`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch.nn as nn

from artlib.data import ArtTable
from artlib.data.loaders import make_loaders
from artlib.evaluation.ensembles import ProbabilityStore
from artlib.models import create_model, input_normalization
from artlib.utils.provenance import measured_on

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "outputs" / "benchmarks"
#: the shared cnpaint folders (train/ and test/ of genre folders)
CNPAINT = ROOT.parent / "shared" / "data" / "cnpaint"


def load_cnpaint(root: Path | str = CNPAINT) -> dict[str, ArtTable]:
    """cnpaint's given ``train`` and ``test`` tables through the registered dataset (``ARTLIB_DATASET=cnpaint``)."""
    from artlib.config import settings
    from artlib.data.prepare import load_source

    return load_source(settings(dataset="cnpaint", data=Path(root)))


#: The WikiArt sample's settings for a benchmark run of the series' code (the cpu profile; its own outputs folder)
SAMPLE = {
    "ARTLIB_DATASET": "wikiart",
    "ARTLIB_DATA": str(ROOT.parent / "shared" / "data" / "wikiart_sample"),
    "ARTLIB_META": str(ROOT.parent / "shared" / "metadata" / "wikiart_artgan"),
    "ARTLIB_PROFILE": "cpu",
    "ARTLIB_OUTPUTS": str(ROOT / "outputs" / "wikiart_sample"),
}


def _with_provenance(data: dict, device: Any) -> dict:
    """``data`` and, unless it has one, ``measured_on``: the date, code, versions and machine of the run."""
    return data if "measured_on" in data else {**data, "measured_on": measured_on(device)}


def write_result(name: str, data: dict, folder: Path | None = None, device: Any = "auto") -> Path:
    """Write ``data`` as ``<folder>/<name>.json`` (default ``outputs/benchmarks``) with what it was measured on
    (``device``: the one the benchmark used), print it, return the path."""
    data = _with_provenance(data, device)
    path = (folder or RESULTS) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data, indent=1))
    return path


def write_run(benchmark: str, run: str, data: dict, device: Any = "auto") -> Path:
    """Record one run of ``benchmark`` in ``<benchmark>_runs.json`` (runs by name, sorted; one file per benchmark),
    with what it was measured on."""
    data = _with_provenance(data, device)
    path = RESULTS / f"{benchmark}_runs.json"
    runs = json.loads(path.read_text()) if path.is_file() else {}
    runs[run] = data
    path.write_text(json.dumps(dict(sorted(runs.items())), indent=1) + "\n")
    print(json.dumps(data, indent=1))
    return path


#: The test probabilities of every pretrained_lite.py run (one task each), for ensembles and significance tests.
PRETRAINED_PROBS = ProbabilityStore(RESULTS / "pretrained_lite_test_probs.npz", dtype=np.float32)


def pretrained_and_loaders(args: Any, tables: dict[str, ArtTable], **options: Any) -> tuple[nn.Module, dict]:
    """The ImageNet-pretrained ``args.model`` (dropout 0.3) for ``tables``' tasks, and its loaders (``args``:
    ``image_size``, ``batch_size``, ``workers``, ``strength``, ``seed``; ``options``: more loader options)."""
    model = create_model(args.model, tables["train"].num_classes, pretrained=True, dropout=0.3)
    loaders = make_loaders(
        tables,
        args.image_size,
        args.batch_size,
        args.workers,
        strength=args.strength,
        seed=args.seed,
        normalization=input_normalization(model),
        **options,
    )
    return model, loaders


def upsert_row(csv_path: Path, row: dict, key: str = "name") -> Path:
    """Add ``row`` to a results CSV, replacing the row with the same ``key``."""
    import pandas as pd

    frame = pd.read_csv(csv_path) if csv_path.is_file() else pd.DataFrame(columns=list(row))
    frame = pd.concat([frame[frame[key] != row[key]], pd.DataFrame([row])], ignore_index=True)
    frame.sort_values("accuracy", ascending=False).to_csv(csv_path, index=False)
    return csv_path
