"""The explorer's JSON API: the same answers as the pages, clear status codes, and served by ``artlib-app``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("faiss")
from starlette.applications import Starlette  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from artlib.app import api  # noqa: E402
from artlib.app.explorer import Explorer  # noqa: E402


def client(ex: Explorer, monkeypatch) -> TestClient:
    monkeypatch.setattr(api, "_explorer", lambda: ex)
    return TestClient(Starlette(routes=api.routes()))


def test_similar_on_a_collection_on_disk_matches_the_collection(scale_outputs, monkeypatch):
    ex = Explorer.open(scale_outputs)
    http = client(ex, monkeypatch)
    by_position = http.get("/api/similar", params={"position": 1234, "k": 5}).json()
    expected = ex.large.similar(position=1234, k=5)
    assert [r["id"] for r in by_position["results"]] == expected["id"].tolist()
    assert [r["rank"] for r in by_position["results"]] == [1, 2, 3, 4, 5]
    assert by_position["results"][0]["similarity"] == pytest.approx(float(expected["similarity"].iloc[0]), abs=1e-5)
    assert "painting-001234" not in [r["id"] for r in by_position["results"]]  # the query itself is left out
    assert by_position["ms"] > 0 and by_position["query"] == {"position": 1234}
    by_id = http.get("/api/similar", params={"id": "painting-001234", "k": 5}).json()
    assert by_id["results"] == by_position["results"] and by_id["query"]["position"] == 1234
    assert ex.large.warmer is not None and ex.large.warmer.wait(60)  # the app reads its files into the page cache
    assert http.get("/api/info").json() | {"outputs": None} == {
        "collection": "disk index",
        "paintings": 6000,
        "index": ex.large.index.params.factory,
        "nprobe": ex.large.index.params.nprobe,
        "page_cache": "warm",
        "outputs": None,
    }


@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({"id": "no-such-painting"}, 404, "no painting 'no-such-painting'"),
        ({"position": 6000}, 404, "no painting at position 6000"),
        ({"position": "x"}, 400, "position must be a whole number"),
        ({"position": 1, "k": 0}, 400, "k must lie in [1, 100]"),
        ({"position": 1, "k": "many"}, 400, "k must be a whole number"),
        ({}, 400, "give one of id= or position="),
        ({"id": "painting-000001", "position": 1}, 400, "give one of id= or position="),
    ],
)
def test_bad_requests_get_a_status_and_a_reason(scale_outputs, monkeypatch, params, status, said):
    reply = client(Explorer.open(scale_outputs), monkeypatch).get("/api/similar", params=params)
    assert reply.status_code == status and said in reply.json()["error"]


def test_an_image_index_is_asked_by_id_with_same_artist_values(app_outputs, monkeypatch):
    ex = Explorer.open(app_outputs)
    http = client(ex, monkeypatch)
    item = ex.images.items["id"].iloc[3]
    answer = http.get("/api/similar", params={"id": item, "k": 4}).json()
    expected = ex.similar(item_id=item, k=4)
    assert [r["id"] for r in answer["results"]] == expected["id"].tolist()
    assert all(0 <= r["same_artist"] <= 1 for r in answer["results"])  # notebook 11b's or 12's value, as the page
    assert http.get("/api/similar", params={"position": 3}).status_code == 400
    assert http.get("/api/info").json()["collection"] == "image index"


def test_a_run_without_a_collection_names_the_notebooks(tmp_path, monkeypatch):
    http = client(Explorer.open(tmp_path), monkeypatch)
    reply = http.get("/api/similar", params={"id": "a"})
    assert reply.status_code == 404 and "run notebook 14" in reply.json()["error"]
    assert http.get("/api/info").json()["collection"] is None


def test_artlib_app_serves_the_api_beside_its_pages(scale_outputs):
    from artlib.app.server import serve

    with serve(scale_outputs, timeout=120) as url:
        with urllib.request.urlopen(f"{url}/api/similar?position=7&k=3", timeout=60) as reply:
            answer = json.loads(reply.read())
        assert len(answer["results"]) == 3 and answer["query"] == {"position": 7}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/api/similar?id=nobody", timeout=60)
        assert refused.value.code == 404
        with urllib.request.urlopen(f"{url}/similar", timeout=60) as reply:  # the pages are still there
            assert reply.status == 200 and b"<html" in reply.read().lower()
