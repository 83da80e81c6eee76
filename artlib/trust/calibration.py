"""Calibrated probabilities: expected calibration error, temperature scaling (classes) and Platt scaling (pairs).

    scaler = TemperatureScaler.fit(val_probs, val_labels)       # one temperature per task, on validation
    expected_calibration_error(scaler(test_probs), test_labels)  # 15 equal-width bins of confidence

Both scalers act on probabilities (``log p`` stands for the logits), so they calibrate whatever a model's
prediction averaged: views, mirror images, an ensemble. Temperature scaling keeps the ranking of the classes
(the accuracy does not move); it is the recipe of Guo et al. (2017), fitted by one bounded 1-D minimisation of
the validation NLL. Platt scaling is scikit-learn's logistic regression on the logit of a binary score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

EPS = 1e-12
#: the number of equal-width confidence bins of every ECE artlib reports (as netcal's ``ECE(bins=15)``)
ECE_BINS = 15


def _checked(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels).astype(np.int64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probs must be (n, classes) with one label per row; got {probs.shape} and {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= probs.shape[1]):
        raise ValueError("labels must be class indices (rows without a label removed first)")
    return probs, labels


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label ECE: the confidence-weighted gap between mean confidence and accuracy over ``bins``
    equal-width bins of the top probability (nan for no rows)."""
    probs, labels = _checked(probs, labels)
    if not len(labels):
        return float("nan")
    confidence, correct, which = _confidence_bins(probs, labels, bins)
    gap = np.bincount(which, confidence - correct, minlength=bins)
    return float(np.abs(gap).sum() / len(labels))


def _confidence_bins(probs: np.ndarray, labels: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's top probability, whether its top class is right, and its bin ``(k/bins, (k+1)/bins]``."""
    confidence, correct = probs.max(1), (probs.argmax(1) == labels).astype(np.float64)
    return confidence, correct, _bin_of(confidence, bins)


def _bin_of(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Each confidence's equal-width bin ``(k/bins, (k+1)/bins]``."""
    return np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)


def _drawn_labels(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One label per row drawn from the row's own probabilities (what a perfectly calibrated model's test set is)."""
    cumulative = np.cumsum(probs / probs.sum(1, keepdims=True), 1)
    return (rng.random((len(probs), 1)) > cumulative).sum(1).clip(0, probs.shape[1] - 1)


def ece_floor(probs: np.ndarray, bins: int = ECE_BINS, draws: int = 200, seed: int = 0) -> tuple[float, float]:
    """The ECE that a *perfectly* calibrated model with these probabilities would show on this many rows (labels
    drawn from the probabilities themselves): mean and 95th percentile over ``draws``. An ECE below it cannot be
    told apart from sampling noise; a target below it cannot be reached on a test set of this size."""
    probs = np.asarray(probs, dtype=np.float64)
    if not len(probs):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = [expected_calibration_error(probs, _drawn_labels(probs, rng), bins) for _ in range(draws)]
    return float(np.mean(values)), float(np.quantile(values, 0.95))


def detectable_miscalibration(
    probs: np.ndarray,
    power: float = 0.8,
    alpha: float = 0.05,
    draws: int = 200,
    seed: int = 0,
    bins: int = ECE_BINS,
) -> float:
    """The smallest over-confidence this test set can detect: the least ``delta`` (on a grid of 0.005 steps up to
    0.3) such that a model whose top class is right with probability ``confidence - delta`` shows a 15-bin ECE
    above the ``1 - alpha`` quantile of a perfectly calibrated one's in at least ``power`` of the draws. Smaller
    miscalibration can hide in a test set of this size; NaN when even 0.3 cannot be told (or no rows)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or not len(probs):
        return float("nan")
    confidence = probs.max(1)
    which = _bin_of(confidence, bins)
    rng = np.random.default_rng(seed)

    def eces(truth: np.ndarray) -> np.ndarray:
        correct = rng.random((draws, len(truth))) < truth
        gaps = [np.bincount(which, confidence - row, minlength=bins) for row in correct]
        return np.abs(np.asarray(gaps)).sum(1) / len(truth)

    threshold = np.quantile(eces(confidence), 1 - alpha)
    for delta in np.arange(0.005, 0.3001, 0.005):
        if (eces(np.clip(confidence - delta, 0, 1)) > threshold).mean() >= power:
            return round(float(delta), 3)
    return float("nan")


def debiased_ece(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """The debiased top-label calibration error of Kumar et al. (2019): equal-mass bins of the top probability, and
    each bin's squared gap less the part that sampling noise alone gives it (``acc (1 - acc) / (n - 1)``), so a
    perfectly calibrated model reads near 0 on a small test set, where the 15-bin ECE reads its noise floor.
    Returns the square root of the debiased squared error (an L2 calibration error; 0 when noise explains it all)."""
    probs, labels = _checked(probs, labels)
    if len(labels) < 2:
        return float("nan")
    confidence, correct = probs.max(1), (probs.argmax(1) == labels).astype(np.float64)
    order = np.argsort(confidence, kind="stable")
    total = 0.0
    for rows in np.array_split(order, min(bins, len(labels) // 2)):
        n, accuracy = len(rows), correct[rows].mean()
        total += n * ((confidence[rows].mean() - accuracy) ** 2 - accuracy * (1 - accuracy) / (n - 1))
    return float(np.sqrt(max(total / len(labels), 0.0)))


def calibration_test(probs: np.ndarray, labels: np.ndarray, draws: int = 500, seed: int = 0) -> float:
    """The p-value of "these probabilities are perfectly calibrated": the share of test sets drawn from the
    probabilities themselves (labels sampled from each row) whose 15-bin ECE is at least the observed one."""
    probs, labels = _checked(probs, labels)
    if not len(labels):
        return float("nan")
    observed = expected_calibration_error(probs, labels)
    rng = np.random.default_rng(seed)
    drawn = [expected_calibration_error(probs, _drawn_labels(probs, rng)) for _ in range(draws)]
    return float((1 + sum(d >= observed for d in drawn)) / (1 + draws))


def binary_ece(scores: np.ndarray, same: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE of the positive class's probability ``scores`` (e.g. "same artist") against 0/1 ``same``: equal-width
    bins of the score itself, ``sum |mean score - share positive| * share of pairs``. (A top-label ECE would fold
    a score of 0.3 onto 0.7, so that errors on the two sides cancel: a +-0.10 miscalibration read 0.0004.)"""
    scores = np.clip(np.asarray(scores, dtype=np.float64), 0, 1)
    same = np.asarray(same).astype(np.float64)
    if scores.shape != same.shape or scores.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D of one length, got {scores.shape} and {same.shape}")
    if not len(scores):
        return float("nan")
    which = np.minimum((scores * bins).astype(np.int64), bins - 1)
    counts = np.bincount(which, minlength=bins)
    gaps = np.abs(np.bincount(which, scores, bins) - np.bincount(which, same, bins))
    return float(gaps.sum() / counts.sum())


def negative_log_likelihood(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean ``-log p(true class)``."""
    probs, labels = _checked(probs, labels)
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], EPS, 1)).mean())


def reliability_bins(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> dict[str, np.ndarray]:
    """Per confidence bin: ``confidence`` (mean), ``accuracy`` and ``count`` (a reliability diagram's bars)."""
    probs, labels = _checked(probs, labels)
    confidence, correct, which = _confidence_bins(probs, labels, bins)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "lower": np.arange(bins) / bins,
            "confidence": np.bincount(which, confidence, minlength=bins) / count,
            "accuracy": np.bincount(which, correct, minlength=bins) / count,
            "count": count,
        }


def _log(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probs, EPS, 1))


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


