"""What every benchmark script shares: the checkout (``ROOT``) and where the latest results go,
outputs/benchmarks/<name>.json (committed), with runs' test probabilities kept for ensembles."""

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


def write_run(benchmark: str, run: str, data: dict) -> Path:
    """Record one run of ``benchmark`` in ``<benchmark>_runs.json`` (runs by name, sorted; one file per benchmark)."""
    path = RESULTS / f"{benchmark}_runs.json"
    runs = json.loads(path.read_text()) if path.is_file() else {}
    runs[run] = data
    path.write_text(json.dumps(dict(sorted(runs.items())), indent=1) + "\n")
    print(json.dumps(data, indent=1))
    return path


class ProbabilityStore:
    """Runs' test arrays in one ``.npz`` file, keys ``<run>/<name>``: a run saved again replaces its arrays, the
    other runs are kept; the file is read once per version (an ensemble of runs does not reread it per run)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read: tuple[tuple[int, int], dict[str, np.ndarray]] | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        """Every stored array by key (empty when the file is missing)."""
        if not self.path.is_file():
            return {}
        stat = self.path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        if self._read is None or self._read[0] != version:
            with np.load(self.path) as npz:
                self._read = version, {key: npz[key] for key in npz.files}
        return self._read[1]

    def save(self, run: str, arrays: dict[str, np.ndarray]) -> Path:
        """Keep ``arrays`` as ``run``'s, in place of what ``run`` stored before."""
        stored = {k: v for k, v in self.arrays().items() if not k.startswith(f"{run}/")}
        stored.update({f"{run}/{name}": value for name, value in arrays.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(self.path, **stored)
        return self.path

    def runs(self) -> list[str]:
        """The runs with stored arrays."""
        return sorted({key.split("/", 1)[0] for key in self.arrays()})


#: The test probabilities of every pretrained_lite.py run, keys ``<run>/path``, ``<run>/label``, ``<run>/probs_<kind>``.
TEST_PROBS = ProbabilityStore(RESULTS / "pretrained_lite_test_probs.npz")


def save_test_probs(run: str, **arrays: np.ndarray) -> Path:
    """Keep ``run``'s test arrays (``path``, ``label``, ``classes``, ``probs_<kind>``) in :data:`TEST_PROBS`."""
    return TEST_PROBS.save(run, arrays)


def probability_runs() -> list[str]:
    """The runs whose test probabilities are stored."""
    return TEST_PROBS.runs()


def load_test_probs(run: str, paths: list[str], kind: str = "views") -> tuple[np.ndarray, np.ndarray, str] | None:
    """The test probabilities pretrained_lite.py saved for ``run`` (``probs_<kind>``, else the mirror TTA
    ones), their labels and the kind read; ``None`` when the run saved none. ``paths``: the test folder's
    image paths, in order; probabilities of other images, or another order, are refused."""
    stored = TEST_PROBS.arrays()
    if f"{run}/path" not in stored:
        return None
    if list(stored[f"{run}/path"]) != list(paths):
        raise RuntimeError(
            f"{TEST_PROBS.path} holds other test images, or another order, for {run} than the test folder"
        )
    kind = kind if f"{run}/probs_{kind}" in stored else "mirror"
    return stored[f"{run}/probs_{kind}"], stored[f"{run}/label"], kind


def upsert_row(csv_path: Path, row: dict, key: str = "name") -> Path:
    """Add ``row`` to a results CSV, replacing the row with the same ``key``."""
    import pandas as pd

    frame = pd.read_csv(csv_path) if csv_path.is_file() else pd.DataFrame(columns=list(row))
    frame = pd.concat([frame[frame[key] != row[key]], pd.DataFrame([row])], ignore_index=True)
    frame.sort_values("accuracy", ascending=False).to_csv(csv_path, index=False)
    return csv_path
