"""Same-artist pairs, Painter by Numbers style: make them, feed them, score them, compare models.

* :mod:`.making`: pairs that never mix training and test images; held-out artists;
* :mod:`.dataset`: pair datasets and loaders (images or cached features);
* :mod:`.scoring`: scores of a same-artist model, ROC-AUC / AP with intervals;
* :mod:`.runs`: Siamese models by spec, trained and scored (notebook 12).

The model itself is registered with the others (:mod:`artlib.models.siamese`); the artist labels a table can
give come from :mod:`artlib.data.derived`.
"""

from .making import (
    hold_out_artists,
    make_pairs,
    missing_pair_kinds,
    pair_counts,
    pair_groups,
    pairs_by_split,
    require_pairs,
)
from .scoring import auc_by_group, auc_table, compare_probabilities, score_feature_pairs, score_pairs, score_table_pairs

__all__ = [
    "auc_by_group",
    "auc_table",
    "compare_probabilities",
    "hold_out_artists",
    "make_pairs",
    "missing_pair_kinds",
    "pair_counts",
    "pair_groups",
    "pairs_by_split",
    "require_pairs",
    "score_feature_pairs",
    "score_pairs",
    "score_table_pairs",
]
