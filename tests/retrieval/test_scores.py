import numpy as np
import pandas as pd

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
