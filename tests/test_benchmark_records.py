"""benchmarks/records.py: where benchmark scripts keep their runs and test probabilities."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "records.py"


@pytest.fixture
def results(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("benchmark_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESULTS", tmp_path)
    monkeypatch.setattr(module, "TEST_PROBS", module.ProbabilityStore(tmp_path / "probs.npz"))
    return module


def test_runs_of_a_benchmark_share_one_file(results, tmp_path):
    results.write_run("demo", "b_run", {"accuracy": 0.5})
    results.write_run("demo", "a_run", {"accuracy": 0.6})
    results.write_run("demo", "b_run", {"accuracy": 0.7})  # a rerun replaces its entry
    runs = json.loads((tmp_path / "demo_runs.json").read_text())
    assert list(runs) == ["a_run", "b_run"] and runs["b_run"]["accuracy"] == 0.7


def test_test_probabilities_round_trip_and_refuse_other_images(results):
    paths = ["a.jpg", "b.jpg"]
    probs = np.array([[0.9, 0.1], [0.2, 0.8]], dtype=np.float32)
    results.save_test_probs("run1", path=np.array(paths), label=np.array([0, 1]), probs_mirror=probs)
    got, labels, kind = results.load_test_probs("run1", paths)
    assert kind == "mirror" and np.array_equal(got, probs) and labels.tolist() == [0, 1]
    assert results.load_test_probs("unknown", paths) is None
    with pytest.raises(RuntimeError, match="another order"):
        results.load_test_probs("run1", paths[::-1])
    results.save_test_probs("run2", path=np.array(paths), label=np.array([1, 1]), probs_views=probs[::-1])
    assert results.probability_runs() == ["run1", "run2"]  # a rewritten file is read again, the first run kept
    assert results.load_test_probs("run2", paths)[2] == "views"


def test_every_benchmark_script_imports():
    """A script whose imports broke (an artlib function renamed or moved) fails here, not in a week's benchmark run:
    each is imported as a module (its main guarded), all in one interpreter."""
    import subprocess
    import sys

    folder = SCRIPT.parent
    code = (
        "import importlib.util, sys\n"
        f"sys.path.insert(0, {str(folder)!r})\n"
        "for path in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location('bench_' + path.rsplit('/', 1)[-1][:-3], path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
    )
    scripts = sorted(str(p) for p in folder.glob("*.py"))
    assert len(scripts) >= 15
    done = subprocess.run([sys.executable, "-c", code, *scripts], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
