import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from artlib.data import ArtTable, load_painter_by_numbers
from artlib.data.transforms import eval_transform
from artlib.models.siamese import siamese_on_features
from artlib.pairs import make_pairs
from artlib.pairs.dataset import FeaturePairDataset, PairDataset
from artlib.train import TrainConfig, Trainer


def test_pair_dataset(fixture_paths):
    table = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))
    pairs = make_pairs(table, k=4)
    pair, label = PairDataset(table, pairs, eval_transform(32))[0]
    assert pair.shape == (2, 3, 32, 32) and int(label["same"]) == pairs["same"].iloc[0]


def test_feature_pair_dataset_and_head_train_on_separable_features():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 30)
    feats = rng.normal(size=(len(y), 8)).astype(np.float32) + 4 * np.eye(4, 8, dtype=np.float32)[y]

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
