"""benchmarks/wikiart_finetune.py: each run's test probabilities are kept, and stored runs are ensembled."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from artlib.evaluation.ensembles import ProbabilityStore
from artlib.train import Predictions

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def finetune(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the script imports its neighbour records.py
    spec = importlib.util.spec_from_file_location("wikiart_finetune", BENCHMARKS / "wikiart_finetune.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "TEST_PROBS", ProbabilityStore(tmp_path / "probs.npz"))
    written = {}
    monkeypatch.setattr(module, "write_run", lambda benchmark, run, data: written.update({run: data}))
    module.written = written
    return module


def _test_split(paths):
    return SimpleNamespace(frame=pd.DataFrame({"path": [str(Path("/data") / p) for p in paths]}))


def test_the_ensemble_scores_the_mean_of_stored_runs(finetune):
    labels = {"style": np.array([0, 1, 1, 0])}
    # each run is right on two different paintings; their mean is right on all four
    first = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.45, 0.55]])
    second = np.array([[0.45, 0.55], [0.6, 0.4], [0.1, 0.9], [0.9, 0.1]])
    for run, probs in (("a", first), ("b", second)):
        finetune.save_probs(
            run,
            _test_split(["x/1.jpg", "x/2.jpg", "y/3.jpg", "y/4.jpg"]),
            {"+ mirror": Predictions(probs={"style": probs}, labels=labels)},
        )
    stored = finetune.TEST_PROBS.load("a", "+ mirror").paths
    assert stored == [str(Path("/data") / p) for p in ["x/1.jpg", "x/2.jpg", "y/3.jpg", "y/4.jpg"]]  # as the table says
    finetune.ensemble(["a", "b"], "+ mirror")
    ((name, data),) = finetune.written.items()
    row = data["test"]["+ mirror"][0]
    assert name == "ensemble: a + b (+ mirror)" and row["task"] == "style" and row["accuracy"] == 1.0
    assert row["accuracy_low"] < 1.0  # with its interval


def test_the_ensemble_refuses_unknown_runs_and_other_test_images(finetune):
    predictions = {"one view": Predictions(probs={"style": np.eye(2)}, labels={"style": np.array([0, 1])})}
    finetune.save_probs("a", _test_split(["1.jpg", "2.jpg"]), predictions)
    with pytest.raises(SystemExit, match="not stored: \\['b'\\]"):
        finetune.ensemble(["a", "b"], "one view")
    finetune.save_probs("b", _test_split(["2.jpg", "1.jpg"]), predictions)
    with pytest.raises(SystemExit, match="different test images"):
        finetune.ensemble(["a", "b"], "one view")
    finetune.save_probs("b", _test_split(["1.jpg", "2.jpg"]), predictions)
    with pytest.raises(SystemExit, match="'\\+ mirror' probabilities"):
        finetune.ensemble(["a", "b"], "+ mirror")
