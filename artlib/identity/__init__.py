"""Who painted it, for painters the model has never seen: artist identity as one concept.

* :mod:`.protocol`: the painter-disjoint split (known artists, seen others, held-out painters);
* :mod:`.views` and :mod:`.features`: the whole painting and its full-resolution details, through a frozen network;
* :mod:`.embedding`: the identity embedding (pytorch-metric-learning, over every training painter);
* :mod:`.model`: one honest answer (a known artist, or "someone else") and the same-painter value, calibrated;
* :mod:`.evaluation`: figures on held-out painters with 95 % intervals; :mod:`.run`: notebook 11b's pipeline;
* :mod:`.predict`: the answer as ``artlib-predict`` rows.
"""

from .model import SOMEONE_ELSE, IdentityAnswer, IdentityCard, IdentityModel, fit_identity
from .protocol import PainterSplit, painter_disjoint

__all__ = [
    "SOMEONE_ELSE",
    "IdentityAnswer",
    "IdentityCard",
    "IdentityModel",
    "PainterSplit",
    "fit_identity",
    "painter_disjoint",
]
