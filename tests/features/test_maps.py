import numpy as np
import pytest


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
