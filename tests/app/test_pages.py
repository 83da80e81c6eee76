"""Every page of the explorer app in Streamlit's headless AppTest, on fixture artefacts and bad input."""

from __future__ import annotations

import io

import pytest
from PIL import Image

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from artlib.app import SCRIPT  # noqa: E402

PAGES = ["views/classify.py", "views/similar.py", "views/search.py", "views/map_page.py", "views/suspects.py"]


def app(outputs, monkeypatch, page: str | None = None) -> AppTest:
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(outputs))
    at = AppTest.from_file(str(SCRIPT), default_timeout=180)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def jpeg(mode: str = "RGB", size=(96, 72)) -> bytes:
    buffer = io.BytesIO()
    color = {"RGB": (180, 60, 40), "CMYK": (0, 120, 200, 10), "L": 128}[mode]
    Image.new(mode, size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def texts(at: AppTest) -> str:
    return " ".join(
        str(e.value) for kind in ("markdown", "caption", "error", "warning", "info") for e in getattr(at, kind)
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_notes(app_outputs, monkeypatch, page):
    at = app(app_outputs, monkeypatch, page)
    assert len(at.header) == 1
    assert not at.error, [e.value for e in at.error]


def test_classify_a_collection_painting_shows_top3_per_task(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch)
    bars = at.get("progress")
    tasks = {s.value for s in at.subheader}
    assert tasks == {"style", "genre", "artist"} & tasks and "artist" in tasks
    # top-3 of every other task; the artist is notebook 11b's answer: one bar for a known artist, none for
    # "someone else", which names its look-alikes without a probability
    someone_else = "Someone else" in texts(at)
    assert len(bars) == 3 * (len(tasks) - 1) + (0 if someone_else else 1)
    probabilities = [float(b.proto.value) / 100 for b in bars]
    assert all(0 <= p <= 1 for p in probabilities)
    assert "accuracy" in str(at.get("table")[0].proto) if at.get("table") else True
    assert "prediction set" in texts(at) and "notebook 11b" in texts(at)


def test_classify_shows_where_the_model_looked(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch)
    shown = len(at.get("image"))
    at.toggle(key="classify_cam").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    overlays = [i for i in at.get("image") if "where it saw" in str(i.proto)]
    someone_else = "Someone else" in texts(at)  # no map may say where it saw an artist it did not answer
    assert len(at.get("image")) > shown and len(overlays) == len(at.subheader) - (1 if someone_else else 0)
    if someone_else:
        assert "No map for artist" in texts(at)


@pytest.mark.parametrize("views", ["one view", "multi-view + mirror"])
def test_classify_an_upload_with_each_view_choice(app_outputs, monkeypatch, views):
    at = app(app_outputs, monkeypatch)
    at.radio(key="classify_source").set_value("upload").run()
    at.selectbox(key="classify_views").set_value(views).run()
    at.file_uploader(key="classify_upload").set_value(("painting.jpg", jpeg(), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert len(at.get("progress")) >= 3


@pytest.mark.parametrize(
    "name,data,expect",
    [
        ("notes.jpg", b"this is a text file, not a painting", "cannot decode"),
        ("cut.jpg", jpeg()[:300], "cannot decode"),
        ("empty.png", b"", "empty"),
    ],
)
def test_bad_uploads_get_a_message_not_a_traceback(app_outputs, monkeypatch, name, data, expect):
    at = app(app_outputs, monkeypatch)
    at.radio(key="classify_source").set_value("upload").run()
    at.file_uploader(key="classify_upload").set_value((name, data, "image/jpeg")).run()
    assert not at.exception
    assert any(expect in e.value and name in e.value for e in at.error), [e.value for e in at.error]
    assert not at.get("progress")


def test_huge_upload_is_refused_as_too_large(app_outputs, monkeypatch):
    buffer = io.BytesIO()
    Image.new("L", (12000, 8000)).save(buffer, "PNG")  # 96 MP, above Pillow's limit (~89 MP)
    at = app(app_outputs, monkeypatch)
    at.radio(key="classify_source").set_value("upload").run()
    at.file_uploader(key="classify_upload").set_value(("huge.png", buffer.getvalue(), "image/png")).run()
    assert not at.exception
    assert any("too large" in e.value for e in at.error)


def test_cmyk_and_grayscale_uploads_are_classified(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch)
    at.radio(key="classify_source").set_value("upload").run()
    for mode in ("CMYK", "L"):
        at.file_uploader(key="classify_upload").set_value((f"{mode}.jpg", jpeg(mode), "image/jpeg")).run()
        assert not at.exception and not at.error
        assert len(at.get("progress")) >= 3


def test_similar_shows_a_gallery_with_same_artist_probabilities(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch, "views/similar.py")
    at.slider(key="similar_k").set_value(4).run()
    assert len(at.get("imgs")) >= 1 + 4 if at.get("imgs") else True
    page = texts(at)
    assert page.count("similarity") == 4 and page.count("same artist") == 4, page


def test_similar_from_an_upload(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch, "views/similar.py")
    at.radio(key="similar_source_radio").set_value("upload").run()
    at.file_uploader(key="similar_upload").set_value(("q.jpg", jpeg(), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert texts(at).count("similarity") == 8


def test_search_filters_by_task(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch, "views/search.py")
    at.text_input(key="search_text").input("portrait of a young man").run()
    assert texts(at).count("similarity") == 12
    style = at.multiselect(key="search_filter_style")
    keep = style.options[0]
    style.set_value([keep]).run()
    hits = texts(at)
    assert 0 < hits.count("similarity") <= 12 and keep in hits
    assert not at.exception


def test_map_and_suspects_show_the_collection(app_outputs, monkeypatch):
    at = app(app_outputs, monkeypatch, "views/map_page.py")
    assert at.selectbox(key="map_color").options
    assert "Hover a point" in texts(at)
    at = app(app_outputs, monkeypatch, "views/suspects.py")
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["image", "path", "given", "p_given", "predicted", "p_predicted", "rank"]
    assert frame["image"].str.startswith("data:image/jpeg;base64,").all()
    assert frame["p_given"].between(0, 1).all() and frame["rank"].iloc[0].startswith("1 of ")
    assert "ECE" in texts(at)  # the calibration behind the probabilities, with its interval
    assert len(at.get("download_button")) == 1


def test_an_outputs_folder_without_artefacts_says_what_to_run(tmp_path, monkeypatch):
    for page in PAGES:
        at = app(tmp_path, monkeypatch, page)
        assert any("python -m artlib.runner" in e.value for e in at.error), page
    assert not any((tmp_path / name).exists() for name in ("cache", "artifacts"))


def test_artefacts_from_other_data_are_named(app_outputs, tmp_path, monkeypatch, fixture_paths):
    import shutil

    from artlib.config import settings
    from artlib.store import artifacts

    other = tmp_path / "mixed"
    shutil.copytree(app_outputs / "artifacts", other / "artifacts")
    cfg = settings(outputs=other, tasks=["style"])  # another signature: the index "comes from other data"
    index = artifacts.load_index(app_outputs, "image_index")
    artifacts.save_index(
        cfg,
        "image_index",
        index.index,
        index.items,
        index.root,
        index.embedder,
        tasks=index.tasks,
        features=index.features,
    )
    at = app(other, monkeypatch)
    page = texts(at)
    assert "the classifier was trained on" in page and "08_efficientnet" in page and "14_similarity" in page
    at = app(other, monkeypatch, "views/suspects.py")
    assert any("not used" in e.value and "13_outliers" in e.value for e in at.error)
    assert not at.dataframe
