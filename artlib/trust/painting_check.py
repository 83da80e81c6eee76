""" "Not a painting": refuse an image unlike the paintings a model was trained on, instead of naming a class.

    made_up = embed(non_paintings(per_kind=40, seed=FIT_SEED))          # features of made-up non-paintings
    check = fit_painting_check(train_features, val_features, made_up, near_k=5)  # recall 0.99 on validation
    bank = near_bank(train_features)                                    # saved beside the check
    check.is_painting(features, bank)                                   # False: say so, give no class

A classifier names one of its classes for anything, a page of typed text included. The check has two rules, and
an image must pass both:

* *like a painting, not like the made-up images*: a linear "painting or not" rule on the model's own features,
  trained on the training paintings against made-up non-paintings (:mod:`.non_paintings`: outlier exposure,
  Hendrycks et al. 2019). It refuses the kinds it was shown, and little else: a photograph passes it.
* *near the collection* (optional, ``near_k``): the cosine similarity of the image's features to its ``near_k``-th
  nearest training painting (Sun et al. 2022, "deep nearest neighbours"), which needs the training paintings'
  normalised features (:func:`near_bank`) beside the check. It refuses whatever lies far from every painting the
  model saw, photographs included, without being shown any.

Each rule's threshold is set on the *validation* paintings: the linear rule refuses at most three quarters of
``1 - recall`` of them, the nearness rule (a backstop) at most a quarter (:data:`NEAR_SHARE`; the quantile's
lower value, never an interpolated one), so that both together accept at least ``recall``. Images below 32 px a
side are refused before either (:func:`artlib.data.images.check_answerable`). :func:`painting_check_report`
measures the check on test paintings and on made-up images of another seed; ``benchmarks/painting_check.py``
also leaves each kind out of the fit in turn, and measures real photographs and real paintings of another
tradition.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .open_set import knn_similarity, normalized

log = logging.getLogger(__name__)

#: the seeds of the made-up non-paintings a check is fitted on and tested on (never the same images)
FIT_SEED, TEST_SEED = 101, 202
#: the share of validation paintings a check accepts
PAINTING_RECALL = 0.99
#: the logistic regression's regularisation (scikit-learn's C, on standardised features)
CHECK_C = 0.01

NOT_A_PAINTING = "not a painting"
#: the verdict of an image the linear rule takes for a painting and the nearness rule refuses: far from every
#: painting the model was trained on (a photograph, or art of another kind)
UNLIKE_THE_COLLECTION = "unlike the collection"
#: every verdict of a refused image, the stronger first
REFUSALS = (NOT_A_PAINTING, UNLIKE_THE_COLLECTION)


def why_refused(verdict: str, trained: str = "this model was trained") -> str:
    """What a refusal ``verdict`` says of the image, the one wording every answer and page uses
    ("unlike every painting this model was trained on"); ``trained``: who was trained, e.g. "they were trained"."""
    if verdict == UNLIKE_THE_COLLECTION:
        return f"far from every painting {trained} on (a photograph, or art of another kind)"
    if verdict == NOT_A_PAINTING:
        return f"unlike every painting {trained} on"
    raise ValueError(f"{verdict!r} is no refusal; refusals are {REFUSALS}")


#: the nearness rule's neighbour: the similarity to the 5th nearest training painting (a lone look-alike is not
#: enough; on the WikiArt sample's frozen Lite0 features the 1st, 5th and 20th told 19 real photographs and scans
#: from test paintings about equally well, ROC AUC 0.99)
NEAR_K = 5

#: the nearness rule's share of the validation paintings a check may refuse (the linear rule has the rest). An even
#: split let the linear rule through so far that a kind of made-up image left out of its fit was no longer refused
#: (noise: 22 % refused against 95 % at this share; ``benchmarks/painting_check.py``, on made-up images only)
NEAR_SHARE = 0.25


#: the most training paintings the nearness rule compares with: beyond it, a fixed draw of this many (a model file
#: then grows by at most 51 MB at width 1280, whatever the collection; WikiArt's 57k training paintings would add 146)
NEAR_BANK_ROWS = 20_000


def near_bank(paintings: np.ndarray) -> np.ndarray:
    """The training paintings' features as the nearness rule compares with them: normalised, float16 (half the
    size on disk; a cosine moves by at most about 1e-3); at most :data:`NEAR_BANK_ROWS` of them, always the same
    draw for the same paintings, so that the rule's threshold and a saved model see one bank."""
    paintings = np.asarray(paintings)
    if len(paintings) > NEAR_BANK_ROWS:
        paintings = paintings[np.sort(np.random.default_rng(0).choice(len(paintings), NEAR_BANK_ROWS, replace=False))]
    return normalized(paintings).astype(np.float16)


