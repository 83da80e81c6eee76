import pandas as pd
import pytest

from artlib.config import settings
from artlib.runner.fixture_checks import EXPECTATIONS, check


def test_a_failed_expectation_fails_on_the_fixture_and_is_silent_on_real_data(tmp_path):
    fixture = settings(outputs=tmp_path)
    real = settings(outputs=tmp_path, dataset="imagefolder", data=tmp_path)
    results, chance = pd.DataFrame({"accuracy": [0.2, 0.9]}, index=["a", "b"]), pd.Series({"a": 0.25, "b": 0.5})
    with pytest.raises(AssertionError, match="accuracy must beat 1 x chance"):
        check(fixture, "beats_chance", results=results, chance=chance)
    check(real, "beats_chance", results=results, chance=chance)  # real data: reported, never asserted
    check(fixture, "beats_chance", results=results.assign(accuracy=[0.3, 0.9]), chance=chance)
    with pytest.raises(KeyError, match="no fixture expectation 'nope'"):
        check(real, "nope")


def test_each_notebook_expectation_passes_good_results_and_fails_bad_ones(tmp_path):
    cfg = settings(outputs=tmp_path)
    by_group = pd.DataFrame({"seen roc_auc": [0.95, 0.7, 0.3]}, index=["head", "cnn", "x (pretrained)"])
    check(cfg, "same_artist", by_group=by_group)  # a network fine-tuned on pairs: reported, not asserted
    with pytest.raises(AssertionError):
        check(cfg, "same_artist", by_group=by_group.assign(**{"seen roc_auc": [0.8, 0.7, 0.3]}))
    held_out = pd.DataFrame(
        {"score": [0.6, 0.5, 0.3], "chance": [None, None, 0.1]},
        index=[
            "title proxy@5, title-refined projection",
            "title proxy@5, raw image embedding",
            "title -> image, recall@5",
        ],
    )
    check(cfg, "similarity", held_out=held_out, k=5)
    with pytest.raises(AssertionError, match="titles must refine"):
        check(cfg, "similarity", held_out=held_out.assign(score=[0.4, 0.5, 0.3]), k=5)
    with pytest.raises(AssertionError, match="find flipped labels"):
        check(cfg, "suspects_found", detection=pd.DataFrame({"auroc": [0.6]}, index=["combined (mean rank)"]))
    assert {"beats_chance", "same_artist", "similarity", "collection_at_scale"} <= set(EXPECTATIONS)


def test_retrieval_must_beat_a_random_ranking_significantly(tmp_path):
    """Chance is what a random gallery neighbour gives on these labels; 28 of 61 right at chance 1/3 passes
    (p = 0.027), 24 of 61 does not (p = 0.23), and an imbalanced gallery raises chance."""
    import numpy as np

    cfg = settings(outputs=tmp_path)
    queries, gallery = np.repeat([0, 1, 2], [21, 20, 20]), np.repeat([0, 1, 2], [90, 89, 89])
    check(cfg, "retrieval_beats_random", retrieval={"precision_at_1": 28 / 61}, queries=queries, gallery=gallery)
    with pytest.raises(AssertionError, match="binomial test"):
        check(cfg, "retrieval_beats_random", retrieval={"precision_at_1": 24 / 61}, queries=queries, gallery=gallery)
    skewed_queries, skewed_gallery = np.repeat([0, 1, 2], [41, 10, 10]), np.repeat([0, 1, 2], [200, 34, 34])
    with pytest.raises(AssertionError, match="'chance': 0.543"):  # 36 of 61 right is 59 %, but chance is 54 %
        check(
            cfg,
            "retrieval_beats_random",
            retrieval={"precision_at_1": 36 / 61},
            queries=skewed_queries,
            gallery=skewed_gallery,
        )
