import numpy as np
import pytest

from artlib.evaluation.ensembles import EnsembleError, ProbabilityStore, ensemble_scores, mean_probabilities

PATHS = ["x/1.jpg", "x/2.jpg", "y/3.jpg", "y/4.jpg"]
LABELS = {"style": np.array([0, 1, 1, 0])}
# each run is right on two different paintings; their mean is right on all four
FIRST = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.45, 0.55]])
SECOND = np.array([[0.45, 0.55], [0.6, 0.4], [0.1, 0.9], [0.9, 0.1]])


@pytest.fixture
def store(tmp_path):
    store = ProbabilityStore(tmp_path / "probs.npz")
    store.save("a", PATHS, LABELS, {"+ mirror": {"style": FIRST}}, classes={"style": ["x", "y"]})
    store.save("b", PATHS, LABELS, {"+ mirror": {"style": SECOND}, "one view": {"style": SECOND}})
    return store


def test_a_run_round_trips_and_a_second_save_replaces_only_its_own_arrays(store):
    got = store.load("a", "+ mirror", PATHS)
    assert got.kind == "+ mirror" and got.paths == PATHS and got.labels["style"].tolist() == [0, 1, 1, 0]
    np.testing.assert_allclose(got.probs["style"], FIRST, atol=1e-3)  # float16 on disk
    assert store.runs() == ["a", "b"] and store.kinds("b") == ["+ mirror", "one view"]
    store.save("b", PATHS, LABELS, {"views": {"style": FIRST}})  # a rerun of b: its old kinds go, a's stay
    assert store.kinds("b") == ["views"] and store.kinds("a") == ["+ mirror"]
    assert store.load("unknown", "+ mirror") is None
    assert store.load("b", "+ mirror", fallback="views").kind == "views"


def test_the_mean_of_runs_is_scored_with_intervals(store):
    mean = mean_probabilities(store, ["a", "b"], "+ mirror")
    np.testing.assert_allclose(mean.probs["style"], (FIRST + SECOND) / 2, atol=1e-3)
    table = ensemble_scores(store, ["a", "b"], "+ mirror")
    row = table.loc["style"]
    assert row["accuracy"] == 1.0 and row["accuracy_low"] < 1.0  # all four right, with its Wilson interval


def test_runs_that_cannot_be_averaged_are_refused_with_the_reason(store):
    with pytest.raises(EnsembleError, match=r"not stored: \['c'\]"):
        mean_probabilities(store, ["a", "c"], "+ mirror")
    with pytest.raises(EnsembleError, match="two or more"):
        mean_probabilities(store, ["a"], "+ mirror")
    with pytest.raises(EnsembleError, match="'one view' probabilities"):
        mean_probabilities(store, ["a", "b"], "one view")
    with pytest.raises(EnsembleError, match="another order"):
        store.load("a", "+ mirror", PATHS[::-1])
    store.save("c", PATHS[::-1], LABELS, {"+ mirror": {"style": FIRST}})
    with pytest.raises(EnsembleError, match="different test images"):
        mean_probabilities(store, ["a", "c"], "+ mirror")
    with pytest.raises(ValueError, match="3 rows of probabilities for 4 images"):
        store.save("d", PATHS, LABELS, {"+ mirror": {"style": FIRST[:3]}})
