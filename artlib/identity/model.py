"""The identity model: one honest answer to "who painted it?", and a "same painter" value for any two paintings.

    model = fit_identity(head, card, {"train": train_feats, "val": val_feats}, split.tables)
    model.answer(features)          # a known artist with a calibrated probability, or "someone else" with the
                                    # known artists it looks most like and no probability
    model.same_artist(model.embed(a), model.embed(b))      # calibrated "same painter" value of two paintings

*Who painted it* is a classifier over the known artists **and "someone else"**: a logistic regression on the
frozen network's features (the whole painting beside the mean of its details), trained on the training paintings,
where the collection's other painters are the examples of "someone else". Its probabilities are calibrated by one
temperature on validation paintings by known artists and by held-out painters (painter-disjoint,
:mod:`.protocol`); the answer is the most probable of the known artists and "someone else", so the verdict, its
probability and its 90 % set (conformal, fitted on the other half of validation, whose labels include "someone
else") never disagree. *Same painter* is the identity embedding's cosine (:mod:`.embedding`), Platt-scaled on
validation pairs drawn as the Similar page draws them (nearest neighbours plus random pairs).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.table import ArtTable
from ..inference.classifier import SOMEONE_ELSE
from ..trust.calibration import PlattScaler, TemperatureScaler
from ..trust.conformal import conformal_threshold, prediction_sets
from ..trust.open_set import normalized
from ..trust.painting_check import NEAR_K, PaintingCheck, checked_bank, fit_painting_check, near_bank, why_refused
from ..trust.pair_calibration import neighbour_pairs
from .embedding import IdentityHead, mean_view

log = logging.getLogger(__name__)

#: the classifier's regularisation (scikit-learn's C; chosen on the WikiArt sample's validation painters)
CLASSIFIER_C = 0.01


def answer_features(features: np.ndarray) -> np.ndarray:
    """The classifier's input from ``(n, views, dim)`` frozen features: the first view (the whole painting) beside
    the mean of the others (its details); the view itself when there is only one."""
    f = np.asarray(features, dtype=np.float32)
    return f[:, 0] if f.shape[1] == 1 else np.concatenate([f[:, 0], f[:, 1:].mean(1)], axis=1)


def embed(head: IdentityHead | None, features: np.ndarray) -> np.ndarray:
    """Unit identity vectors of ``(n, views, dim)`` frozen features: the head's, or the frozen mean view's."""
    return mean_view(features) if head is None else head.embed_views(features)


@dataclass
class IdentityCard:
    """How the identity model was built and fitted (plain values: saved as JSON beside the weights)."""

    backbone: str
    image_size: int
    detail: int
    views: tuple[str, ...]
    known: list[str]
    embedding: str = "identity"  # "identity" (a trained head) or "frozen" (the network's own mean view)
    recipe: dict = field(default_factory=dict)
    temperature: float = 1.0
    coverage: float = 0.9
    set_threshold: float | None = None
    same_artist: dict | None = None  # Platt (slope, intercept, logit=False) of the cosine -> P(same painter)
    #: "is it a painting" on the whole painting's frozen features (PaintingCheck as plain values); None: none
    painting: dict | None = None
    fitted_on: dict = field(default_factory=dict)
    #: the painters held out of training: ``val`` (its choices and fits) and ``test`` (never seen in any fit)
    held_out: dict = field(default_factory=dict)
    test: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # what it was made from (artlib.store.artifacts.data_record)
    made_by: str | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["views"] = list(self.views)
        return out

    @classmethod
    def from_dict(cls, values: dict) -> IdentityCard:
        values = dict(values)
        values["views"] = tuple(values.get("views", ()))
        return cls(**values)


@dataclass
class ArtistClassifier:
    """A linear softmax over the known artists and "someone else" (the last column), on standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (classes seen in training, dim)
    intercept: np.ndarray
    columns: np.ndarray  # each row of ``coef``'s column among known + 1

    def logits(self, x: np.ndarray, width: int) -> np.ndarray:
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef.T + self.intercept
        if len(self.columns) == 1:  # one class in training: it is certain
            z = np.zeros((len(x), 1))
        out = np.full((len(x), width), -np.inf)
        out[:, self.columns] = z
        return out

    @classmethod
    def fit(cls, x: np.ndarray, labels: np.ndarray, c: float = CLASSIFIER_C, seed: int = 0) -> ArtistClassifier:
        from sklearn.linear_model import LogisticRegression

        x = np.asarray(x, dtype=np.float64)
        mean, scale = x.mean(0), np.maximum(x.std(0), 1e-6)
        present = np.unique(labels)
        if len(present) == 1:
            return cls(mean, scale, np.zeros((1, x.shape[1])), np.zeros(1), present)
        model = LogisticRegression(C=c, max_iter=500, random_state=seed).fit((x - mean) / scale, labels)
        coef, intercept = model.coef_, model.intercept_
        if len(present) == 2:  # scikit-learn's binary form: one row for the second class
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(mean, scale, coef, intercept, model.classes_)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


