import threading
import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("faiss")
pytest.importorskip("duckdb")

from large_collections import make_collection  # noqa: E402

from artlib.collection.catalogue import write_catalogue  # noqa: E402
from artlib.collection.large import CATALOGUE, LargeCollection, is_large_collection  # noqa: E402
from artlib.retrieval.disk_index import exact_neighbours  # noqa: E402


def test_similar_finds_the_exact_neighbours_and_their_rows(tmp_path):
    _, vectors, ids = make_collection(tmp_path)
    assert is_large_collection(tmp_path)
    collection = LargeCollection.open(tmp_path)
    assert collection.index._ids is None  # opening read no ids
    queries = [5, 777, 2999]
    _, exact = exact_neighbours(vectors[queries], [(ids, vectors)], k=9)
    for q, truth in zip(queries, exact, strict=True):
        hits = collection.similar(position=q, k=8)
        assert ids[q] not in hits["id"].tolist() and len(hits) == 8 and hits["rank"].tolist() == list(range(1, 9))
        assert len(set(hits["id"]) & set(truth[1:])) >= 6  # approximate, re-ranked
        assert hits["similarity"].is_monotonic_decreasing and hits.attrs["ms"] > 0
        assert (hits["title"] == [f"Study {int(i.split('-')[1])}" for i in hits["id"]]).all()
    assert collection.labels == ["style"] and collection.find("Study 2999")["position"].tolist() == [2999]
    with pytest.raises(IndexError, match="no painting at position"):
        collection.similar(position=3000)
    with pytest.raises(RuntimeError, match="records no embedding model"):
        collection.similar(image=np.zeros((64, 64, 3), np.uint8))
    assert collection.page_cache == "not asked"  # a script's collection reads what its queries need, no more
    warmed = LargeCollection.open(tmp_path, warm=True)  # a server's: the files its queries read, read once
    assert warmed.warmer is not None and warmed.warmer.wait(60) and warmed.page_cache == "warm"
    names = [f.name for f in warmed.warmer.files]
    assert names == ["lists.ivfdata", "vectors.f16", "catalogue.arrow"]  # the copy was written by the queries above
    points = collection.point_map("style")
    assert len(points) == 3000 and collection.point_map("style") is points  # read once per column


def test_opening_takes_the_same_time_at_ten_times_the_size(tmp_path):
    make_collection(tmp_path / "small", n=2000)
    make_collection(tmp_path / "large", n=20_000)

    def open_seconds(folder):
        best = np.inf
        for _ in range(3):
            started = time.perf_counter()
            LargeCollection.open(folder)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = open_seconds(tmp_path / "small"), open_seconds(tmp_path / "large")
    assert large < max(3 * small, small + 0.05), (small, large)


def test_concurrent_sessions_get_their_own_answers(tmp_path):
    make_collection(tmp_path)
    collection = LargeCollection.open(tmp_path)
    alone = {q: collection.similar(position=q, k=8)["id"].tolist() for q in range(10)}
    together, errors = {}, []

    def session(q):
        try:
            for _ in range(5):  # bounded
                together.setdefault(q, collection.similar(position=q, k=8)["id"].tolist())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(q,)) for q in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and together == alone


def test_a_catalogue_of_another_size_or_no_map_is_named(tmp_path):
    make_collection(tmp_path, with_map=False)
    collection = LargeCollection.open(tmp_path)
    assert not collection.has_map
    with pytest.raises(RuntimeError, match="no map coordinates"):
        collection.point_map()
    write_catalogue(tmp_path / CATALOGUE, pd.DataFrame({"id": ["a", "b"]}))
    with pytest.raises(ValueError, match="the catalogue lists 2 paintings, the index holds 3,000"):
        LargeCollection.open(tmp_path)


def test_labels_come_most_labelled_first(tmp_path):
    """A collection where few paintings name their artist, or with 145 painters, is coloured by its style first
    (notebook 15's map)."""
    make_collection(tmp_path, n=3000)
    items = pd.read_parquet(tmp_path / CATALOGUE).drop(columns="position")
    rng = np.random.default_rng(0)
    items["artist_name"] = np.where(rng.random(len(items)) < 0.1, "Someone", None)  # 10 % labelled
    items["genre"] = np.where(rng.random(len(items)) < 0.5, "landscape", None)
    items["artist_slug"] = [f"painter-{i % 145}" for i in range(len(items))]  # every one, but too many for colours
    items = items[["id", "title", "artist_slug", "artist_name", "genre", "style", "x", "y"]]
    write_catalogue(tmp_path / CATALOGUE, items)
    collection = LargeCollection.open(tmp_path)
    assert collection.map_labels() == ["style", "genre", "artist_name", "artist_slug"]
    assert collection.labels == [
        "artist_slug",
        "artist_name",
        "genre",
        "style",
    ]  # the file's order, read from no column
    assert collection.catalogue.labelled("artist_name") == int(items["artist_name"].notna().sum())
