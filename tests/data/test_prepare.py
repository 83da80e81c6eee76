import json

import pytest

from artlib.config import settings
from artlib.data.derived import titles
from artlib.data.prepare import get_splits, prepare_splits


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

    from artlib.config import settings
    from artlib.data.derived import artists
    from artlib.data.prepare import load_source

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

    from artlib.config import settings
    from artlib.data.prepare import load_source

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
    from artlib.data.prepare import source_signature

    assert source_signature(cfg)["protocol"] == "intersection"
    monkeypatch.setenv("ARTLIB_PROTOCOL", "union")
    with pytest.raises(ValueError, match="ARTLIB_PROTOCOL must be one of"):
        settings()


def test_from_scratch_budgets_never_cut_a_small_split():
    """A museum CSV's 213 training images: a quarter (53) left every from-scratch model at chance."""
    from artlib.config import settings
    from artlib.data.prepare import MIN_SCRATCH_IMAGES, scratch_images

    cpu = settings(profile="cpu")
    assert scratch_images(cpu, 213) == 213  # a cap, not a share: a small split is whole
    assert scratch_images(cpu, 5_600) == cpu.train_images == 1500  # the WikiArt sample: capped
    quarter = settings(train_fraction=0.25)
    assert scratch_images(quarter, 213) == 213 and scratch_images(quarter, 1_000) == MIN_SCRATCH_IMAGES
    assert scratch_images(quarter, 8_000) == 2_000
    assert scratch_images(settings(), 40) == 40


def _point_at(monkeypatch, tmp_path, shape):
    from artlib.fixtures.shapes import write_collection

    for key, value in write_collection(shape, tmp_path / "data").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "out"))
    return settings()


def test_learnable_splits_drop_what_cannot_be_learned_and_say_why(monkeypatch, tmp_path, caplog):
    """A museum CSV whose artist column is blank and whose periods are one class (drawn shapes 5 and 17)."""
    from artlib.data.prepare import learnable_splits, learnable_tasks
    from artlib.errors import NotEnoughDataError
    from artlib.fixtures.shapes import CollectionShape

    cfg = _point_at(monkeypatch, tmp_path, CollectionShape((40,), tasks=("period", "artist")))
    splits = get_splits(cfg)
    assert splits["train"].tasks == ["period"] and "left out" in caplog.text  # the blank artist column
    assert "artist" not in splits["train"].frame  # its codes (-1) would read as one artist named "-1"
    assert "1 period class" in learnable_tasks(splits)["period"].replace("(es)", "")
    with pytest.raises(NotEnoughDataError, match="period: the training split holds 1 period class"):
        learnable_splits(cfg)


def test_learnable_splits_need_images_to_score(monkeypatch, tmp_path):
    """Ten images (drawn shape 23): one validation and one test image cannot score a classifier."""
    from artlib.data.prepare import learnable_splits
    from artlib.errors import NotEnoughDataError
    from artlib.fixtures.shapes import CollectionShape

    cfg = _point_at(monkeypatch, tmp_path, CollectionShape((6, 4)))
    with pytest.raises(NotEnoughDataError, match=r"labelled period images: val 1, test 1; scoring needs 2"):
        learnable_splits(cfg)
    cfg = _point_at(monkeypatch, tmp_path / "more", CollectionShape((20, 20)))
    assert learnable_splits(cfg)["train"].tasks == ["period"]
