"""The Similar and Map pages over a collection of any size (notebook 15's disk index and catalogue only)."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("faiss")
pytest.importorskip("datashader")
from streamlit.testing.v1 import AppTest  # noqa: E402

from artlib.app import SCRIPT  # noqa: E402
from artlib.app.explorer import Explorer  # noqa: E402


def page(outputs, monkeypatch, name: str) -> AppTest:
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(outputs))
    at = AppTest.from_file(str(SCRIPT), default_timeout=180)
    at.run()
    at.switch_page(name)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return " ".join(
        str(e.value) for kind in ("markdown", "caption", "error", "warning", "info") for e in getattr(at, kind)
    )


def test_an_outputs_folder_with_only_a_collection_opens_without_notes(scale_outputs):
    ex = Explorer.open(scale_outputs)
    assert ex.large is not None and len(ex.large) == 6000 and ex.images is None
    assert not [n for n in ex.notes if n.level == "error"], ex.notes


def test_similar_finds_a_painting_by_words_and_shows_its_neighbours(scale_outputs, monkeypatch):
    at = page(scale_outputs, monkeypatch, "views/similar.py")
    assert "6,000 paintings, searched on disk" in texts(at)
    at.text_input(key="large_find").input("Study 4321").run()
    assert not at.exception and at.selectbox(key="large_pick").value == 4321
    said = texts(at)
    assert "nearest to **Study 4321 (painting-004321)**: 8 of 6,000 in" in said
    assert said.count("similarity 0.") == 8
    at.text_input(key="large_find").input("no such words").run()
    assert "No painting's title, artist or id holds 'no such words'" in texts(at)


def test_similar_says_why_an_upload_cannot_be_searched(scale_outputs, monkeypatch):
    at = page(scale_outputs, monkeypatch, "views/similar.py")
    at.radio(key="large_source").set_value("upload").run()
    assert not at.exception and not at.error  # nothing uploaded yet: no message


def test_map_draws_every_point_and_zooms(scale_outputs, monkeypatch):
    at = page(scale_outputs, monkeypatch, "views/map_page.py")
    said = texts(at)
    assert "every one of 6,000 paintings in view, drawn by datashader" in said and "one per cell" in said
    at.selectbox(key="large_color").set_value("style").run()
    assert not at.exception and "style 3" in texts(at)  # the legend names the labels
