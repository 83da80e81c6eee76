"""Calibration rows held out of validation: the prediction sets' guarantee needs rows that nothing else has seen.

    splits = hold_out_calibration(splits, share=0.5, seed=0)   # "val" (early stopping, temperature) + "calibration"

Early stopping and the temperature both choose with the validation paintings, so a conformal threshold fitted on
them is fitted on rows the model was already tuned to. The paintings moved to ``calibration`` are used only by the
sets (:func:`artlib.trust.task_trust.fit_task_trust`'s ``calibration``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..data.table import ArtTable

log = logging.getLogger(__name__)


def hold_out_calibration(splits: dict[str, ArtTable], share: float = 0.5, seed: int = 0) -> dict[str, ArtTable]:
    """``splits`` with ``share`` of the validation paintings (drawn at random) moved to a ``calibration`` split;
    unchanged, with a warning, when validation holds fewer than 4 paintings."""
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1), got {share}")
    val = splits["val"]
    if len(val) < 4:
        log.warning("only %d validation paintings: no calibration rows held out (sets fit on validation)", len(val))
        return dict(splits)
    order = np.random.default_rng(seed).permutation(len(val))
    cut = len(val) - max(2, round(len(val) * share))
    return {**splits, "val": val.subset(np.sort(order[:cut])), "calibration": val.subset(np.sort(order[cut:]))}
