import json

import pytest

from artlib.config import get_splits, prepare_splits, settings
from artlib.data.derived import titles


def test_defaults_use_fixture_and_ci_profile(monkeypatch, tmp_path):
    for var in ("ARTLIB_DATA", "ARTLIB_PROFILE", "ARTLIB_EPOCHS", "ARTLIB_DATASET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    s = settings()
    assert s.is_fixture and s.profile == "ci" and s.image_size == 64 and s.outputs == tmp_path


def test_env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_PROFILE", "full")
    monkeypatch.setenv("ARTLIB_EPOCHS", "3")
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_HPO_TRIALS", "1")
    monkeypatch.setenv("ARTLIB_PAIRS_PER_IMAGE", "2")
    monkeypatch.setenv("ARTLIB_PRETRAINED_EPOCHS", "5")
    s = settings(batch_size=7)
    assert s.profile == "full" and s.epochs == 3 and s.image_size == 224 and s.batch_size == 7
    assert s.hpo_trials == 1 and s.pairs_per_image == 2 and s.pretrained_epochs == 5 and s.hpo_epochs == 12


def test_bad_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_PROFILE", "huge")
    with pytest.raises(ValueError, match="ARTLIB_PROFILE"):
        settings()
    monkeypatch.setenv("ARTLIB_PROFILE", "ci")
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="ARTLIB_DATA"):
        settings()


@pytest.mark.parametrize(
    "variables, match",
    [
        ({"ARTLIB_DATASET": "foo"}, "ARTLIB_DATASET must be one of"),
        ({"ARTLIB_DATASET": "csv"}, "ARTLIB_DATASET=csv needs ARTLIB_DATA"),
        ({"ARTLIB_EPOCHS": "abc"}, "ARTLIB_EPOCHS must be an integer >= 1, got 'abc'"),
        ({"ARTLIB_EPOCHS": "0"}, "ARTLIB_EPOCHS must be >= 1, got 0"),
        ({"ARTLIB_EPOCHS": "-3"}, "ARTLIB_EPOCHS must be >= 1"),
        ({"ARTLIB_IMAGE_SIZE": "0"}, "ARTLIB_IMAGE_SIZE must be >= 16"),
        ({"ARTLIB_BATCH_SIZE": "2.5"}, "ARTLIB_BATCH_SIZE must be an integer"),
        ({"ARTLIB_WORKERS": "-1"}, "ARTLIB_WORKERS must be >= 0"),
    ],
)
def test_invalid_variables_are_named(monkeypatch, tmp_path, variables, match):
    for var in ("ARTLIB_DATA", "ARTLIB_META", "ARTLIB_PROFILE", "ARTLIB_DATASET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=match):
        settings()


def test_invalid_parameters_cell_values_are_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        settings(epochs=0)
    with pytest.raises(ValueError, match="image_size"):
        settings(image_size="224")
    with pytest.raises(ValueError, match="tta_views"):
        settings(tta_views="letterbox")  # a string is not a sequence of views
    with pytest.raises(ValueError, match="tta_views"):
        settings(tta_views=["letterbox", "diagonal"])
    assert settings(tta_views=["crop", "end"]).tta_views == ("crop", "end")
    assert settings(profile="cpu").tta_views == ("letterbox",)
    monkeypatch.setenv("ARTLIB_META", str(tmp_path / "no_meta"))
    with pytest.raises(FileNotFoundError, match="ARTLIB_META"):
        settings()


def test_prepare_splits_on_real_split_folders(monkeypatch, tmp_path, shared):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_DATA", str(shared / "data" / "cnpaint"))
    monkeypatch.setenv("ARTLIB_DATASET", "imagefolder")
    s = settings()
    splits = prepare_splits(s, verify=False)
    assert len(splits.test) == 300  # the given test split is kept as is
    assert len(splits.train) + len(splits.val) == 2399  # the train copy of a test image is removed
    assert (tmp_path / "splits" / "removed_test_copies.csv").is_file()
    loaded = get_splits(s)
    assert loaded["train"].frame["path"].tolist() == splits.train.frame["path"].tolist()


def test_a_csv_dataset_keeps_its_other_columns_and_titles(tmp_path, monkeypatch):
    """A museum CSV (path, period, artist, name, date): the non-task columns stay as metadata, so titles
    and artists are found (notebooks 12 and 14), also when the title column has another name."""
    from PIL import Image

    from artlib.config import load_source, settings
    from artlib.data.derived import artists

    rows = ["path,period,artist,name,date"]
    for i in range(6):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(tmp_path / f"{i}.jpg")
        rows.append(f"{i}.jpg,{'early' if i < 3 else 'late'},painter {i % 2},Work number {i},{1800 + i}")
    (tmp_path / "museum.csv").write_text("\n".join(rows) + "\n")
    for name in ("ARTLIB_PROFILE", "ARTLIB_OUTPUTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTLIB_DATASET", "csv")
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path))
    monkeypatch.setenv("ARTLIB_META", str(tmp_path / "museum.csv"))
    monkeypatch.setenv("ARTLIB_TASKS", "period")
    table = load_source(settings(outputs=tmp_path / "out"))["all"]
    assert {"artist", "name", "date"} <= set(table.frame.columns) and table.tasks == ["period"]
    assert table.frame["date"].tolist() == [str(1800 + i) for i in range(6)]
    assert artists(table)[0].tolist() == [f"painter {i % 2}" for i in range(6)]
    assert titles(table)[0] is None  # no 'title' column: said, not guessed
    monkeypatch.setenv("ARTLIB_TITLE_COLUMN", "name")
    table = load_source(settings(outputs=tmp_path / "out"))["all"]
    assert titles(table)[0].tolist() == [f"Work number {i}" for i in range(6)]
    monkeypatch.setenv("ARTLIB_TITLE_COLUMN", "caption")
    with pytest.raises(KeyError, match="ARTLIB_TITLE_COLUMN=caption"):
        load_source(settings(outputs=tmp_path / "out"))


