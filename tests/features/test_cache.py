"""Per-image feature cache: same features as without it, embeds only what is new, refuses what it cannot key."""

import shutil

import numpy as np
import pytest
import torch

from artlib.data import load_image_folder
from artlib.data.loaders import make_loaders
from artlib.features import extract_features
from artlib.features.cache import FeatureCache, fingerprint
from artlib.models import create_model


class CountingModel(torch.nn.Module):
    """Wraps a model's embed and counts the images it embeds."""

    def __init__(self, model):
        super().__init__()
        self.backbone = model.backbone
        self.seen = 0

    def embed(self, x):
        self.seen += len(x)
        return self.backbone(x)


@pytest.fixture()
def table(fixture_paths, tmp_path):
    root = tmp_path / "images"
    shutil.copytree(fixture_paths.imagefolder, root)
    return load_image_folder(root)


def _model(seed=0):
    torch.manual_seed(seed)
    return CountingModel(create_model("simple_cnn", {"genre": 3}, widths=(8, 8, 8, 8)))


def test_cached_features_match_and_only_new_images_are_embedded(table, tmp_path):
    model = _model()
    loader = make_loaders({"test": table}, 32, 8)["test"]
    plain, plain_labels = extract_features(model, loader)
    half = make_loaders({"test": table.subset(np.arange(len(table)) < len(table) // 2)}, 32, 8)["test"]
    model.seen = 0
    extract_features(model, half, cache=tmp_path / "cache")
    assert model.seen == len(table) // 2
    model.seen = 0
    cached, labels = extract_features(model, loader, cache=tmp_path / "cache")
    assert model.seen == len(table) - len(table) // 2  # the first half came from disk
    np.testing.assert_allclose(cached, plain, rtol=1e-5, atol=1e-6)
    for task in plain_labels:
        np.testing.assert_array_equal(labels[task], plain_labels[task])
    model.seen = 0
    extract_features(model, loader, cache=tmp_path / "cache")
    assert model.seen == 0


def test_other_weights_or_transform_or_a_changed_file_are_embedded_anew(table, tmp_path):
    loader = make_loaders({"test": table}, 32, 8)["test"]
    extract_features(_model(0), loader, cache=tmp_path)
    other = _model(1)
    extract_features(other, loader, cache=tmp_path)
    assert other.seen == len(table)
    other.seen = 0
    extract_features(other, make_loaders({"test": table}, 40, 8)["test"], cache=tmp_path)
    assert other.seen == len(table)
    assert len(list(tmp_path.glob("*.npz"))) == 3
    path = table.image_paths()[0]
    path.write_bytes(path.read_bytes() + b"\0")  # same picture, another file: its key changes
    other.seen = 0
    extract_features(other, loader, cache=tmp_path)
    assert other.seen == 1


def test_unreadable_images_are_left_out_as_without_cache(table, tmp_path):
    broken = table.image_paths()[3]
    broken.write_bytes(b"not an image")
    loader = make_loaders({"test": table}, 32, 8)["test"]
    plain, _ = extract_features(_model(), loader)
    cached, labels = extract_features(_model(), loader, cache=tmp_path)
    assert len(cached) == len(plain) == len(table) - 1
    assert all(len(v) == len(table) - 1 for v in labels.values())


def test_cache_refuses_shuffled_loaders_and_multi_view(table, tmp_path):
    loaders = make_loaders({"train": table, "test": table}, 32, 8, tta_views=("letterbox", "end"))
    with pytest.raises(ValueError, match="unshuffled"):
        extract_features(_model(), loaders["train"], cache=tmp_path)
    with pytest.raises(TypeError, match="one view"):
        extract_features(_model(), loaders["test"], cache=tmp_path)


def test_a_corrupt_cache_file_is_rebuilt(table, tmp_path, caplog):
    model = _model()
    loader = make_loaders({"test": table}, 32, 8)["test"]
    key = fingerprint(model, loader.dataset.transform, loader.dataset.decode_side)
    (tmp_path / f"{key}.npz").write_bytes(b"truncated")
    features, _ = extract_features(model, loader, cache=tmp_path)
    assert "unreadable feature cache" in caplog.text and model.seen == len(table)
    assert len(FeatureCache(tmp_path, key)) == len(features)
    whole = (tmp_path / f"{key}.npz").read_bytes()  # a zip cut short: BadZipFile inside np.load
    (tmp_path / f"{key}.npz").write_bytes(whole[: len(whole) // 2])
    caplog.clear()
    model.seen = 0
    again, _ = extract_features(model, loader, cache=tmp_path)
    assert "it will be rewritten" in caplog.text and model.seen == len(table)
    np.testing.assert_allclose(again, features, atol=1e-6)
    assert len(FeatureCache(tmp_path, key)) == len(features)


def test_the_fingerprint_covers_what_embed_uses_not_the_heads():
    from artlib.data.transforms import eval_transform
    from artlib.models.embedding import EmbeddingNet

    torch.manual_seed(0)
    base = create_model("simple_cnn", {"genre": 3}, widths=(8, 8))
    transform = eval_transform(32)
    a, b = EmbeddingNet(base.backbone, 8, 4), EmbeddingNet(base.backbone, 8, 4)  # one backbone, two projections
    assert fingerprint(a, transform) != fingerprint(b, transform)
    other_heads = create_model("simple_cnn", {"genre": 3, "style": 5}, widths=(8, 8))
    other_heads.backbone.load_state_dict(base.backbone.state_dict())
    assert fingerprint(other_heads, transform) == fingerprint(base, transform)  # heads are not features


def test_one_picture_has_one_key_wherever_it_lies(tmp_path, monkeypatch):
    import os

    from artlib.features.cache import image_key

    image = tmp_path / "a" / "painting.jpg"
    image.parent.mkdir()
    image.write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert image_key("a/painting.jpg") == image_key(image) == image_key(tmp_path / "a" / ".." / "a" / "painting.jpg")
    copy = tmp_path / "b" / "renamed.jpg"
    copy.parent.mkdir()
    shutil.copy(image, copy)
    os.utime(copy, ns=(1, 1))  # another path and modification time, the same picture
    assert image_key(copy) == image_key(image)
    image.write_bytes(b"y")  # edited in place
    assert image_key(image) != image_key(copy)
    assert image_key("a/missing.jpg") is None


def test_a_dataset_copied_elsewhere_keeps_its_features(table, tmp_path):
    """A dataset extracted again or copied (new paths, new modification times) is not embedded again."""
    model = _model()
    cache = tmp_path / "cache"
    first, _ = extract_features(model, make_loaders({"test": table}, 32, 8)["test"], cache=cache)
    moved = tmp_path / "moved"
    shutil.copytree(table.root, moved)
    for path in moved.rglob("*"):
        if path.is_file():
            path.touch()
    model.seen = 0
    again, _ = extract_features(model, make_loaders({"test": load_image_folder(moved)}, 32, 8)["test"], cache=cache)
    assert model.seen == 0
    np.testing.assert_array_equal(again, first)


def test_rows_keyed_by_path_in_an_older_cache_are_dropped(tmp_path, caplog):
    old = FeatureCache(tmp_path, "k")
    old.add(["/data/a.jpg|10|123", "0" * 40], np.ones((2, 3)))
    old.save()
    with caplog.at_level("INFO"):
        reopened = FeatureCache(tmp_path, "k")
    assert len(reopened) == 1 and "0" * 40 in reopened and "1 path-keyed rows" in caplog.text
