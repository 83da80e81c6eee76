import numpy as np
import pytest

from artlib.data import ImageLoadError, load_painter_by_numbers
from artlib.data.dataset import verify_images
from artlib.data.transforms import eval_transform
from artlib.features import (
    cluster_scores,
    embed_images,
    fit_frozen_classifier,
    knn_predict,
    table_features,
)
from artlib.models import create_model


def test_embed_images_rejects_unreadable(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    model = create_model("simple_cnn", 2, widths=(4, 8))
    with pytest.raises(ImageLoadError):
        embed_images(model, [tmp_path / "bad.jpg"], eval_transform(32))


def test_frozen_feature_tools():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    x = rng.normal(size=(120, 8)) + 4 * np.eye(3, 8)[y]
    for name in ("logistic_regression", "gradient_boosting"):
        clf = fit_frozen_classifier(name, x[::2], y[::2])
        assert (clf.predict(x[1::2]) == y[1::2]).mean() > 0.9
    assert (knn_predict(x[::2], y[::2], x[1::2], k=3) == y[1::2]).mean() > 0.9
    clusters = cluster_scores(x, y)
    assert clusters["ARI"] > 0.8 and clusters["k"] == 3
    with pytest.raises(KeyError):
        fit_frozen_classifier("svm", x, y)


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


def test_umap_maps_thousands_of_points_on_exact_neighbours(monkeypatch):
    """From 4,096 points UMAP would search approximately (and compile for half a minute): the neighbours are
    found exactly by scikit-learn instead, and the map still keeps the clusters apart."""
    import umap
    from sklearn.metrics import silhouette_score

    from artlib.features import umap_2d

    given = {}
    real = umap.UMAP

    def spy(**kwargs):
        given.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(umap, "UMAP", spy)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 32))
    x = np.concatenate([c + 0.3 * rng.normal(size=(1100, 32)) for c in centres]).astype(np.float32)
    xy = umap_2d(x, seed=0)
    indices, distances, _ = given["precomputed_knn"]
    assert xy.shape == (4400, 2) and indices.shape == (4400, 15)
    assert (indices[:, 0] == np.arange(4400)).all() and np.allclose(distances[:, 0], 0, atol=1e-5)
    assert silhouette_score(xy, np.repeat(np.arange(4), 1100)) > 0.5


def test_umap_maps_a_few_points():
    from artlib.features import umap_2d

    x = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    assert umap_2d(x, seed=0).shape == (60, 2)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 6])
def test_umap_maps_a_test_split_of_a_handful_of_points(n, caplog):
    """Notebook 10 on a 19-painting collection (drawn shape 11): 2 test queries failed in UMAP."""
    from artlib.features import MIN_UMAP_POINTS, umap_2d

    x = np.random.default_rng(n).normal(size=(n, 8)).astype(np.float32)
    xy = umap_2d(x, seed=0)
    assert xy.shape == (n, 2) and np.isfinite(xy).all()
    assert ("PCA projection" in caplog.text) == (n < MIN_UMAP_POINTS)