@dataclass
class IdentityAnswer:
    """Who painted one painting: a known artist, or "someone else" with the known artists it looks most like."""

    known: bool
    artist: str  # a known artist's name, or SOMEONE_ELSE
    probability: float | None  # calibrated, only for a known artist
    prediction_set: list[str]
    coverage: float
    look_alikes: list[str]  # the most probable known artists, without probabilities (for "someone else")
    #: False: refused by the card's painting check, no artist is given (``artist`` says why: "not a painting", or
    #: "unlike the collection" for an image far from every training painting)
    painting: bool = True

    def verdict(self) -> str:
        """A sentence a person can act on; no probability is given for an artist the model did not answer."""
        if not self.painting:  # ``artist`` holds the refusal: "not a painting" or "unlike the collection"
            return f"{self.artist}: {why_refused(self.artist)}, so no artist is given"
        if not self.known:
            alike = f"; looks most like {', '.join(self.look_alikes)}" if self.look_alikes else ""
            return f"{SOMEONE_ELSE}: not one of the artists this model knows{alike}"
        shown = " or ".join(self.prediction_set) if self.prediction_set else self.artist
        return f"{self.artist} ({self.probability:.0%}); {self.coverage:.0%} set: {shown}"


class IdentityModel:
    """An identity head (None: the frozen mean view), the artist classifier, their card, (optionally) the
    identity embeddings of a collection's paintings by path, for the Similar page, and the training paintings'
    whole-view features the painting check's nearness rule compares with."""

    def __init__(
        self,
        head: IdentityHead | None,
        card: IdentityCard,
        classifier: ArtistClassifier | None,
        items: dict[str, Any] | None = None,
        painting_bank: np.ndarray | None = None,
    ) -> None:
        self.head, self.card, self.classifier = head, card, classifier
        self.items = items or {}
        self.painting_bank = painting_bank

    @property
    def items(self) -> dict[str, Any]:
        """``{"paths": [...], "embeddings": (n, dim)}``: the identity vectors of a collection's paintings."""
        return self._items

    @items.setter
    def items(self, value: dict[str, Any]) -> None:
        self._items, self._rows = value, None  # the path lookup is rebuilt for new items

    @property
    def names(self) -> list[str]:
        """The answers: the known artists, then "someone else"."""
        return [*self.card.known, SOMEONE_ELSE]

    def embed(self, features: np.ndarray) -> np.ndarray:
        """``(n, views, dim)`` frozen features -> ``(n, embedding)`` unit identity vectors."""
        return embed(self.head, features)

    def full_probs(self, features: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """``(n, known + 1)`` probabilities of each known artist and of "someone else" (the last column)."""
        width = len(self.names)
        if self.classifier is None:
            return np.tile(np.eye(width)[-1], (len(features), 1))
        z = self.classifier.logits(answer_features(features), width)
        return _softmax(z / (self.card.temperature if calibrated else 1.0))

    def is_known(self, features: np.ndarray) -> np.ndarray:
        """Whether the answer is a known artist (one of them is more probable than "someone else")."""
        return self.full_probs(features).argmax(1) < len(self.card.known)

    def sets(self, full: np.ndarray) -> np.ndarray:
        threshold = math.inf if self.card.set_threshold is None else self.card.set_threshold
        return prediction_sets(full, threshold)

    def refusals(self, features: np.ndarray) -> np.ndarray:
        """The card's painting check's verdict on each painting of ``(n, views, dim)`` frozen features (its whole
        view): ``""`` for a painting (all of them without a check), else why it is refused
        (:meth:`artlib.trust.painting_check.PaintingCheck.verdicts`)."""
        if self.card.painting is None:
            return np.full(len(features), "", dtype=object)
        check = PaintingCheck.from_dict(self.card.painting)
        return check.verdicts(np.asarray(features)[:, 0], self.painting_bank)

    def is_painting(self, features: np.ndarray) -> np.ndarray:
        """Whether the card's painting check accepts each painting of ``(n, views, dim)`` frozen features."""
        return self.refusals(features) == ""

    def answer(self, features: np.ndarray, look_alikes: int = 3) -> list[IdentityAnswer]:
        """One :class:`IdentityAnswer` per painting of ``(n, views, dim)`` frozen features (``painting`` False
        and no artist for an image the painting check refuses)."""
        full = self.full_probs(features)
        sets, names, k = self.sets(full), self.names, len(self.card.known)
        out = []
        for p, in_set, refused in zip(full, sets, self.refusals(features), strict=True):
            if refused:
                out.append(IdentityAnswer(False, refused, None, [], self.card.coverage, [], painting=False))
                continue
            chosen = [names[i] for i in np.flatnonzero(in_set)[np.argsort(-p[in_set], kind="stable")]]
            best = int(np.argmax(p))
            if best < k:
                out.append(IdentityAnswer(True, names[best], float(p[best]), chosen, self.card.coverage, []))
            else:
                alike = [names[i] for i in np.argsort(-p[:k], kind="stable")[:look_alikes]]
                out.append(IdentityAnswer(False, SOMEONE_ELSE, None, chosen, self.card.coverage, alike))
        return out

    _rows: dict[str, int] | None

    def vectors_of(self, paths: Sequence[str | Path]) -> np.ndarray:
        """The saved identity vectors of collection paintings by path (NaN rows for paintings it has none of)."""
        if self._rows is None:
            self._rows = {p: i for i, p in enumerate(self.items.get("paths", []))}
        vectors = np.asarray(self.items.get("embeddings", np.zeros((0, 0))), dtype=np.float32)
        out = np.full((len(paths), vectors.shape[1] if vectors.ndim == 2 else 0), np.nan, dtype=np.float32)
        for row, path in enumerate(paths):
            found = self._rows.get(str(Path(path).resolve()))
            if found is not None:
                out[row] = vectors[found]
        return out

    def same_artist(self, a: np.ndarray, b: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """The "same painter" value of paired rows of identity embeddings ``a`` and ``b`` (raw: the cosine)."""
        cos = (normalized(a) * normalized(b)).sum(1)
        if not calibrated or self.card.same_artist is None:
            return cos
        return PlattScaler(**self.card.same_artist)(cos)


def _halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def answer_labels(frame: pd.DataFrame, known: int) -> np.ndarray:
    """Each painting's right answer: its known artist's code, or ``known`` ("someone else")."""
    artist = frame["artist"].to_numpy()
    return np.where(artist >= 0, artist, known)


def fit_identity(
    head: IdentityHead | None,
    card: IdentityCard,
    features: dict[str, np.ndarray],
    tables: dict[str, ArtTable],
    seed: int = 0,
    made_up: np.ndarray | None = None,
) -> IdentityModel:
    """Train the artist classifier on the training paintings and fit every calibrated part on validation (see the
    module). ``features``: ``(n, views, dim)`` frozen features of ``train`` and ``val``; ``tables``:
    :mod:`.protocol`'s (roles and known-artist codes); ``made_up``: the whole-view features of made-up
    non-paintings, which fit the "not a painting" check (:mod:`artlib.trust.painting_check`, with its nearness
    rule to the training paintings)."""
    train, val = tables["train"].frame, tables["val"].frame
    k = len(card.known)
    y_train, y_val = answer_labels(train, k), answer_labels(val, k)
    classifier = None
    card.fitted_on = {"train": len(train), "train_someone_else": int((y_train == k).sum())}
    if k:
        if not (y_train == k).any():
            log.warning(
                "identity: no training painting is by anyone but the %d known artists, so 'someone else' "
                "cannot be learnt: every painting will be named as one of them",
                k,
            )
        classifier = ArtistClassifier.fit(answer_features(features["train"]), y_train, seed=seed)
    model = IdentityModel(head, card, classifier)
    if made_up is not None and len(made_up) >= 2:
        whole = {name: features[name][:, 0] for name in ("train", "val")}
        card.painting = fit_painting_check(whole["train"], whole["val"], made_up, near_k=NEAR_K).to_dict()
        model.painting_bank = near_bank(whole["train"])
    fit_rows, set_rows = _halves(len(val), seed)
    role = val["role"].to_numpy()
    fit_rows = fit_rows[role[fit_rows] != "seen"]  # known artists and held-out painters (never seen in training)
    set_rows = set_rows[role[set_rows] != "seen"]
    if classifier is not None and len(fit_rows) >= 2:
        raw = model.full_probs(features["val"][fit_rows], calibrated=False)
        card.temperature = TemperatureScaler.fit(raw, y_val[fit_rows]).temperature
        threshold = conformal_threshold(model.full_probs(features["val"][set_rows]), y_val[set_rows], card.coverage)
        card.set_threshold = None if math.isinf(threshold) else threshold
    card.fitted_on.update(validation_fit=len(fit_rows), validation_sets=len(set_rows))
    emb = {name: model.embed(features[name]) for name in ("train", "val")}
    pool = np.concatenate([emb["train"], emb["val"]])
    painters = np.concatenate([train["painter"].to_numpy(), val["painter"].to_numpy()])
    pairs = neighbour_pairs(pool, np.arange(len(emb["train"]), len(pool)), k=8, seed=seed)
    same = painters[pairs["a"]] == painters[pairs["b"]]
    if same.any() and not same.all():
        cosine = model.same_artist(pool[pairs["a"]], pool[pairs["b"]], calibrated=False)
        card.same_artist = asdict(PlattScaler.fit(cosine, same, logit=False))
        card.fitted_on["same_artist_pairs"] = len(pairs)
    return model


def _valid_check(values: object) -> bool:
    try:
        PaintingCheck.from_dict(values)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def _check_card(card: IdentityCard) -> None:
    """Refuse a damaged card, naming the field (a temperature of 0 or inf, a NaN threshold, a coverage of 5...)."""
    platt = card.same_artist or {}
    checks = {
        "temperature": isinstance(card.temperature, (int, float))
        and math.isfinite(card.temperature)
        and card.temperature > 0,
        "coverage": isinstance(card.coverage, (int, float)) and 0 < card.coverage < 1,
        "set_threshold": card.set_threshold is None
        or (isinstance(card.set_threshold, (int, float)) and 0 <= card.set_threshold <= 1),
        "image_size": isinstance(card.image_size, int) and card.image_size >= 32,
        "detail": isinstance(card.detail, int) and card.detail >= 32,
        "same_artist": all(
            isinstance(platt.get(key, 0.0), (int, float)) and math.isfinite(platt.get(key, 0.0))
            for key in ("slope", "intercept")
        ),
        "known": isinstance(card.known, list) and all(isinstance(name, str) for name in card.known),
        "painting": card.painting is None or _valid_check(card.painting),
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise ValueError(f"the identity card is damaged: {', '.join(f'{n}={getattr(card, n)!r}' for n in bad)}")


def identity_state(model: IdentityModel) -> dict:
    """Everything an identity model is, as tensors and plain values (for a ``weights_only`` file)."""
    import torch

    head, clf = model.head, model.classifier
    return {
        "kind": "identity",
        "card": model.card.to_dict(),
        "head": None if head is None else head.state_dict(),
        "head_dims": None
        if head is None
        else {"in_dim": head.in_dim, "dim": head.dim, "hidden": head.net[0].out_features},
        "classifier": None
        if clf is None
        else {name: torch.as_tensor(np.asarray(value)) for name, value in asdict(clf).items()},
        "items": {
            "paths": list(model.items.get("paths", [])),
            "embeddings": torch.as_tensor(np.asarray(model.items.get("embeddings", np.zeros((0, 0))))),
        },
        "painting_bank": None if model.painting_bank is None else torch.as_tensor(model.painting_bank),
    }


def identity_from_state(state: dict) -> IdentityModel:
    """The :class:`IdentityModel` of :func:`identity_state`; a damaged card or classifier raises ``ValueError``."""
    if not isinstance(state, dict) or state.get("kind") != "identity":
        raise ValueError("not an identity model file (no 'kind': 'identity')")
    try:
        card = IdentityCard.from_dict(state["card"])
    except (TypeError, KeyError) as exc:
        raise ValueError(f"the identity card is damaged: {exc}") from exc
    _check_card(card)
    head = None
    if state.get("head") is not None:
        head = IdentityHead(**state["head_dims"])
        head.load_state_dict(state["head"])
        head.eval()
    classifier = None
    if state.get("classifier") is not None:
        values = {name: value.numpy() for name, value in state["classifier"].items()}
        classifier = ArtistClassifier(**values)
        width = classifier.mean.shape[0]
        if (
            classifier.coef.shape != (len(classifier.columns), width)
            or classifier.columns.max() > len(card.known)
            or not np.isfinite(classifier.coef).all()
        ):
            raise ValueError(
                f"the identity classifier is damaged: weights {classifier.coef.shape} for "
                f"{len(classifier.columns)} classes of {len(card.known)} known artists + someone else"
            )
    items = state.get("items") or {}
    embeddings = items["embeddings"].numpy() if "embeddings" in items else np.zeros((0, 0))
    bank = state.get("painting_bank")
    if bank is not None:
        width = None if card.painting is None else len(card.painting["weights"])
        bank = checked_bank(
            bank.float().numpy(), width, "the identity model's painting_bank", "run notebook 11b_identity again"
        )
    paths = list(items.get("paths", []))
    return IdentityModel(head, card, classifier, {"paths": paths, "embeddings": embeddings}, bank)
