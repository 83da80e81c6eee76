"""Selective prediction: how the error falls when a model may abstain on its least sure answers.

    curve = risk_coverage(confidence, correct)   # coverage (share answered) and risk (error among them)
    aurc(confidence, correct)                    # the area under that curve: lower is better

Answers are taken most confident first; at coverage ``c`` the risk is the error rate of the ``c`` share answered.
The AURC (Geifman & El-Yaniv, 2017) is the mean risk over all coverages: it rewards a confidence that ranks the
wrong answers last, whatever its calibration. Ties are taken together, so the curve does not depend on their order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def risk_coverage(confidence: np.ndarray, correct: np.ndarray) -> pd.DataFrame:
    """``coverage`` and ``risk`` at each distinct confidence, most confident first (one row per threshold)."""
    confidence, correct = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
    if confidence.shape != correct.shape or confidence.ndim != 1:
        raise ValueError(f"confidence and correct must be 1-D of one length, got {confidence.shape}, {correct.shape}")
    if not len(confidence):
        return pd.DataFrame({"threshold": [], "coverage": [], "risk": []})
    order = np.argsort(-confidence, kind="stable")
    conf, wrong = confidence[order], ~correct[order]
    last = np.r_[np.flatnonzero(np.diff(conf) != 0), len(conf) - 1]  # the last row of each run of ties
    answered = last + 1
    errors = np.cumsum(wrong)[last]
    return pd.DataFrame({"threshold": conf[last], "coverage": answered / len(conf), "risk": errors / answered})


def aurc(confidence: np.ndarray, correct: np.ndarray) -> float:
    """The area under the risk-coverage curve (the mean risk over every coverage; ties answered together)."""
    curve = risk_coverage(confidence, correct)
    if curve.empty:
        return float("nan")
    widths = np.diff(np.r_[0.0, curve["coverage"].to_numpy()])
    return float((curve["risk"].to_numpy() * widths).sum())
