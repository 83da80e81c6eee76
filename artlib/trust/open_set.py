""" "None of the classes it knows": an open-set rule for a task whose classes do not cover the world (artists).

A classifier of 15 artists names one of them for every painting, although most paintings are by someone else.
The rule scores how much a painting looks like the known classes and rejects it below a threshold. Candidates:

* ``max_probability``: the calibrated top probability (Hendrycks & Gimpel, 2017);
* ``knn_similarity``: the cosine similarity of the painting's features to its k-th nearest training painting of a
  known class (Sun et al., 2022, "deep nearest neighbours");
* ``knn_known_share``: among its k nearest training paintings (all of them, also those by other artists), the
  similarity-weighted share by a known class: the collection's other paintings say what "other" looks like.

:func:`fit_open_set` scores each on validation paintings of known classes and of other ones (rows without a label
of the task), keeps the score of the highest AUROC and the threshold that accepts ``known_recall`` of the known
ones. The k-NN scores compare with an :class:`OpenSetBank` of normalised training features saved with the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

SCORES = ("max_probability", "knn_similarity", "knn_known_share")
KNN_SCORES = SCORES[1:]


def normalized(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


@dataclass
class OpenSetBank:
    """Normalised features of the training paintings and, per open task, which of them have a known class."""

    features: np.ndarray
    known: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.features = normalized(self.features)
        self.known = {task: np.asarray(k, dtype=bool) for task, k in self.known.items()}
        for task, flags in self.known.items():
            if flags.shape != (len(self.features),):
                raise ValueError(f"the bank's known flags of {task!r} do not match its {len(self.features)} rows")


def nearest_rows(features: np.ndarray, bank: np.ndarray, k: int, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Similarities and bank rows of each query's ``k`` nearest bank rows (cosine), most similar first."""
    if len(bank) == 0:
        raise ValueError("the open-set bank is empty: it needs training paintings")
    k = min(k, len(bank))
    queries, sims_out, rows_out = normalized(features), [], []
    for start in range(0, len(queries), chunk):
        # a cosine, whatever the rounding: a float16 bank's unit rows reach 1.0001 against themselves
        sims = np.clip(queries[start : start + chunk] @ bank.T, -1.0, 1.0)
        rows = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(sims, rows, 1)
        order = np.argsort(-top, axis=1)
        sims_out.append(np.take_along_axis(top, order, 1))
        rows_out.append(np.take_along_axis(rows, order, 1))
    if not sims_out:
        return np.zeros((0, k), dtype=np.float32), np.zeros((0, k), dtype=np.int64)
    return np.concatenate(sims_out), np.concatenate(rows_out)


def knn_similarity(features: np.ndarray, bank: np.ndarray, k: int = 10) -> np.ndarray:
    """Cosine similarity of each row of ``features`` to its ``k``-th most similar row of ``bank`` (normalised)."""
    sims, _ = nearest_rows(features, bank, k)
    return sims[:, -1]


def knn_known_share(features: np.ndarray, bank: np.ndarray, known: np.ndarray, k: int = 20) -> np.ndarray:
    """The similarity-weighted share of each row's ``k`` nearest ``bank`` rows that are ``known``."""
    sims, rows = nearest_rows(features, bank, k)
    weights = np.clip(sims, 1e-6, None)
    return (weights * known[rows]).sum(1) / weights.sum(1)


@dataclass
class OpenSetRule:
    """Accept a painting as one of the known classes when its ``score`` is at least ``threshold``."""

    score: str
    threshold: float
    task: str
    k: int = 20
    known_recall: float = 0.9
    #: validation AUROC (known vs other) of each candidate score
    validation_auroc: dict | None = None

    def __post_init__(self) -> None:
        if self.score not in SCORES:
            raise ValueError(f"unknown open-set score {self.score!r}; choose from {SCORES}")

    @property
    def needs_bank(self) -> bool:
        return self.score in KNN_SCORES

    def scores(
        self, probs: np.ndarray, features: np.ndarray | None = None, bank: OpenSetBank | None = None
    ) -> np.ndarray:
        """The rule's score of each row (``probs``: calibrated; ``features`` and ``bank`` for the k-NN scores)."""
        if self.score == "max_probability":
            return np.asarray(probs).max(1)
        if features is None or bank is None or self.task not in bank.known:
            raise ValueError(
                f"the {self.score} rule of {self.task!r} needs the painting's features and the model's open-set bank"
            )
        known = bank.known[self.task]
        if self.score == "knn_similarity":
            return knn_similarity(features, bank.features[known], self.k)
        return knn_known_share(features, bank.features, known, self.k)

    def known(
        self, probs: np.ndarray, features: np.ndarray | None = None, bank: OpenSetBank | None = None
    ) -> np.ndarray:
        """True where a painting is taken as one of the known classes, False for "none of these"."""
        return self.scores(probs, features, bank) >= self.threshold

    def to_dict(self) -> dict:
        return asdict(self)


def auroc(known_scores: np.ndarray, other_scores: np.ndarray) -> float:
    """ROC AUC of telling known (positive) from other paintings by a score (nan without both kinds)."""
    from sklearn.metrics import roc_auc_score

    if not len(known_scores) or not len(other_scores):
        return float("nan")
    y = np.r_[np.ones(len(known_scores)), np.zeros(len(other_scores))]
    return float(roc_auc_score(y, np.r_[known_scores, other_scores]))


def fit_open_set(
    task: str,
    probs: np.ndarray,
    is_known: np.ndarray,
    features: np.ndarray | None = None,
    bank: OpenSetBank | None = None,
    known_recall: float = 0.9,
    k: int = 20,
    min_rows: int = 5,
) -> OpenSetRule | None:
    """The open-set rule of ``task`` fitted on validation rows (``is_known``: the row has a label of the task; the
    others are paintings of classes outside the label set). None, with nothing to fit, when either kind has fewer
    than ``min_rows`` rows."""
    is_known = np.asarray(is_known, dtype=bool)
    if is_known.sum() < min_rows or (~is_known).sum() < min_rows:
        return None
    candidates = {
        name: OpenSetRule(name, 0.0, task, k, known_recall)
        for name in SCORES
        if name == "max_probability"
        or (features is not None and bank is not None and task in bank.known and bank.known[task].any())
    }
    scores = {name: rule.scores(probs, features, bank) for name, rule in candidates.items()}
    aurocs = {name: auroc(s[is_known], s[~is_known]) for name, s in scores.items()}
    best = max(aurocs, key=lambda name: -1.0 if np.isnan(aurocs[name]) else aurocs[name])
    rule = candidates[best]
    rule.threshold = float(np.quantile(scores[best][is_known], 1 - known_recall, method="lower"))
    rule.validation_auroc = {name: round(a, 4) for name, a in aurocs.items()}
    return rule
