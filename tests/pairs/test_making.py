import numpy as np
import pandas as pd
import pytest
from toy_problems import artist_table

from artlib.data import load_painter_by_numbers
from artlib.pairs import make_pairs, pairs_by_split


def _image_splits(table):
    """The images split first (stratified by artist), so that no test pair shares an image with training."""
    from artlib.data.splits import stratified_split

    return stratified_split(table, (0.7, 0.15, 0.15), ("train", "val", "test"), stratify="artist").tables


def test_make_pairs_ratio_and_validity():
    table = artist_table()
    pairs = make_pairs(table, k=11, neg_ratio=1.75, seed=0)
    assert (pairs["a"] < pairs["b"]).all() and not pairs.duplicated(["a", "b"]).any()
    labels = table.frame["artist"].to_numpy()
    assert ((labels[pairs["a"]] == labels[pairs["b"]]) == pairs["same"].astype(bool)).all()
    pos = pairs["same"].sum()
    assert abs((len(pairs) - pos) / pos - 1.75) < 0.05


def test_pair_splits_never_share_images(fixture_paths):
    table = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))
    splits = pairs_by_split(_image_splits(table), k=8)
    paths = {name: set(t.frame["path"]) for name, (t, _) in splits.items()}
    assert not paths["train"] & paths["test"] and not paths["train"] & paths["val"]
    for t, p in splits.values():
        assert p[["a", "b"]].to_numpy().max() < len(t)


@pytest.mark.parametrize("artists,negatives", [([0, 0, 0, 0, 1], 4), ([0, 0, 0, 0, 0], 0), ([0, 0, 1, 1, 2, 2], 5)])
def test_make_pairs_ends_when_few_negative_pairs_exist(artists, negatives, caplog):

    from artlib.data.table import ArtTable
    from artlib.pairs import make_pairs

    table = ArtTable(
        pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(artists))], "artist": artists}),
        {"artist": ["a", "b", "c", "d"]},
    )
    pairs = make_pairs(table, "artist", k=36)
    assert (pairs["same"] == 0).sum() == negatives
    assert not pairs.duplicated(["a", "b"]).any()
    assert all(artists[a] != artists[b] for a, b in pairs.loc[pairs["same"] == 0, ["a", "b"]].to_numpy())
    if len(set(artists)) < 3:
        assert "taking all of them" in caplog.text


def test_a_split_without_a_pair_kind_is_named_with_what_it_needs():
    """A museum test split of 26 paintings by 2 artists, none with 2 paintings there: no same-artist pair."""
    from artlib.errors import NotEnoughDataError
    from artlib.pairs import auc_table, make_pairs, require_pairs

    good, lone, solo = artist_table(20, 4), artist_table(2, 2), artist_table(6, 1)
    splits = {name: (t, make_pairs(t, k=6)) for name, t in {"train": good, "val": solo, "test": lone}.items()}
    lacking = r"test split holds 2 labelled paintings by 2 artist\(s\), none with 2"
    with pytest.raises(NotEnoughDataError, match=lacking) as err:
        require_pairs(splits)
    assert "train" not in str(err.value) and "val" not in str(err.value)  # val is not needed by default
    with pytest.raises(NotEnoughDataError, match="val split holds 6 .* no different-artist pair"):
        require_pairs(splits, needed=("train", "val"))
    require_pairs({"train": splits["train"], "test": splits["train"]})
    for same in (np.zeros(5, int), np.ones(3, int), np.zeros(0, int)):
        with pytest.raises(NotEnoughDataError, match="pairs of both kinds"):
            auc_table(same, {"model": np.linspace(0, 1, len(same))}, n_resamples=10)


def test_held_out_artists_never_train_and_their_pairs_are_scored_apart(caplog):
    from artlib.pairs import auc_by_group, hold_out_artists, pair_groups

    tables = {name: artist_table(n, 10) for name, n in (("train", 100), ("val", 20), ("test", 30))}
    moved, held = hold_out_artists(tables, share=0.2, seed=0)
    assert len(held) == 2
    for name in ("train", "val"):
        assert not moved[name].frame["artist"].isin(held).any()
    assert len(moved["test"]) == 30 + 20 + 4 and moved["test"].frame["artist"].isin(held).sum() == 3 * 2 + 20 + 4
    test_pairs = make_pairs(moved["test"], k=6, seed=0)
    groups = pair_groups(moved["test"], test_pairs, held)
    labels = moved["test"].frame["artist"].to_numpy()
    a, b = labels[test_pairs["a"]], labels[test_pairs["b"]]
    assert ((groups == "unseen") == (np.isin(a, held) & np.isin(b, held))).all()
    assert ((groups == "seen") == (~np.isin(a, held) & ~np.isin(b, held))).all()
    same = test_pairs["same"].to_numpy()
    perfect, noise = same + 0.0, np.random.default_rng(0).random(len(same))
    table = auc_by_group(same, {"perfect": perfect, "noise": noise}, groups, n_resamples=50)
    assert table.loc["perfect", "unseen roc_auc"] == 1 and table.loc["perfect", "seen roc_auc"] == 1
    assert table.loc["noise", "all roc_auc"] < 0.7 and table["unseen pairs"].iloc[0] == (groups == "unseen").sum()
    few = {name: artist_table(20, 3) for name in ("train", "val", "test")}
    assert hold_out_artists(few, share=0.2)[1] == [] and "too few to hold 1 out" in caplog.text
