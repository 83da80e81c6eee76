"""Large collections unlike the sample, drawn by seed: one label value for every painting or no label column, no
titles or blank ones, no artists, no map or a map where every point sits in one place, ids with spaces, accents and
slashes, blank labels. Every page the explorer builds on must answer them or say why it cannot."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("faiss")
pytest.importorskip("duckdb")

from artlib.collection.catalogue import write_catalogue  # noqa: E402
from artlib.collection.large import CATALOGUE, INDEX_DIR, LargeCollection  # noqa: E402
from artlib.retrieval.disk_index import DiskIndex, choose_params  # noqa: E402

ODD_IDS = ["a painting {}", "peinture-é-{}", "museum/room 3/{}", "{}", "x{}.JPG"]


def draw_collection(folder, seed):
    """A collection of 256-700 paintings whose catalogue takes one of the odd shapes, by ``seed``."""
    rng = np.random.default_rng(seed)
    n, dim = int(rng.integers(256, 700)), int(rng.choice([16, 32, 64]))
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    if rng.random() < 0.3:  # many exact copies: ties everywhere
        vectors[: n // 2] = vectors[0]
    pattern = ODD_IDS[seed % len(ODD_IDS)]
    ids = [pattern.format(i) for i in range(n)]
    params = choose_params(n, dim)
    DiskIndex.build(vectors, [(ids, vectors)], params, folder / INDEX_DIR)
    items = pd.DataFrame({"id": ids})
    for column in range(int(rng.integers(0, 3))):  # no label column, or one or two
        values = rng.choice(["one"] if rng.random() < 0.4 else ["a", "b", "c", ""], n)
        items[f"label{column}"] = values
    titles = rng.integers(0, 3)
    if titles == 1:
        items["title"] = [f"Study {i}" for i in range(n)]
    elif titles == 2:
        items["title"] = rng.choice(["", "Untitled", "Nocturne in blue"], n)
    if rng.random() < 0.5:
        items["artist_name"] = rng.choice(["", "Anon."], n)
    shape = rng.integers(0, 3)  # no map, a spread map, or every point in one place
    if shape:
        items["x"], items["y"] = (rng.normal(size=n), rng.normal(size=n)) if shape == 1 else (np.ones(n), np.ones(n))
    write_catalogue(folder / CATALOGUE, items)
    return items


@pytest.mark.parametrize("seed", range(10))
def test_an_odd_collection_opens_searches_finds_and_maps_or_says_why_not(tmp_path, seed):
    items = draw_collection(tmp_path, seed)
    collection = LargeCollection.open(tmp_path)
    assert len(collection) == len(items)
    assert set(collection.labels) <= {c for c in items.columns if c.startswith("label") or c == "artist_name"}
    query = int(np.random.default_rng(seed).integers(len(items)))
    hits = collection.similar(position=query, k=8)
    assert 0 < len(hits) <= 8 and items["id"][query] not in hits["id"].tolist()
    assert hits["id"].isin(items["id"]).all()
    captions = [collection.caption(row) for row in hits.to_dict("records")]
    assert all(isinstance(c, str) and c for c in captions)  # a title, else the id's last part
    found = collection.find("Study 12")
    assert isinstance(found, pd.DataFrame)
    if "title" in items and (items["title"] == "Study 12").any():
        assert 12 in found["position"].tolist()
    if not collection.has_map:
        with pytest.raises(RuntimeError, match="no map coordinates"):
            collection.point_map()
        return
    for label in [None, *collection.labels][:2]:
        points = collection.point_map(label)
        assert len(points) == len(items)
        view = points.full_view()  # every point in one place too: a view, not a division by zero
        assert view.x0 < view.x1 and view.y0 < view.y1 and len(points.inside(view)) == len(items)
        assert points.render(view).size == (800, 560)
        clickable = points.clickable(view)
        assert len(clickable) >= 1 and clickable["position"].between(0, len(items) - 1).all()
        zoomed = points.clickable(view.zoomed(view.x0, (view.x0 + view.x1) / 2, view.y0, view.y1))
        assert zoomed["position"].between(0, len(items) - 1).all()