def checked_bank(bank: np.ndarray, width: int | None, owner: str, again: str) -> np.ndarray:
    """A saved :func:`near_bank` as float16 rows of ``width`` (the painting check's; None: the file has no check);
    else ``ValueError`` saying that ``owner`` (e.g. "the identity model's painting_bank") is damaged and what to do
    (``again``)."""
    rows = np.asarray(bank, dtype=np.float32)
    if rows.ndim != 2 or not len(rows) or rows.shape[1] != width or not np.isfinite(rows).all():
        raise ValueError(
            f"{owner} is damaged: shape {rows.shape} (finite rows of width {width} expected, the painting check's): "
            f"{again}"
        )
    return rows.astype(np.float16)


@dataclass
class PaintingCheck:
    """Accept an image as a painting when ``features @ weights + bias >= threshold`` and, with a nearness rule,
    when its cosine similarity to its ``near_k``-th nearest training painting is at least ``near_threshold``
    (plain values: a card is JSON; the training paintings' features are saved beside it)."""

    weights: list[float]
    bias: float
    threshold: float
    recall: float = PAINTING_RECALL
    #: how many images fitted it (paintings, made-up non-paintings, validation paintings)
    fitted_on: dict = field(default_factory=dict)
    #: the nearness rule (None: none): which neighbour, and its least similarity
    near_k: int | None = None
    near_threshold: float | None = None

    def scores(self, features: np.ndarray) -> np.ndarray:
        """How much each row of ``(n, dim)`` features looks like a painting (higher: more)."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != len(self.weights):
            raise ValueError(
                f"the painting check reads features of width {len(self.weights)}, got shape {features.shape}: "
                "it belongs to another model"
            )
        return features @ np.asarray(self.weights) + self.bias

    def near_scores(self, features: np.ndarray, bank: np.ndarray) -> np.ndarray:
        """Each row's cosine similarity to its ``near_k``-th nearest row of ``bank`` (:func:`near_bank`)."""
        bank = np.asarray(bank, dtype=np.float32)
        if bank.ndim != 2 or bank.shape[1] != len(self.weights):
            raise ValueError(
                f"the painting check's training paintings have shape {bank.shape}, its rule reads features of "
                f"width {len(self.weights)}: they belong to another model"
            )
        return knn_similarity(np.asarray(features, dtype=np.float32), bank, self.near_k or NEAR_K)

    @property
    def has_near_rule(self) -> bool:
        return self.near_threshold is not None

    def verdicts(self, features: np.ndarray, bank: np.ndarray | None = None) -> np.ndarray:
        """Per row of ``(n, dim)`` features: ``""`` (a painting), :data:`NOT_A_PAINTING` (refused by the linear
        rule) or :data:`UNLIKE_THE_COLLECTION` (refused by the nearness rule alone). A nearness rule needs
        ``bank`` (the training paintings, :func:`near_bank`): without it only the linear rule is applied, with a
        warning."""
        linear = self.scores(features) >= self.threshold
        out = np.where(linear, "", NOT_A_PAINTING).astype(object)
        if not self.has_near_rule:
            return out
        if bank is None:
            log.warning(
                "the painting check's nearness rule has no training paintings to compare with (a model file "
                "saved without them): only its linear rule is applied, and photographs may pass as paintings"
            )
            return out
        out[linear & (self.near_scores(features, bank) < self.near_threshold)] = UNLIKE_THE_COLLECTION
        return out

    def is_painting(self, features: np.ndarray, bank: np.ndarray | None = None) -> np.ndarray:
        """Whether each row of ``(n, dim)`` features passes the check (:meth:`verdicts`)."""
        return self.verdicts(features, bank) == ""

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
        if (self.near_k is None) != (self.near_threshold is None):
            problems.append(f"near_k={self.near_k!r}, near_threshold={self.near_threshold!r} (both set, or neither)")
        if self.near_k is not None and (
            isinstance(self.near_k, bool) or not isinstance(self.near_k, int) or self.near_k < 1
        ):
            problems.append(f"near_k={self.near_k!r} (a whole number of at least 1)")
        if self.near_threshold is not None and not (_finite(self.near_threshold) and -1 <= self.near_threshold <= 1):
            problems.append(f"near_threshold={self.near_threshold!r} (a cosine similarity in [-1, 1])")
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
    near_k: int | None = None,
) -> PaintingCheck:
    """A check trained on training ``paintings`` against ``made_up`` non-paintings (``(n, dim)`` features each),
    whose threshold accepts ``recall`` of the ``validation`` paintings; with ``near_k``, also a nearness rule to
    the training paintings, the two refusing at most ``1 - recall`` of the validation paintings together
    (:data:`NEAR_SHARE`)."""
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
    refused = 1 - recall
    near_share = NEAR_SHARE if near_k else 0.0
    check = PaintingCheck(
        [float(w) for w in weights],
        bias,
        float(np.quantile(validation @ weights + bias, refused * (1 - near_share), method="lower")),
        recall,
        {"paintings": len(paintings), "made_up": len(made_up), "validation": len(validation)},
    )
    if near_k:
        check.near_k = int(near_k)
        near = check.near_scores(validation, near_bank(paintings))
        check.near_threshold = float(np.quantile(near, refused * near_share, method="lower"))
    return check


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


