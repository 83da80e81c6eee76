"""benchmarks/rerun_determinism.py: how runs are compared (the training itself runs on real data only)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

FOLDER = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(FOLDER))
    try:
        spec = importlib.util.spec_from_file_location("rerun_determinism", FOLDER / "rerun_determinism.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(FOLDER))


def _run(script, threads, probs):
    probs = [np.asarray(p, dtype=np.float32) for p in probs]
    return {"threads": threads, "weights_sha256": script.digest(probs), "val_probs": [p.tolist() for p in probs]}


def test_equal_thread_runs_that_agree_and_a_drifting_one(script):
    same = [[0.2, 0.8], [0.6, 0.4]]
    drifted = [[0.25, 0.75], [0.6, 0.4]]
    verdict = script.compare([_run(script, 2, same), _run(script, 2, same), _run(script, 1, drifted)])
    assert verdict["same_threads_identical"] and not verdict["all_identical"]
    assert verdict["max_val_prob_gap_to_run_0"] == [0.0, 0.0, pytest.approx(0.05, abs=1e-6)]


def test_equal_thread_runs_that_differ_are_reported(script):
    verdict = script.compare([_run(script, 2, [[0.2, 0.8]]), _run(script, 2, [[0.3, 0.7]])])
    assert not verdict["same_threads_identical"]


def test_digest_tells_arrays_apart_bit_for_bit(script):
    a = np.arange(6, dtype=np.float32)
    b = a.copy()
    b[3] = np.nextafter(b[3], np.float32(10))
    assert script.digest([a]) == script.digest([a.copy()]) != script.digest([b])