@dataclass(frozen=True)
class TemperatureScaler:
    """``softmax(log p / T + bias)``: ``T > 1`` softens over-confident probabilities, ``T < 1`` sharpens them; a
    per-class ``bias`` (None: none) makes it Platt scaling for two classes (:meth:`PlattScaler.as_temperature`)."""

    temperature: float = 1.0
    bias: tuple[float, ...] | None = None

    @classmethod
    def fit(
        cls, probs: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)
    ) -> TemperatureScaler:
        """The temperature of least NLL on ``(probs, labels)`` (labelled rows only; T = 1 for fewer than 2)."""
        probs, labels = _checked(probs, labels)
        if len(labels) < 2:
            return cls(1.0)
        logits, rows = _log(probs), np.arange(len(labels))

        def nll(log_t: float) -> float:
            z = logits / np.exp(log_t)
            z = z - z.max(1, keepdims=True)
            return float((np.log(np.exp(z).sum(1)) - z[rows, labels]).mean())

        found = minimize_scalar(nll, bounds=np.log(bounds), method="bounded", options={"xatol": 1e-4})
        return cls(float(np.exp(found.x)))

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs, dtype=np.float64)
        if self.temperature == 1.0 and not self.bias:
            return probs
        logits = _log(probs) / self.temperature
        if self.bias:
            if len(self.bias) != probs.shape[1]:
                raise ValueError(f"a bias of {len(self.bias)} classes for probabilities of {probs.shape[1]}")
            logits = logits + np.asarray(self.bias)
        return _softmax(logits)


@dataclass(frozen=True)
class PlattScaler:
    """``sigmoid(a * logit(p) + b)`` for a binary probability ``p`` (e.g. a Siamese head's "same artist"); with
    ``logit=False``, ``sigmoid(a * s + b)`` of a bounded score ``s`` (a cosine, a share of neighbours) that may
    reach its bounds, where a logit would saturate."""

    slope: float = 1.0
    intercept: float = 0.0
    logit: bool = True

    @classmethod
    def fit(cls, scores: np.ndarray, same: np.ndarray, logit: bool = True) -> PlattScaler:
        """Logistic regression (scikit-learn, almost no regularisation) of ``same`` on ``logit(scores)`` (or on
        ``scores`` with ``logit=False``)."""
        from sklearn.linear_model import LogisticRegression

        same = np.asarray(same).astype(np.int64)
        if len(np.unique(same)) < 2:
            raise ValueError("Platt scaling needs pairs of both kinds (same and different) to fit")
        x = np.asarray(scores, dtype=np.float64)
        x = (_logit(x) if logit else x)[:, None]
        model = LogisticRegression(C=1e6, max_iter=1000).fit(x, same)
        return cls(float(model.coef_[0, 0]), float(model.intercept_[0]), logit)

    def as_temperature(self) -> TemperatureScaler:
        """The same map on two-class probabilities ``[1 - p, p]``: temperature ``1 / slope``, bias on class 1."""
        if not self.logit:
            raise ValueError("a Platt scaler of raw scores (logit=False) has no temperature form")
        if self.slope <= 0:
            raise ValueError(f"a Platt slope of {self.slope:.3g} inverts the score: the score is no use for this")
        return TemperatureScaler(1 / self.slope, (0.0, self.intercept))

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        x = np.asarray(scores, dtype=np.float64)
        z = self.slope * (_logit(x) if self.logit else x) + self.intercept
        return 1 / (1 + np.exp(-z))


def _logit(p: np.ndarray) -> np.ndarray:
    """``log p - log(1 - p)``, clipped as :class:`TemperatureScaler` clips (``EPS``): a Platt scaler and its
    temperature form give one value for every raw score, 0 and 1 included."""
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)
