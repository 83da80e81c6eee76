import numpy as np
import pandas as pd
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


def test_map_coordinates_keep_neighbours_near():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 5
    group = rng.integers(0, 3, 600)
    vectors = (centres[group] + rng.normal(size=(600, 16))).astype(np.float32)
    from artlib.features import map_coordinates

    for method in ("pca", "umap"):
        xy = map_coordinates(vectors, method, sample=300, seed=0)
        assert xy.shape == (600, 2) and np.isfinite(xy).all()
        means = pd.DataFrame(xy).groupby(group).mean().to_numpy()
        within = np.mean([np.linalg.norm(xy[group == g] - means[g], axis=1).mean() for g in range(3)])
        between = np.min([np.linalg.norm(means[a] - means[b]) for a in range(3) for b in range(a + 1, 3)])
        assert between > 2 * within, method
    with pytest.raises(ValueError, match="'umap' or 'pca'"):
        map_coordinates(vectors, "tsne")
