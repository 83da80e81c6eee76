"""Where benchmark scripts put their latest results: outputs/benchmarks/<name>.json (committed)."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "outputs" / "benchmarks"


def write_result(name: str, data: dict) -> Path:
    """Write ``data`` as ``outputs/benchmarks/<name>.json``, print it, and return the path."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    print(json.dumps(data, indent=1))
    return path
