"""How far to believe one task's answers, fitted after training and stored in the model card.

    trust = fit_task_trust(val_probs, val_labels, features=val_features, bank=bank, open_set=True)
    trust.calibrate(test_probs)            # temperature-scaled probabilities
    trust.sets(trust.calibrate(probs))     # 90 % prediction sets (split conformal)
    trust.known(probs, features, bank)     # False: "none of the classes this model knows"

The temperature and the conformal threshold are both fitted on the validation paintings with a label (the threshold
on the calibrated probabilities the model shows). Using the same rows for a one-parameter temperature moves the
coverage guarantee by O(1/n); splitting them in halves would cost more (on the WikiArt sample's 188 validation
paintings with an artist, a half-split threshold covered 0.86 of the test paintings, the whole one 0.88).
Paintings without a label of an open task (an artist outside the label set) fit the open-set rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import PlattScaler, TemperatureScaler
from .conformal import conformal_threshold, prediction_sets
from .open_set import OpenSetBank, OpenSetRule, fit_open_set

#: the coverage of every prediction set unless a caller asks for another
DEFAULT_COVERAGE = 0.9


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
        values = dict(values)
        rule = values.pop("open_set", None)
        out = cls(**values)
        out.open_set = OpenSetRule(**rule) if rule else None
        if not (isinstance(out.temperature, (int, float)) and out.temperature > 0):
            raise ValueError(f"a temperature must be a positive number, got {out.temperature!r}")
        return out


def fit_task_trust(
    task: str,
    probs: np.ndarray,
    labels: np.ndarray,
    coverage: float = DEFAULT_COVERAGE,
    open_set: bool = False,
    features: np.ndarray | None = None,
    bank: OpenSetBank | None = None,
    known_recall: float = 0.9,
) -> TaskTrust:
    """Fit ``task``'s trust on validation predictions (``labels``: -1 where the painting has no label of the task).

    ``open_set``: the task's classes do not cover every painting (artists): unlabelled rows are paintings of other
    classes and fit the open-set rule against the labelled ones (``features`` and ``bank`` for the k-NN scores).
    """
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels).astype(np.int64)
    labelled = labels >= 0
    scaler = TemperatureScaler.fit(probs[labelled], labels[labelled])
    calibrated = scaler(probs)
    threshold = conformal_threshold(calibrated[labelled], labels[labelled], coverage)
    trust = TaskTrust(
        temperature=round(scaler.temperature, 5),
        coverage=coverage,
        set_threshold=None if math.isinf(threshold) else threshold,
        fitted_on={"labelled": int(labelled.sum())},
    )
    if open_set:
        trust.open_set = fit_open_set(task, calibrated, labelled, features, bank, known_recall)
        trust.fitted_on["other"] = int((~labelled).sum())
    return trust
