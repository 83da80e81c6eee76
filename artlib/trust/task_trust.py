"""How far to believe one task's answers, fitted after training and stored in the model card.

    trust = fit_task_trust(val_probs, val_labels, features=val_features, bank=bank, open_set=True)
    trust.calibrate(test_probs)            # temperature-scaled probabilities
    trust.sets(trust.calibrate(probs))     # 90 % prediction sets (split conformal)
    trust.known(probs, features, bank)     # False: "none of the classes this model knows"

The temperature is fitted on the validation paintings with a label; the conformal threshold (on the calibrated
probabilities the model shows) on ``calibration`` rows used neither for the temperature nor for early stopping
when they are given (notebook 08 holds them out of validation with :func:`.calibration_split.hold_out_calibration`),
else on the same validation rows, which ``fitted_on["sets_from"]`` says. Too few calibration rows for a finite
threshold (fewer than 9 at 90 %) leave every class in every set, and the answers say so.
Paintings without a label of an open task (an artist outside the label set) fit the open-set rule.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import PlattScaler, TemperatureScaler
from .conformal import conformal_threshold, needed_rows, prediction_sets
from .open_set import OpenSetBank, OpenSetRule, fit_open_set

log = logging.getLogger(__name__)

#: the coverage of every prediction set unless a caller asks for another
DEFAULT_COVERAGE = 0.9
#: temperatures a card may hold (a fit searches (0.05, 20); Platt scaling gives 1 / slope): outside, no fit made it
TEMPERATURE_RANGE = (1e-3, 1e3)


def _number(value: object) -> bool:
    """A finite int or float (not a bool, not a string)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class TaskTrust:
    """Temperature, conformal threshold and open-set rule of one task (plain values: the card is JSON)."""

    temperature: float = 1.0
    #: per-class bias after the temperature (Platt scaling of a two-class task such as "same artist"); None: none
    bias: list[float] | None = None
    coverage: float = DEFAULT_COVERAGE
    #: the largest ``1 - p`` a prediction set admits; None: too few validation paintings, every class is in the set
    set_threshold: float | None = None
    open_set: OpenSetRule | None = None
    #: how many validation paintings fitted each part
    fitted_on: dict = field(default_factory=dict)
    #: what the fit achieved on the test split (ECE before and after, coverage, set size, open-set rates)
    test: dict = field(default_factory=dict)

    def calibrate(self, probs: np.ndarray) -> np.ndarray:
        return TemperatureScaler(self.temperature, tuple(self.bias) if self.bias else None)(probs)

    @classmethod
    def from_platt(cls, scaler: PlattScaler, **values: Any) -> TaskTrust:
        """The trust of a two-class task calibrated by Platt scaling (a Siamese head's "same artist")."""
        as_temperature = scaler.as_temperature()
        return cls(temperature=as_temperature.temperature, bias=list(as_temperature.bias or ()), **values)

    def sets(self, calibrated: np.ndarray) -> np.ndarray:
        """``(n, classes)`` booleans: the prediction set of each painting (from calibrated probabilities)."""
        return prediction_sets(calibrated, math.inf if self.set_threshold is None else self.set_threshold)

    def known(
        self, calibrated: np.ndarray, features: np.ndarray | None = None, bank: OpenSetBank | None = None
    ) -> np.ndarray:
        """False where the painting is "none of these"; all True for a task without an open-set rule."""
        if self.open_set is None:
            return np.ones(len(calibrated), dtype=bool)
        return self.open_set.known(calibrated, features, bank)

    def to_dict(self) -> dict:
        return {
            "temperature": self.temperature,
            "bias": self.bias,
            "coverage": self.coverage,
            "set_threshold": self.set_threshold,
            "open_set": self.open_set.to_dict() if self.open_set else None,
            "fitted_on": dict(self.fitted_on),
            "test": dict(self.test),
        }

    @classmethod
    def from_dict(cls, values: dict) -> TaskTrust:
        """The trust of :meth:`to_dict`; a damaged record raises ``ValueError`` naming the field."""
        values = dict(values)
        rule = values.pop("open_set", None)
        out = cls(**values)
        out.open_set = OpenSetRule(**rule) if rule else None
        out.check()
        return out

    def check(self) -> None:
        """Refuse values no fit gives (a temperature of 0, inf or 1e-9, a NaN or negative threshold, a coverage of
        5, strings for numbers), naming the field: a damaged card must not answer with made-up certainty."""
        problems = []
        if not _number(self.temperature) or not TEMPERATURE_RANGE[0] <= self.temperature <= TEMPERATURE_RANGE[1]:
            problems.append(f"temperature={self.temperature!r} (a number in {TEMPERATURE_RANGE})")
        if self.bias is not None and not (isinstance(self.bias, (list, tuple)) and all(map(_number, self.bias))):
            problems.append(f"bias={self.bias!r} (finite numbers)")
        if not _number(self.coverage) or not 0 < self.coverage < 1:
            problems.append(f"coverage={self.coverage!r} (in (0, 1))")
        if self.set_threshold is not None and (not _number(self.set_threshold) or not 0 <= self.set_threshold <= 1):
            problems.append(f"set_threshold={self.set_threshold!r} (in [0, 1], or none)")
        rule = self.open_set
        if rule is not None:
            if not _number(rule.threshold):
                problems.append(f"open_set.threshold={rule.threshold!r} (a finite number)")
            if isinstance(rule.k, bool) or not isinstance(rule.k, int) or rule.k < 1:
                problems.append(f"open_set.k={rule.k!r} (a positive integer)")
            if not _number(rule.known_recall) or not 0 < rule.known_recall <= 1:
                problems.append(f"open_set.known_recall={rule.known_recall!r} (in (0, 1])")
        if problems:
            raise ValueError(f"damaged trust: {'; '.join(problems)}")


