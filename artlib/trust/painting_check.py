""" "Not a painting": refuse an image unlike the paintings a model was trained on, instead of naming a class.

    made_up = embed(non_paintings(per_kind=40, seed=FIT_SEED))          # features of made-up non-paintings
    check = fit_painting_check(train_features, val_features, made_up)  # painting recall 0.99 on validation
    check.is_painting(features)                                         # False: say so, give no class

A classifier names one of its classes for anything, a page of typed text included. The check is a linear
"painting or not" rule on the model's own features, trained on the training paintings against made-up
non-paintings (:mod:`.non_paintings`: outlier exposure, Hendrycks et al. 2019), and its threshold accepts
``recall`` of the *validation* paintings. Images below 32 px a side are refused before it
(:func:`artlib.data.images.check_answerable`). :func:`painting_check_report` measures it on test paintings and on
made-up images of another seed; ``benchmarks/painting_check.py`` also leaves each kind out of the fit in turn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

#: the seeds of the made-up non-paintings a check is fitted on and tested on (never the same images)
FIT_SEED, TEST_SEED = 101, 202
#: the share of validation paintings a check accepts
PAINTING_RECALL = 0.99
#: the logistic regression's regularisation (scikit-learn's C, on standardised features)
CHECK_C = 0.01

NOT_A_PAINTING = "not a painting"


@dataclass
class PaintingCheck:
    """Accept an image as a painting when ``features @ weights + bias >= threshold`` (plain values: a card is
    JSON)."""

    weights: list[float]
    bias: float
    threshold: float
    recall: float = PAINTING_RECALL
    #: how many images fitted it (paintings, made-up non-paintings, validation paintings)
    fitted_on: dict = field(default_factory=dict)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """How much each row of ``(n, dim)`` features looks like a painting (higher: more)."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != len(self.weights):
            raise ValueError(
                f"the painting check reads features of width {len(self.weights)}, got shape {features.shape}: "
                "it belongs to another model"
            )
        return features @ np.asarray(self.weights) + self.bias

    def is_painting(self, features: np.ndarray) -> np.ndarray:
        return self.scores(features) >= self.threshold

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> PaintingCheck:
        """The check of :meth:`to_dict`; a damaged record raises ``ValueError`` naming the field."""
        if not isinstance(values, dict):
            raise ValueError(f"damaged painting check: {values!r} is not a record")
        try:
            check = cls(**values)
        except TypeError as exc:
            raise ValueError(f"damaged painting check: {exc}") from exc
        check.check()
        return check

    def check(self) -> None:
        problems = []
        weights = self.weights
        if not isinstance(weights, list) or not weights or not all(map(_finite, weights)):
            problems.append("weights (a non-empty list of finite numbers)")
        for name in ("bias", "threshold"):
            if not _finite(getattr(self, name)):
                problems.append(f"{name}={getattr(self, name)!r} (a finite number)")
        if not _finite(self.recall) or not 0 < self.recall <= 1:
            problems.append(f"recall={self.recall!r} (in (0, 1])")
        if problems:
            raise ValueError(f"damaged painting check: {'; '.join(problems)}")


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fit_painting_check(
    paintings: np.ndarray,
    validation: np.ndarray,
    made_up: np.ndarray,
    recall: float = PAINTING_RECALL,
    c: float = CHECK_C,
) -> PaintingCheck:
    """A check trained on training ``paintings`` against ``made_up`` non-paintings (``(n, dim)`` features each),
    whose threshold accepts ``recall`` of the ``validation`` paintings."""
    from sklearn.linear_model import LogisticRegression

    paintings, made_up, validation = (np.asarray(a, dtype=np.float64) for a in (paintings, made_up, validation))
    if len(paintings) < 2 or len(made_up) < 2 or len(validation) < 1:
        raise ValueError(
            f"a painting check needs paintings and made-up non-paintings to fit and validation paintings to set its "
            f"threshold; got {len(paintings)}, {len(made_up)} and {len(validation)}"
        )
    x = np.concatenate([paintings, made_up])
    mean, scale = x.mean(0), np.maximum(x.std(0), 1e-6)
    y = np.r_[np.ones(len(paintings)), np.zeros(len(made_up))]
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit((x - mean) / scale, y)
    weights = model.coef_[0] / scale  # the standardisation folded into one linear rule
    bias = float(model.intercept_[0] - (weights * mean).sum())
    scores = validation @ weights + bias
    return PaintingCheck(
        [float(w) for w in weights],
        bias,
        float(np.quantile(scores, 1 - recall)),
        recall,
        {"paintings": len(paintings), "made_up": len(made_up), "validation": len(validation)},
    )