def painting_check_report(
    check: PaintingCheck, paintings: np.ndarray, made_up: dict[str, MadeUp], bank: np.ndarray | None = None
) -> pd.DataFrame:
    """The share refused as "not a painting" of test ``paintings`` and of each kind of made-up image (a tiny one
    counts as refused: it is refused before the check), with 95 % Wilson intervals (a bootstrap of 40 refusals out
    of 40 would say [1, 1]); ``bank``: the training paintings a nearness rule compares with."""
    rows = {}
    groups = {"test paintings": (np.asarray(paintings), 0)}
    groups.update({kind: (m.features, m.too_small) for kind, m in made_up.items()})
    for name, (features, small) in groups.items():
        refused = np.r_[
            ~check.is_painting(features, bank) if len(features) else np.zeros(0, bool), np.ones(small, bool)
        ]
        rows[name] = {"images": len(refused), **refused_share(refused)}
    return pd.DataFrame.from_dict(rows, orient="index")


def refused_by_class(
    check: PaintingCheck, features: np.ndarray, names: pd.Series | np.ndarray, bank: np.ndarray | None = None
) -> pd.DataFrame:
    """Where the paintings a check refuses fall: per class ``names`` (one per row of ``features``; None or NaN:
    unlabelled, left out), the paintings, the share refused with its 95 % Wilson interval, most refused first. The
    threshold is one for all classes: the paintings least like the rest of a collection (colour fields, on the
    WikiArt sample) pay for it."""
    names = pd.Series(np.asarray(names, dtype=object))
    if len(names) != len(features):
        raise ValueError(f"{len(names)} class names for {len(features)} paintings")
    refused = ~check.is_painting(features, bank) if len(features) else np.zeros(0, dtype=bool)
    rows = {
        str(name): {"images": int(mask.sum()), **refused_share(refused[mask])}
        for name in names.dropna().unique()
        for mask in [(names == name).to_numpy()]
    }
    columns = ["images", "refused", "low", "high"]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=columns) if rows else pd.DataFrame(columns=columns)
    return out.sort_values(["refused", "images"], ascending=[False, False], kind="stable")