def fit_task_trust(
    task: str,
    probs: np.ndarray,
    labels: np.ndarray,
    coverage: float = DEFAULT_COVERAGE,
    open_set: bool = False,
    features: np.ndarray | None = None,
    bank: OpenSetBank | None = None,
    known_recall: float = 0.9,
    calibration: tuple[np.ndarray, np.ndarray] | None = None,
) -> TaskTrust:
    """Fit ``task``'s trust on validation predictions (``labels``: -1 where the painting has no label of the task);
    ``calibration``: ``(probs, labels)`` of held-out calibration rows for the prediction sets.

    ``open_set``: the task's classes do not cover every painting (artists): unlabelled rows are paintings of other
    classes and fit the open-set rule against the labelled ones (``features`` and ``bank`` for the k-NN scores).
    """
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels).astype(np.int64)
    labelled = labels >= 0
    one_class = len(np.unique(labels[labelled])) < 2
    scaler = TemperatureScaler.fit(probs[labelled], labels[labelled])
    calibrated = scaler(probs)
    if calibration is None:
        cal_probs, cal_labels, sets_from = calibrated[labelled], labels[labelled], "validation (also the temperature)"
    else:
        cal_probs, cal_labels = np.asarray(calibration[0], dtype=np.float64), np.asarray(calibration[1]).astype(int)
        cal_probs, cal_labels = scaler(cal_probs[cal_labels >= 0]), cal_labels[cal_labels >= 0]
        sets_from = "calibration rows (neither the temperature nor early stopping)"
    threshold = conformal_threshold(cal_probs, cal_labels, coverage)
    if math.isinf(threshold) and not one_class:
        log.warning(
            "%s: %d calibration paintings cannot make a %.0f %% set (at least %d needed): every class stays in "
            "each set, and the answers say so",
            task,
            len(cal_labels),
            coverage * 100,
            needed_rows(coverage),
        )
    if one_class:  # sets fitted on one class cover nothing else: every class stays in the set instead
        log.warning(
            "%s: the validation paintings with a label hold %d class(es): its sets are not fitted (every class "
            "stays in each set) and its temperature is not trusted",
            task,
            len(np.unique(labels[labelled])),
        )
    trust = TaskTrust(
        temperature=1.0 if one_class else round(scaler.temperature, 5),
        coverage=coverage,
        set_threshold=None if one_class or math.isinf(threshold) else threshold,
        fitted_on={"labelled": int(labelled.sum()), "sets": len(cal_labels), "sets_from": sets_from},
    )
    if open_set:
        trust.open_set = fit_open_set(task, calibrated, labelled, features, bank, known_recall)
        trust.fitted_on["other"] = int((~labelled).sum())
    return trust
