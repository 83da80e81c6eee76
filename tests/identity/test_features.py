import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

import artlib.data.dataset as dataset_module
from artlib.data import ArtTable
from artlib.data.dataset import ArtDataset, collate_skip_none
from artlib.features.extract import extract_features
from artlib.identity.features import view_features
from artlib.identity.views import VIEWS, view_transform
from artlib.models import create_backbone, input_normalization


def _paintings(folder, n=6, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        size = (int(rng.integers(40, 90)), int(rng.integers(40, 90)))
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    frame = pd.DataFrame({"path": [f"p{i}.png" for i in range(n)], "artist": np.arange(n) % 2})
    return ArtTable(frame, {"artist": ["a", "b"]}, root=folder)


@pytest.fixture
def network():
    torch.manual_seed(0)
    return create_backbone("simple_cnn_small").eval()


def test_every_view_of_a_painting_comes_from_one_decode_and_matches_one_view_at_a_time(tmp_path, network, monkeypatch):
    table = _paintings(tmp_path)
    decoded = []
    real_load = dataset_module.load_rgb
    monkeypatch.setattr(dataset_module, "load_rgb", lambda path, **kw: decoded.append(path) or real_load(path, **kw))
    cache = tmp_path / "cache"
    feats = view_features(network, {"train": table}, VIEWS, 32, 16, cache=cache)["train"]
    assert feats.shape[:2] == (6, len(VIEWS)) and len(decoded) == 6  # one decode per painting, not per view
    for v, view in enumerate(VIEWS):  # the same rows, and the same cache entries, as the one-view path
        dataset = ArtDataset(table, view_transform(view, 32, 16, input_normalization(network)))
        loader = DataLoader(dataset, batch_size=4, collate_fn=collate_skip_none)
        alone, _ = extract_features(network, loader)
        assert np.allclose(feats[:, v], alone, atol=1e-5)
        cached, _ = extract_features(network, loader, cache=cache)
        assert np.array_equal(cached, feats[:, v])
    decoded.clear()
    again = view_features(network, {"train": table}, VIEWS, 32, 16, cache=cache)["train"]
    assert np.array_equal(again, feats) and decoded == []  # all from the cache
    assert np.allclose(view_features(network, {"train": table}, VIEWS[:2], 32, 16)["train"], feats[:, :2], atol=1e-5)


def test_an_unreadable_or_missing_painting_is_named_not_shifted(tmp_path, network):
    table = _paintings(tmp_path)
    (tmp_path / "p2.png").write_bytes(b"not an image")
    (tmp_path / "p4.png").unlink()
    with pytest.raises(ValueError, match="2 of 6 images of 'train' could not be read"):
        view_features(network, {"train": table}, VIEWS, 32, 16, cache=tmp_path / "cache")
    none = ArtTable(table.frame.iloc[:0], table.classes, root=tmp_path)
    empty = view_features(network, {"test": none}, VIEWS, 32, 16)
    assert empty["test"].shape == (0, len(VIEWS), 0)
