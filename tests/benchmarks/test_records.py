"""benchmarks/records.py: where benchmark scripts keep their runs."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "records.py"


@pytest.fixture
def results(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("benchmark_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESULTS", tmp_path)
    return module


def test_runs_of_a_benchmark_share_one_file(results, tmp_path):
    results.write_run("demo", "b_run", {"accuracy": 0.5})
    results.write_run("demo", "a_run", {"accuracy": 0.6})
    results.write_run("demo", "b_run", {"accuracy": 0.7})  # a rerun replaces its entry
    runs = json.loads((tmp_path / "demo_runs.json").read_text())
    assert list(runs) == ["a_run", "b_run"] and runs["b_run"]["accuracy"] == 0.7
    assert runs["b_run"]["measured_on"]["device"] == "cpu"  # every run says when, on what and with which code


def test_a_result_says_what_it_was_measured_on_unless_it_already_does(results, tmp_path):
    path = results.write_result("demo", {"images_per_s": 10.0}, device="cpu")
    record = json.loads(path.read_text())
    assert record["images_per_s"] == 10.0 and record["measured_on"]["torch_threads"] >= 1
    kept = {"date": "2026-01-01"}
    path = results.write_result("demo", {"images_per_s": 11.0, "measured_on": kept})
    assert json.loads(path.read_text())["measured_on"] == kept


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
