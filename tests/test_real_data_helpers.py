import json

import numpy as np
import pandas as pd
import pytest

from artlib import run_status
from artlib.config import get_splits, settings
from artlib.data import ArtTable, drop_empty_classes
from artlib.data.derived import same_artist_tables, titles
from artlib.data.wikiart import file_name_fields
from artlib.results import save_result, summary_markdown, task_scores


def _table(codes, names, **columns):
    frame = pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(codes))], "style": codes, **columns})
    return ArtTable(frame, {"style": names})


def test_wikiart_file_names_give_artist_and_title():
    assert file_name_fields("Impressionism/claude-monet_water-lilies-1919.jpg") == ("claude-monet", "Water lilies 1919")
    assert file_name_fields("Baroque/untitled.jpg") == ("", "Untitled")


def test_classes_without_images_are_dropped_and_recoded(caplog):
    names = ["a", "b", "c", "d"]
    tables = {"train": _table([0, 2, 2], names), "test": _table([2, 0, -1], names)}
    with caplog.at_level("WARNING"):
        out = drop_empty_classes(tables)
    assert out["train"].classes == {"style": ["a", "c"]}
    assert out["train"].frame["style"].tolist() == [0, 1, 1] and out["test"].frame["style"].tolist() == [1, 0, -1]
    given = out["test"].label_names("style")
    assert given.tolist()[:2] == ["c", "a"] and given.isna().tolist() == [False, False, True]
    assert "2 of 4 classes have no image" in caplog.text and "b, d" in caplog.text
    single = {"train": _table([0, 0], names)}
    with pytest.raises(ValueError, match="no task has images of at least 2 classes"):
        drop_empty_classes(single)


def test_same_artist_tables_come_from_what_the_data_has():
    slugs = ["monet"] * 12 + ["degas"] * 11 + ["rare"] * 3
    table = _table([0] * len(slugs), ["x", "y"], artist_slug=slugs)
    half = len(slugs) // 2
    tables = {"train": table.subset(np.arange(half)), "test": table.subset(np.arange(half, len(slugs)))}
    out, how = same_artist_tables(tables, min_works=10)
    assert out["train"].classes == {"artist": ["degas", "monet"]} and "2 artists" in how and "artist_slug" in how
    assert sum(len(t) for t in out.values()) == 23  # the rare artist is left out
    none, why = same_artist_tables({"train": _table([0, 1], ["x", "y"])})
    assert none is None and "no artist label" in why


def test_titles_are_found_or_explained():
    values, how = titles(_table([0, 1], ["x", "y"], title=["Sea", "Sky"]))
    assert values.tolist() == ["Sea", "Sky"] and "2 titled" in how
    values, why = titles(_table([0, 1], ["x", "y"]))
    assert values is None and "no 'title' column" in why


def test_task_scores_give_intervals_and_results_are_summarised(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    probs = np.eye(4)[np.where(rng.random(200) < 0.7, y, (y + 1) % 4)]
    scores = task_scores({"style": y, "genre": np.full(200, -1)}, {"style": probs, "genre": probs}, top_k=2)
    assert list(scores.index) == ["style"]  # a task without labels has no score
    row = scores.loc["style"]
    assert row["accuracy_low"] < row["accuracy"] < row["accuracy_high"] and row["top2"] >= row["accuracy"]
    cfg = settings()
    path = save_result(cfg, "demo", "Demo result", scores, epochs=3)
    assert json.loads(path.read_text())["data"] == "generated fixture"
    text = summary_markdown(tmp_path)
    assert "### Demo result" in text and f"{row['accuracy']:.3f} ({row['accuracy_low']:.3f}-" in text


def test_run_status_records_banners_and_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_NOTEBOOK", "12_demo")
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    cfg = settings()
    run_status.unavailable(cfg, "same-artist pairs", "no artist label")
    assert "NOT RUN: same-artist pairs" in capsys.readouterr().out
    run_status.used_data(cfg, "splits", 10)
    kinds = [r["kind"] for r in run_status.read(tmp_path, "12_demo")]
    assert kinds == ["unavailable", "data"]


def test_saved_splits_of_other_data_are_not_reused(tmp_path, monkeypatch, fixture_paths, caplog):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    monkeypatch.delenv("ARTLIB_META", raising=False)
    first = get_splits(settings())
    assert json.loads((tmp_path / "splits" / "source.json").read_text())["data"] == "fixture"
    monkeypatch.setenv("ARTLIB_DATASET", "imagefolder")
    monkeypatch.setenv("ARTLIB_DATA", str(fixture_paths.imagefolder))
    with caplog.at_level("WARNING"):
        second = get_splits(settings())
    assert "were made from fixture" in caplog.text
    assert second["train"].tasks == ["label"] and first["train"].tasks != ["label"]


def test_run_notebooks_makes_relative_data_paths_absolute(tmp_path, monkeypatch):
    """Kernels run in the notebooks' folder: a relative ARTLIB_DATA must mean the caller's folder."""
    from artlib import run_notebooks

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mydata").mkdir()
    monkeypatch.setenv("ARTLIB_DATA", "mydata")
    monkeypatch.setenv("ARTLIB_OUTPUTS", "out")
    empty = tmp_path / "no_notebooks"
    empty.mkdir()
    assert run_notebooks.main(["--notebooks", str(empty)]) == 2  # nothing to run
    import os

    assert os.environ["ARTLIB_DATA"] == str(tmp_path / "mydata")
    assert os.environ["ARTLIB_OUTPUTS"] == str(tmp_path / "out")


def test_a_task_with_almost_no_training_images_per_class_is_called_hopeless(tmp_path, monkeypatch, capsys):
    """179 artists from 63 training images (a museum CSV): said at the top and listed in the run summary."""
    import pandas as pd

    from artlib.data import ArtTable
    from artlib.run_notebooks import _describe

    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_NOTEBOOK", "09_demo")
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    cfg = settings()
    artists = [0] * 12 + [1] * 11 + list(range(2, 42))
    periods = [i % 4 for i in range(len(artists))]
    train = ArtTable(
        pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(artists))], "artist": artists, "period": periods}),
        {"artist": [f"a{i}" for i in range(179)], "period": list("wxyz")},
    )
    assert run_status.sparse_tasks(cfg, train) == ["artist"]
    assert "HOPELESS TASK: artist" in capsys.readouterr().out
    _, missing = _describe(run_status.read(tmp_path, "09_demo"))
    assert missing.startswith("HOPELESS: the artist task: 177 of its 179 classes") and "period" not in missing
