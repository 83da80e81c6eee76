"""Atomic, tensors-only checkpoints, loaded with ``weights_only=True``."""

from __future__ import annotations

import errno
import pickle
import shutil
from pathlib import Path
from typing import Any

import torch

from ..utils.files import atomic_write


class CheckpointError(RuntimeError):
    """A checkpoint file is empty, truncated, not a checkpoint, or not the kind that was asked for."""


#: What torch says when its zip writer runs out of room (it does not pass on the OSError).
_WRITE_FAILED = ("file write failed", "unexpected pos", "No space left")


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """Write ``state`` to ``path`` atomically (temp file in the same folder, then rename).

    A full disk raises :class:`CheckpointError` saying so; the previous file at ``path`` is left whole.
    """
    path = Path(path)
    try:
        with atomic_write(path) as tmp:
            torch.save(state, tmp)
    except (OSError, RuntimeError) as exc:
        if getattr(exc, "errno", None) != errno.ENOSPC and not any(m in str(exc) for m in _WRITE_FAILED):
            raise
        free = shutil.disk_usage(path.parent).free
        raise CheckpointError(
            f"could not write the checkpoint {path}: the disk is full ({free / 2**20:,.0f} MiB free). "
            f"The previous {path.name} (if any) is intact. Free some space, or point the outputs folder at "
            "a larger disk, then resume from last.pt."
        ) from exc
    return path


#: What ``Trainer.resume`` needs; ``best.pt`` holds only the evaluated weights.
RESUME_KEYS = ("model", "optimizer", "scheduler", "scaler", "epoch", "early_stopping", "history")


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint safely (``weights_only=True``: no arbitrary code on load).

    An empty, truncated or foreign file raises :class:`CheckpointError` naming the file and what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    size = path.stat().st_size
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (EOFError, RuntimeError, pickle.UnpicklingError, OSError, ValueError) as exc:
        what = "is empty (0 bytes)" if size == 0 else f"cannot be read ({size:,} bytes: truncated or not a checkpoint)"
        raise CheckpointError(
            f"checkpoint {path} {what}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. "
            "artlib writes checkpoints atomically, so this file was cut short by a full disk or a copy, or "
            "comes from elsewhere: delete it and resume from another checkpoint (last.pt), or train again."
        ) from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, not a dict of state dicts")
    return state


def check_resumable(state: dict[str, Any], path: str | Path) -> None:
    """Raise :class:`CheckpointError` unless ``state`` holds everything a resumed run needs."""
    missing = [key for key in RESUME_KEYS if key not in state]
    if missing:
        hint = (
            " It is a best-weights file (best.pt: for load_best / evaluation); resume from last.pt in the same folder."
            if "model" in state
            else ""
        )
        raise CheckpointError(f"cannot resume from {path}: it lacks {missing}.{hint}")


def load_weights(model: torch.nn.Module, path: str | Path, strict: bool = True) -> torch.nn.Module:
    """Load the ``model`` state dict of a checkpoint (or a bare state dict) into ``model``."""
    state = load_checkpoint(path)
    model.load_state_dict(state.get("model", state), strict=strict)
    return model
