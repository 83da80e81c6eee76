"""Early stopping on a monitored metric."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class EarlyStopping:
    """Stop after ``patience`` epochs without an improvement larger than ``min_delta``."""

    patience: int | None = 5
    mode: str = "min"
    min_delta: float = 0.0
    best: float = math.nan
    bad_epochs: int = 0

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError("mode must be 'min' or 'max'")

    def improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if math.isnan(self.best):
            return True
        return value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta

    def step(self, value: float) -> bool:
        """Record ``value``; return True when it is the best so far."""
        if self.improved(value):
            self.best, self.bad_epochs = float(value), 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_epochs = float(state["best"]), int(state["bad_epochs"])
