"""artlib-embed's listing of a collection: made once, brought up to date on every run, refused for another one."""

import json
import logging
import os
import tarfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from artlib.collection.listing import LISTING_FILE, list_collection
from artlib.collection.shards import shard_files


def _image(path, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _rows(shards):
    return pd.concat([pd.read_parquet(s) for s in shards], ignore_index=True) if shards else pd.DataFrame()


def test_a_first_listing_holds_absolute_paths_and_ids_inside_the_collection(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("a/1.jpg", "a/2.jpg", "b/3.png"):
        _image(tmp_path / "paintings" / name)
    shards = list_collection(tmp_path.joinpath("paintings").relative_to(tmp_path), tmp_path / "out", 2)
    rows = _rows(shards)
    assert list(rows["id"]) == ["a/1.jpg", "a/2.jpg", "b/3.png"] and len(shards) == 2
    assert all(os.path.isabs(p) for p in rows["path"])
    monkeypatch.chdir(tmp_path / "out")  # a run from another folder (or a Ray worker) still finds every file
    assert all(os.path.isfile(p) for p in rows["path"])
    record = json.loads((tmp_path / "out" / LISTING_FILE).read_text())
    assert record == {"collection": str((tmp_path / "paintings").resolve()), "kind": "folder"}


def test_another_collection_into_the_same_listing_is_refused(tmp_path):
    _image(tmp_path / "A" / "1.jpg")
    _image(tmp_path / "B" / "2.jpg")
    list_collection(tmp_path / "A", tmp_path / "out")
    with pytest.raises(ValueError, match=r"lists folder .*A'.*not folder .*B'"):
        list_collection(tmp_path / "B", tmp_path / "out")
    assert list(_rows(shard_files(tmp_path / "out"))["id"]) == ["1.jpg"]


@pytest.mark.parametrize(
    "damaged", ["[1, 2", "[1, 2]", "{}", '{"collection": 3, "kind": "folder"}', '{"collection": "/x"}', "null"]
)
def test_a_damaged_record_is_named(tmp_path, damaged):
    _image(tmp_path / "A" / "1.jpg")
    list_collection(tmp_path / "A", tmp_path / "out")
    (tmp_path / "out" / LISTING_FILE).write_text(damaged)
    with pytest.raises(ValueError, match=f"{LISTING_FILE} is damaged"):
        list_collection(tmp_path / "A", tmp_path / "out")


def test_a_listing_without_a_record_is_used_as_it_is_with_a_warning(tmp_path, caplog):
    _image(tmp_path / "A" / "1.jpg")
    shards = list_collection(tmp_path / "A", tmp_path / "out")
    (tmp_path / "out" / LISTING_FILE).unlink()
    _image(tmp_path / "A" / "2.jpg")
    with caplog.at_level(logging.WARNING):
        assert list_collection(tmp_path / "A", tmp_path / "out") == shards
    assert "older artlib" in caplog.text


def test_a_folder_without_images_is_refused(tmp_path):
    (tmp_path / "A").mkdir()
    with pytest.raises(ValueError, match="no images"):
        list_collection(tmp_path / "A", tmp_path / "out")


@pytest.mark.parametrize("seed", range(6))
def test_drawn_changes_to_a_folder_list_every_image_once_and_keep_earlier_shards(tmp_path, caplog, seed):
    """A folder that gains and loses images between runs: after each run every image it holds is listed once, the
    shards listed before are unchanged, and what vanished is counted in a warning."""
    rng = np.random.default_rng(seed)
    root, out, made = tmp_path / "c", tmp_path / "out", 0
    present: set[str] = set()
    listed: set[str] = set()
    before: dict = {}
    for round_ in range(4):
        for _ in range(int(rng.integers(0 if round_ else 1, 6))):  # images added (at least one the first time)
            name = f"{rng.choice(['x', 'y/z', 'y'])}/{made}.{rng.choice(['jpg', 'png'])}"
            _image(root / name, made)
            present.add(name)
            made += 1
        gone = sorted(present)[: int(rng.integers(0, 2))] if round_ else []
        for name in gone:
            (root / name).unlink()
            present.discard(name)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            shards = list_collection(root, out, int(rng.integers(1, 4)))
        rows = _rows(shards)
        assert rows["id"].is_unique
        assert present <= set(rows["id"])
        assert all(pd.read_parquet(s).equals(frame) for s, frame in before.items())  # earlier shards untouched
        assert ("no longer in" in caplog.text) == bool(listed - present)  # also those gone in earlier rounds
        before, listed = {s: pd.read_parquet(s) for s in shards}, set(rows["id"])


def _tar(path, keys):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as archive:
        for key in keys:
            archive.add(_image(path.parent / "members" / f"{key}.jpg"), arcname=f"{key}.jpg")
    return path


def test_tars_added_to_a_webdataset_folder_are_listed_after_the_others(tmp_path):
    _tar(tmp_path / "wds" / "00000.tar", ["a", "b"])
    first = list_collection(tmp_path / "wds", tmp_path / "out")
    _tar(tmp_path / "wds" / "00001.tar", ["c"])
    shards = list_collection(tmp_path / "wds", tmp_path / "out")
    assert shards[:1] == first and [s.name for s in shards] == ["shard-00000.parquet", "shard-00001.parquet"]
    assert list(_rows(shards)["id"]) == ["00000.tar/a", "00000.tar/b", "00001.tar/c"]
    assert list_collection(tmp_path / "wds", tmp_path / "out") == shards  # nothing new: nothing written
