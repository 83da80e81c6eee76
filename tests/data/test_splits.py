import shutil

import numpy as np
import pandas as pd
import pytest

from artlib.data import ArtTable, find_duplicates, load_image_folder, load_wikiart, stratified_split
from artlib.data.duplicates import drop_overlap


@pytest.fixture(scope="module")
def folder_with_dupes(fixture_paths, tmp_path_factory):
    root = tmp_path_factory.mktemp("dupes")
    shutil.copytree(fixture_paths.imagefolder, root, dirs_exist_ok=True)
    files = sorted((root / "landscape").glob("*.jpg"))
    for k in range(5):  # 5 images copied under new names, one copy in another class
        target = root / ("portrait" if k == 0 else "landscape") / f"copy_{k}.jpg"
        shutil.copyfile(files[k], target)
    return root


def test_split_is_deterministic_and_disjoint(fixture_paths):
    table = load_image_folder(fixture_paths.imagefolder)
    a = stratified_split(table, (0.7, 0.15, 0.15), seed=3)
    b = stratified_split(table, (0.7, 0.15, 0.15), seed=3)
    c = stratified_split(table, (0.7, 0.15, 0.15), seed=4)
    for name in ("train", "val", "test"):
        assert a[name].frame["path"].tolist() == b[name].frame["path"].tolist()
    assert a.train.frame["path"].tolist() != c.train.frame["path"].tolist()
    paths = [set(a[n].frame["path"]) for n in ("train", "val", "test")]
    assert not (paths[0] & paths[1] or paths[0] & paths[2] or paths[1] & paths[2])
    assert sum(map(len, paths)) == len(table)


def test_split_fractions_and_stratification(fixture_paths):
    table = load_image_folder(fixture_paths.imagefolder)
    s = stratified_split(table, (0.8, 0.1, 0.1), seed=0)
    assert abs(len(s.train) / len(table) - 0.8) < 0.03
    overall = table.counts("label") / len(table)
    for name in ("train", "test"):
        share = s[name].counts("label") / len(s[name])
        assert np.abs(share - overall).max() < 0.06


def test_duplicates_stay_together(folder_with_dupes):
    table = load_image_folder(folder_with_dupes)
    s = stratified_split(table, (0.6, 0.2, 0.2), seed=1)
    assert s.duplicates["group"].nunique() == 5 and len(s.duplicates) == 10
    split_of = {p: n for n in ("train", "val", "test") for p in s[n].frame["path"]}
    for _, group in s.duplicates.groupby("group"):
        assert len({split_of[p] for p in group["path"]}) == 1
    # a copy filed under another class shows as a label conflict
    conflicts = s.duplicates.groupby("group")["label"].nunique()
    assert (conflicts > 1).sum() == 1


def test_drop_overlap_removes_test_copies(folder_with_dupes):
    table = load_image_folder(folder_with_dupes)
    held = table.subset(table.frame["path"].str.contains("copy_").to_numpy())
    rest = table.subset(~table.frame["path"].str.contains("copy_").to_numpy())
    clean, dropped = drop_overlap(rest, held)
    assert len(dropped) == 5 and len(clean) == len(rest) - 5


def test_missing_labels_are_a_stratum(fixture_paths):
    table = load_wikiart(fixture_paths.wikiart_csv, image_root=fixture_paths.wikiart_images)
    s = stratified_split(table, (0.8, 0.2), ("train", "val"), stratify="artist", group_duplicates=False)
    assert (s.val.frame["artist"] == -1).any() and len(s.train) + len(s.val) == len(table)


def test_bad_fractions(fixture_paths):
    table = load_image_folder(fixture_paths.imagefolder)
    with pytest.raises(ValueError, match="sum to 1"):
        stratified_split(table, (0.8, 0.3), ("a", "b"))
    with pytest.raises(ValueError, match="same length"):
        stratified_split(table, (0.5, 0.5), ("a", "b", "c"))


def test_find_duplicates_on_fixture_wikiart(fixture_paths):
    table = load_wikiart(fixture_paths.wikiart_csv, image_root=fixture_paths.wikiart_images)
    dup = find_duplicates(table)
    assert len(dup) == 2 and dup["path"].str.contains(r"\(1\)").sum() == 1


def test_artable_validates_codes():
    with pytest.raises(ValueError, match="codes outside"):
        ArtTable(pd.DataFrame({"path": ["a"], "t": [3]}), {"t": ["x", "y"]})
    with pytest.raises(ValueError, match="path"):
        ArtTable(pd.DataFrame({"t": [0]}), {"t": ["x"]})


def test_without_leaves_out_named_rows_only():
    table = ArtTable(pd.DataFrame({"path": ["a.jpg", "b.jpg", "c.jpg", "d.jpg"], "t": [0, 1, 1, 0]}), {"t": ["x", "y"]})
    kept = table.without(["b.jpg", "d.jpg"])
    assert list(kept.frame["path"]) == ["a.jpg", "c.jpg"] and list(kept.frame["t"]) == [0, 1]
    assert kept.classes == table.classes and len(table) == 4  # the original is untouched
    assert len(table.without([])) == 4
    with pytest.raises(KeyError, match="not in this table"):
        table.without(["a.jpg", "test/elsewhere.jpg"])  # a path from another split is an error, not a no-op


def _label_table(counts: dict[str, int]) -> ArtTable:
    names = sorted(counts)
    codes = [code for code, name in enumerate(names) for _ in range(counts[name])]
    frame = pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(codes))], "label": codes})
    return ArtTable(frame, {"label": names})


def test_a_single_image_class_does_not_turn_off_stratification(caplog):
    table = _label_table({"a": 60, "b": 20, "c": 1})
    for seed in range(5):
        s = stratified_split(table, (0.8, 0.1, 0.1), seed=seed, group_duplicates=False)
        for name in ("val", "test"):  # 8 or 9 rows: 3 a for each b, as in the whole table
            counts = s[name].counts("label")
            assert abs(counts["a"] - 3 * counts["b"]) <= 3 and counts["b"] == 2, (seed, name, counts.to_dict())
        assert sum(len(s[n]) for n in ("train", "val", "test")) == 81
    with caplog.at_level("WARNING"):
        stratified_split(table, (0.8, 0.1, 0.1), seed=0, group_duplicates=False)
    assert "too small to be stratified" in caplog.text and ": c" in caplog.text


def test_many_small_classes_still_stratify_the_large_ones():
    table = _label_table({"a": 50, "b": 50, **{f"r{i}": 2 for i in range(12)}})
    s = stratified_split(table, (0.8, 0.1, 0.1), seed=0, group_duplicates=False)
    val = s.val.counts("label")
    assert abs(val["a"] - val["b"]) <= 1 and val["a"] >= 4


def test_an_empty_split_is_reported_loudly(caplog):
    with caplog.at_level("WARNING"):
        s = stratified_split(_label_table({"a": 1, "b": 1}), (0.8, 0.1, 0.1), seed=0, group_duplicates=False)
    assert len(s.val) == 0 and "EMPTY SPLIT(S) ['val']" in caplog.text