def test_an_image_folder_with_train_and_val_is_split_not_two_classes(tmp_path, monkeypatch):
    from PIL import Image

    from artlib.config import load_source, settings

    for split in ("train", "val"):
        for label in ("cats", "dogs"):
            (tmp_path / split / label).mkdir(parents=True)
            Image.new("RGB", (8, 8)).save(tmp_path / split / label / "a.jpg")
    for name in ("ARTLIB_PROFILE", "ARTLIB_OUTPUTS", "ARTLIB_META", "ARTLIB_TASKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTLIB_DATASET", "imagefolder")
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path))
    tables = load_source(settings(outputs=tmp_path.parent / f"{tmp_path.name}_out"))
    assert set(tables) == {"train", "val"} and tables["train"].classes["label"] == ["cats", "dogs"]


@pytest.mark.parametrize("below", ["", "sub"])
def test_outputs_pointing_at_a_file_is_named(monkeypatch, tmp_path, below):
    (tmp_path / "results.txt").write_text("a file")
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "results.txt" / below))
    with pytest.raises(NotADirectoryError, match=r"results.txt is a file, not a folder; point ARTLIB_OUTPUTS"):
        settings()


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


def test_results_name_the_data_without_a_machine_path(monkeypatch, tmp_path):
    from artlib.config import portable_path, project_root

    beside = project_root().parent / "shared" / "data" / "wikiart_sample"
    assert portable_path(beside) == "shared/data/wikiart_sample"
    assert portable_path(tmp_path / "datasets" / "wikiart") == ".../datasets/wikiart"
    (tmp_path / "w").mkdir()
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path / "w"))
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "out"))
    assert settings().source_label == f"wikiart: .../{tmp_path.name}/w"


def test_real_data_preparation_decodes_every_image(monkeypatch, tmp_path, fixture_paths):
    """A truncated file passes a header check; kept in the splits it shifts the rows of features later."""
    monkeypatch.setenv("ARTLIB_DATA", str(fixture_paths.wikiart_images))  # the fixture, given as real data
    monkeypatch.setenv("ARTLIB_META", str(fixture_paths.wikiart_csv))
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    splits = prepare_splits(settings())
    kept = {p for t in splits.tables.values() for p in t.frame["path"]}
    from artlib.data.images import ImageLoadError, load_rgb

    def unreadable(path):
        try:
            load_rgb(path)
        except ImageLoadError:
            return True
        return False

    truncated = {
        str(p.relative_to(fixture_paths.wikiart_images))
        for p in fixture_paths.wikiart_images.rglob("*.jpg")
        if unreadable(p)
    }
    assert len(truncated) == 1 and not truncated & kept


def test_the_intersection_protocol_keeps_images_labelled_for_every_task(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    official = prepare_splits(settings()).tables
    monkeypatch.setenv("ARTLIB_PROTOCOL", "intersection")
    cfg = settings()
    tables = prepare_splits(cfg).tables
    sizes = {name: len(t) for name, t in tables.items()}
    total = sum(sizes.values())
    for table in tables.values():
        assert (table.frame[table.tasks].to_numpy() >= 0).all()
    unlabelled = sum(int((t.frame[t.tasks].to_numpy() < 0).any(axis=1).sum()) for t in official.values())
    assert unlabelled > 0 and total < sum(len(t) for t in official.values())
    assert abs(sizes["train"] / total - 0.8) < 0.05 and abs(sizes["test"] / total - 0.1) < 0.05
    from artlib.config import source_signature

    assert source_signature(cfg)["protocol"] == "intersection"
    monkeypatch.setenv("ARTLIB_PROTOCOL", "union")
    with pytest.raises(ValueError, match="ARTLIB_PROTOCOL must be one of"):
        settings()
