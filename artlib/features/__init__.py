"""Features of frozen networks: extract them, map them, probe them with classical classifiers.

* :mod:`.extract`: features per image from tables, loaders or files;
* :mod:`.cache`: those features kept per image on disk (keyed by the image file and the network);
* :mod:`.maps`: 2-D maps (PCA, UMAP) and clustering scores;
* :mod:`.probes`: logistic regression, gradient boosting and k-NN on features.
"""

from .extract import embed_images, extract_features, standardized_features, table_features
from .maps import EXACT_NEIGHBOURS_UP_TO, MIN_UMAP_POINTS, cluster_scores, map_coordinates, pca_2d, umap_2d
from .probes import CLASSIFIERS, fit_frozen_classifier, knn_predict

__all__ = [
    "CLASSIFIERS",
    "EXACT_NEIGHBOURS_UP_TO",
    "MIN_UMAP_POINTS",
    "cluster_scores",
    "embed_images",
    "extract_features",
    "fit_frozen_classifier",
    "knn_predict",
    "map_coordinates",
    "pca_2d",
    "standardized_features",
    "table_features",
    "umap_2d",
]
