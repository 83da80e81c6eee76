import pandas as pd

from artlib.config import settings
from artlib.data import ArtTable
from artlib.utils import run_status


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


def test_a_task_with_almost_no_training_images_per_class_is_called_hopeless(tmp_path, monkeypatch, capsys):
    """179 artists from 63 training images (a museum CSV): said at the top and listed in the run summary."""

    from artlib.runner.run_notebooks import _describe

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
