import numpy as np
import pandas as pd
import pytest

from artlib.data import ArtTable
from artlib.retrieval import (
    SimilarityIndex,
    precision_recall_at_k,
)


def test_label_retrieval_scores_each_task_on_its_labelled_paintings():

    from artlib.retrieval import label_retrieval

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(12, 4)).astype(np.float32)
    style = np.array([0, 1] * 6)
    genre = np.array([0, 1, 2, -1] * 3)
    table = ArtTable(
        pd.DataFrame({"path": [f"{i}.jpg" for i in range(12)], "style": style, "genre": genre}),
        {"style": ["a", "b"], "genre": ["x", "y", "z"]},
    )
    ids = [str(i) for i in range(12)]
    out = label_retrieval(vectors, ids, table, k=3)
    mask = genre >= 0
    expected = precision_recall_at_k(SimilarityIndex(vectors[mask], np.asarray(ids)[mask]), genre[mask], 3)
    assert out["genre precision@3"] == expected["precision@3"] and out["genre recall@3"] == expected["recall@3"]
    assert set(out) == {"style precision@3", "style recall@3", "genre precision@3", "genre recall@3"}
    assert set(label_retrieval(vectors, ids, table, k=8)) == {
        "style precision@8",
        "style recall@8",
    }  # 9 genre labels <= k + 1


def test_label_precision_rows_carry_an_interval_over_the_queries_and_chance():
    from artlib.retrieval.scores import chance_precision, label_precision_row

    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(30, int), np.ones(10, int), -np.ones(5, int)]  # five unlabelled
    vectors = rng.normal(size=(45, 8)) + 3 * np.eye(8)[np.clip(labels, 0, 1)]  # labels 0 and 1 apart
    row = label_precision_row(vectors, labels, k=5)
    known = labels >= 0
    index = SimilarityIndex(vectors[known], [str(i) for i in range(known.sum())])
    assert row["score"] == precision_recall_at_k(index, labels[known], 5)["precision@5"]
    assert row["low"] < row["score"] < row["high"] and row["score"] > 0.9
    # chance: 30 paintings each see 29 of 39 others alike, 10 see 9 of 39
    assert row["chance"] == chance_precision(labels[known]) == pytest.approx((30 * 29 / 39 + 10 * 9 / 39) / 40)
    drawn = [
        np.mean(labels[known][rng.choice(np.delete(np.arange(40), i), 5, replace=False)] == labels[known][i])
        for i in rng.integers(0, 40, 4000)
    ]  # neighbours drawn at random among the other paintings
    assert np.mean(drawn) == pytest.approx(row["chance"], abs=0.02)
    assert label_precision_row(vectors[:6], labels[:6], k=5) == {}  # at most k + 1 labelled: no score


def test_a_proxy_row_is_the_mean_proxy_similarity_with_its_interval_and_chance():
    from artlib.retrieval.scores import chance_proxy, proxy_agreement, proxy_row

    rng = np.random.default_rng(1)
    images = rng.normal(size=(30, 6))
    titles = images + rng.normal(scale=0.5, size=(30, 6))  # titles that follow the images
    index = SimilarityIndex(images, [str(i) for i in range(30)])
    row = proxy_row(index, titles, k=3)
    assert row["score"] == pytest.approx(proxy_agreement(index, titles, 3))
    assert row["low"] < row["score"] < row["high"] and row["score"] > row["chance"]
    unit = titles / np.linalg.norm(titles, axis=1, keepdims=True)
    pairs = unit @ unit.T
    assert chance_proxy(titles) == pytest.approx(pairs[~np.eye(30, dtype=bool)].mean())


def test_the_proxy_agreement_in_chunks_is_the_one_of_every_query_at_once(monkeypatch):
    from artlib.retrieval import scores

    rng = np.random.default_rng(2)
    images, titles = rng.normal(size=(50, 6)), rng.normal(size=(50, 6))
    index = SimilarityIndex(images, [str(i) for i in range(50)])
    whole = scores.query_proxy_agreement(index, titles, 3)
    monkeypatch.setattr(scores, "PROXY_CHUNK", 7)  # 8 chunks, the last one short
    assert np.allclose(scores.query_proxy_agreement(index, titles, 3), whole) and whole.shape == (50,)
