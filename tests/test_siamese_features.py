"""Siamese heads on frozen features, embed-once pair scoring, model specs and the unfreezing schedule."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from artlib.data import load_painter_by_numbers
from artlib.data.dataset import ArtDataset, verify_images
from artlib.data.pairs_dataset import FeaturePairDataset, PairDataset
from artlib.data.transforms import eval_transform
from artlib.features import table_features
from artlib.models import create_model
from artlib.models.siamese import parse_siamese_spec, siamese, siamese_on_features
from artlib.pairs import make_pairs, score_pairs
from artlib.train import TrainConfig, Trainer, unfreeze_schedule


def test_parse_siamese_spec_accepts_three_parts_and_names_what_is_wrong():
    assert parse_siamese_spec("efficientnet_lite0:all:frozen") == ("efficientnet_lite0", "all", "frozen")
    for bad, word in [
        ("simple_cnn", "backbone:combine:training"),
        ("simple_cnn:sum:scratch", "combine"),
        ("simple_cnn:all:finetuned", "training"),
        (":all:scratch", "backbone:combine:training"),
    ]:
        with pytest.raises(ValueError, match=word):
            parse_siamese_spec(bad)


def test_profiles_name_valid_siamese_models():
    from artlib.config import PROFILES, settings

    for name, profile in PROFILES.items():
        assert all(parse_siamese_spec(s) for s in profile["siamese_models"]), name
    with pytest.raises(ValueError, match="combine"):
        settings(siamese_models=("simple_cnn:sum:scratch",))


def test_unfreeze_schedule_opens_every_group_by_half_time():
    assert unfreeze_schedule(9, 3) == [1] * 9  # a short run fine-tunes everything after one heads-only epoch
    assert unfreeze_schedule(9, 6) == [1, 1, 1, 2, 2, 2, 3, 3, 3]  # the cnpaint recipe
    long = unfreeze_schedule(9, 30)
    assert long == sorted(long) and long[0] == 1 and long[-1] <= 15
    assert unfreeze_schedule(4, 1) == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        unfreeze_schedule(0, 3)


def test_feature_pair_dataset_and_head_train_on_separable_features():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 30)
    feats = rng.normal(size=(len(y), 8)).astype(np.float32) + 4 * np.eye(4, 8, dtype=np.float32)[y]
    from artlib.data import ArtTable

    table = ArtTable(pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(y))], "artist": y}), {"artist": list("abcd")})
    pairs = make_pairs(table, k=8, seed=0)
    ds = FeaturePairDataset(feats, pairs)
    x, label = ds[0]
    assert x.shape == (2, 8) and int(label["same"]) == pairs["same"].iloc[0]
    model = siamese_on_features(8, "all", hidden=32)
    loader = DataLoader(ds, batch_size=64, shuffle=True)
    Trainer(model, TrainConfig(epochs=15, lr=1e-2, patience=None, progress=False, monitor="val_loss")).fit(
        loader, loader
    )
    f = torch.as_tensor(feats)
    a, b = (torch.tensor(pairs[c].to_numpy()) for c in ("a", "b"))
    p = model.same_probability(f[a], f[b]).numpy()
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(pairs["same"], p) > 0.95
    with pytest.raises(ValueError, match="features for"):
        FeaturePairDataset(feats[:10], pairs)
    with pytest.raises(ValueError, match="matrix"):
        FeaturePairDataset(feats[0], pairs)


def test_score_pairs_equals_running_the_pairs_through_the_network(fixture_paths):
    table = verify_images(load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))).table
    pairs = make_pairs(table, k=4, seed=1)
    torch.manual_seed(0)
    model = siamese("simple_cnn", "all", widths=(4, 8)).eval()
    transform = eval_transform(32)
    with torch.no_grad():
        direct = torch.cat(
            [
                torch.softmax(model(x)["same"], 1)[:, 1]
                for x, _ in DataLoader(PairDataset(table, pairs, transform), batch_size=16)
            ]
        ).numpy()
    once = score_pairs(model, DataLoader(ArtDataset(table, transform), batch_size=16), pairs, device="cpu")
    np.testing.assert_allclose(once, direct, atol=1e-5)
    with pytest.raises(ValueError, match="embedding"):
        model.same_probability(torch.zeros(3, 4), torch.zeros(2, 4))


def test_table_features_keep_table_rows_and_refuse_unreadable_images(fixture_paths, tmp_path):
    raw = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))
    good = verify_images(raw).table
    model = create_model("simple_cnn", {"artist": 2}, widths=(4, 8))
    feats = table_features(model, {"train": good, "test": good}, 32, cache=tmp_path)
    assert feats["train"].shape == (len(good), 8)
    np.testing.assert_allclose(feats["train"], feats["test"])  # the "train" key is not augmented
    if len(good) < len(raw):  # the fixture holds unreadable images on purpose
        with pytest.raises(ValueError, match="could not be read"):
            table_features(model, {"all": raw}, 32)
