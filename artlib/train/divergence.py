"""When a run has diverged: a loss that is NaN, infinite or orders of magnitude above the untrained model's."""

from __future__ import annotations

import math

#: A loss this many times the first epoch's (or above it when the first was < 1) means the run diverged.
DIVERGENCE_FACTOR = 1e4


class TrainingDivergedError(RuntimeError):
    """The loss became NaN / infinite or grew by orders of magnitude: the weights are no longer usable."""


def divergence(row: dict[str, float], key: str, start: float) -> str | None:
    """What diverged in ``row[key]`` (None when nothing did): NaN / infinite, or more than
    :data:`DIVERGENCE_FACTOR` times ``start`` (the untrained model's loss, its first batch's), so a loss that
    explodes within the first epoch counts too."""
    if key not in row:
        return None
    value = float(row[key])
    if not math.isfinite(value) or (math.isfinite(start) and value > DIVERGENCE_FACTOR * max(start, 1.0)):
        return f"{key} = {value:.4g} (the untrained model's loss: {start:.4g})"
    return None


def diverged_message(epoch: int, what: str, checkpoint_dir: object, lr: float) -> str:
    """The message of :class:`TrainingDivergedError`: where the last good checkpoints are and what to change."""
    where = f" in {checkpoint_dir}" if checkpoint_dir else ""
    return (
        f"training diverged at epoch {epoch}: {what}. The weights are no longer usable and were not saved; the "
        f"last good checkpoints{where} are kept. Lower the learning rate (lr = {lr:g}), set grad_clip, or turn off "
        "AMP."
    )
