import numpy as np
import pytest

from artlib.retrieval import (
    SimilarityIndex,
    embed_titles,
    precision_recall_at_k,
    proxy_agreement,
)


def _clustered(n_per=80, classes=4, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per)
    return rng.normal(size=(len(y), dim)) + 3 * np.eye(classes, dim)[y], y


def test_flat_index_is_exact_and_persists(tmp_path):
    x, y = _clustered(20, 3, 8)
    ids = [f"p{i}" for i in range(len(x))]
    index = SimilarityIndex(x, ids)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ unit[7]))[1:6]
    assert index.query_id("p7", 5)["id"].tolist() == [ids[i] for i in expected]
    loaded = SimilarityIndex.load(index.save(tmp_path / "ix"))
    assert loaded.query_id("p7", 5)["id"].tolist() == [ids[i] for i in expected]
    assert precision_recall_at_k(index, y, 5)["precision@5"] > 0.9
    assert proxy_agreement(index, x, 5) > 0.5


def test_index_bad_input():
    index = SimilarityIndex(np.eye(4), ["a", "b", "c", "d"])
    with pytest.raises(KeyError, match="unknown id"):
        index.query_id("z")
    with pytest.raises(ValueError, match="empty"):
        index.search(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="dims"):
        index.search(np.ones((1, 3)))
    with pytest.raises(ValueError, match="unique"):
        SimilarityIndex(np.eye(2), ["a", "a"])
    with pytest.raises(ValueError, match="zero vector"):
        SimilarityIndex(np.zeros((2, 3)), ["a", "b"])


def test_index_refuses_bad_k_empty_index_and_nan_queries():
    index = SimilarityIndex(np.eye(4), ["a", "b", "c", "d"])
    for k in (0, -1, 2.5):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            index.search(np.ones(4), k=k)
    with pytest.raises(ValueError, match="NaN or infinity"):
        index.query(np.array([1.0, np.nan, 0, 0]))
    with pytest.raises(ValueError, match="NaN or infinity, e.g. row 1"):
        SimilarityIndex(np.array([[1.0, 0], [np.inf, 1]]), ["a", "b"])
    with pytest.raises(ValueError, match="no vectors"):
        SimilarityIndex(np.zeros((0, 4)), [])


def test_saved_index_files_must_belong_together(tmp_path):
    rng = np.random.default_rng(0)
    first = SimilarityIndex(rng.normal(size=(20, 8)), [f"a{i}" for i in range(20)]).save(tmp_path / "one")
    second = SimilarityIndex(rng.normal(size=(20, 8)), [f"b{i}" for i in range(20)]).save(tmp_path / "two")
    assert not list(first.glob("*.tmp*"))  # temporary files renamed into place
    (first / "vectors.npy").write_bytes((second / "vectors.npy").read_bytes())  # same sizes, other vectors
    with pytest.raises(ValueError, match="vectors.npy is not the file meta.json was saved with"):
        SimilarityIndex.load(first)
    (second / "index.faiss").unlink()
    with pytest.raises(FileNotFoundError, match="index.faiss is missing"):
        SimilarityIndex.load(second)


@pytest.mark.parametrize("kind, floor", [("ivf", 0.9), ("hnsw", 0.95)])
def test_approximate_index_recall_against_exact(kind, floor, tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 16))
    x = centres[rng.integers(0, 50, 20000)] + 0.5 * rng.normal(size=(20000, 16))
    ids = np.arange(len(x))
    approx = SimilarityIndex(x, ids, kind=kind, nprobe=8)
    exact = SimilarityIndex(x, ids, kind="flat")
    queries = x[:200] + 0.05 * rng.normal(size=(200, 16))
    _, e = exact.search(queries, 10)
    for index in (approx, SimilarityIndex.load(approx.save(tmp_path / kind))):
        _, a = index.search(queries, 10)
        recall = np.mean([len(set(p) & set(q)) / 10 for p, q in zip(a, e, strict=True)])
        assert recall > floor, (kind, recall)


def test_auto_index_is_exact_when_small_and_a_graph_when_large(monkeypatch):
    x = np.random.default_rng(0).normal(size=(300, 8))
    assert SimilarityIndex(x, np.arange(300)).kind == "flat"
    monkeypatch.setattr(SimilarityIndex, "EXACT_LIMIT", 200)
    assert SimilarityIndex(x, np.arange(300)).kind == "hnsw"


def test_query_refuses_several_rows_and_titles_refuse_none():
    index = SimilarityIndex(np.eye(4, dtype=np.float32), list("abcd"))
    with pytest.raises(ValueError, match="one vector, got 2 rows"):
        index.query(np.eye(4, dtype=np.float32)[:2])
    assert index.query(np.eye(4, dtype=np.float32)[:1], k=1)["id"].tolist() == ["a"]
    for bad in (None, float("nan")):
        with pytest.raises(ValueError, match="empty title"):
            embed_titles(["a title", bad], encoder=object())


@pytest.mark.parametrize(
    "damage, match",
    [
        ("{not json", "meta.json is damaged"),
        ('{"kind": "flat", "dim": 8}', r"lacks \['ids'\]"),
        ("[1, 2]", r"lacks \['ids', 'kind', 'dim'\]"),
    ],
)
def test_a_damaged_index_meta_file_is_named(tmp_path, damage, match):
    saved = SimilarityIndex(np.random.default_rng(0).normal(size=(5, 8)), list("abcde")).save(tmp_path / "i")
    (saved / "meta.json").write_text(damage)
    with pytest.raises(ValueError, match=match):
        SimilarityIndex.load(saved)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_a_masked_query_ranks_only_the_allowed_items_exactly(kind):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 16)).astype(np.float32)
    index = SimilarityIndex(vectors, [f"p{i}" for i in range(200)], kind=kind)
    mask = np.zeros(200, dtype=bool)
    mask[::3] = True
    query = rng.normal(size=16).astype(np.float32)
    hits = index.query(query, k=5, mask=mask)
    allowed = np.flatnonzero(mask)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = allowed[np.argsort(-(unit[allowed] @ (query / np.linalg.norm(query))))[:5]]
    assert list(hits["id"]) == [f"p{i}" for i in expected] and list(hits["rank"]) == [1, 2, 3, 4, 5]
    assert hits["similarity"].is_monotonic_decreasing
    assert index.query(query, k=50, mask=np.eye(1, 200, 7, dtype=bool)[0])["id"].tolist() == ["p7"]
    assert index.query(query, k=3, mask=np.zeros(200, dtype=bool)).empty
    with pytest.raises(ValueError, match="one boolean per stored item"):
        index.query(query, k=3, mask=np.ones(10, dtype=bool))
