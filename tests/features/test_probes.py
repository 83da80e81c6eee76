import numpy as np
import pytest

from artlib.features import (
    cluster_scores,
    fit_frozen_classifier,
    knn_predict,
)


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