@dataclass
class MadeUp:
    """Features of one kind of made-up non-painting, and how many of its images were too small to answer."""

    features: np.ndarray
    too_small: int = 0

    @property
    def images(self) -> int:
        return len(self.features) + self.too_small


def embed_made_up(
    embed_one: Callable[[np.ndarray], np.ndarray], per_kind: int = 40, seed: int = FIT_SEED
) -> dict[str, MadeUp]:
    """``per_kind`` made-up non-paintings of each kind (:func:`.non_paintings.non_paintings`) through ``embed_one``
    (an RGB image -> its ``(dim,)`` features); an image below 32 px a side is counted, not embedded."""
    from ..data.images import ImageLoadError, check_answerable
    from .non_paintings import non_paintings

    out = {}
    for kind, images in non_paintings(per_kind, seed).items():
        rows, small = [], 0
        for image in images:
            try:
                rows.append(np.asarray(embed_one(check_answerable(image)), dtype=np.float32).reshape(-1))
            except ImageLoadError:
                small += 1
        out[kind] = MadeUp(np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32), small)
    return out


def made_up_sets(embed_one: Callable[[np.ndarray], np.ndarray], per_kind: int = 40) -> dict[str, dict[str, MadeUp]]:
    """The made-up non-paintings a check is fitted on (``"fit"``) and those it is measured on (``"test"``, another
    seed), through ``embed_one`` (:func:`embed_made_up`)."""
    return {name: embed_made_up(embed_one, per_kind, seed) for name, seed in (("fit", FIT_SEED), ("test", TEST_SEED))}


def made_up_features(made_up: dict[str, MadeUp]) -> np.ndarray:
    """Every embedded made-up image's features in one ``(n, dim)`` array (what :func:`fit_painting_check` takes)."""
    return np.concatenate([m.features for m in made_up.values() if len(m.features)])


def refused_share(refused: np.ndarray) -> dict[str, float]:
    """The share of True flags with its 95 % Wilson interval (``refused``, ``low``, ``high``; NaN for none)."""
    from scipy.stats import binomtest

    refused = np.asarray(refused, dtype=bool)
    if not len(refused):
        return {"refused": float("nan"), "low": float("nan"), "high": float("nan")}
    interval = binomtest(int(refused.sum()), len(refused)).proportion_ci(0.95, method="wilson")
    return {"refused": float(refused.mean()), "low": float(interval.low), "high": float(interval.high)}


def painting_check_report(check: PaintingCheck, paintings: np.ndarray, made_up: dict[str, MadeUp]) -> pd.DataFrame:
    """The share refused as "not a painting" of test ``paintings`` and of each kind of made-up image (a tiny one
    counts as refused: it is refused before the check), with 95 % Wilson intervals (a bootstrap of 40 refusals out
    of 40 would say [1, 1])."""
    rows = {}
    groups = {"test paintings": (np.asarray(paintings), 0)}
    groups.update({kind: (m.features, m.too_small) for kind, m in made_up.items()})
    for name, (features, small) in groups.items():
        refused = np.r_[~check.is_painting(features) if len(features) else np.zeros(0, bool), np.ones(small, bool)]
        rows[name] = {"images": len(refused), **refused_share(refused)}
    return pd.DataFrame.from_dict(rows, orient="index")
