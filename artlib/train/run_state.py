"""A training run on disk: ``last.pt`` (everything a resume needs), ``best.pt`` (the evaluated weights of the best
epoch) and ``history.csv``, written atomically as state dicts; resuming and loading the best weights back."""

from __future__ import annotations

import logging
import math
import warnings
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn as nn

from ..utils.locks import exclusive_folder
from . import distributed as ddp
from .checkpoint import CheckpointError, check_resumable, load_checkpoint, save_checkpoint

if TYPE_CHECKING:
    from .trainer import Trainer

log = logging.getLogger(__name__)

#: Settings that a resumed run takes from the checkpoint (optimizer and schedule state), whatever the config says.
RESUME_FIXED = ("lr", "weight_decay", "optimizer", "momentum")


def run_lock(trainer: Trainer) -> AbstractContextManager:
    """Hold the run's checkpoint folder for the main process (two runs writing one folder are refused)."""
    if trainer.checkpoint_dir is None or not ddp.is_main():
        return nullcontext()
    return exclusive_folder(trainer.checkpoint_dir, "a training run")


def run_state(trainer: Trainer) -> dict:
    """Everything ``last.pt`` holds: weights, optimizer, schedule, scaler, EMA, epoch, early stopping, history."""
    return {
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict() if trainer.scheduler else {},
        "scaler": trainer.scaler.state_dict(),
        **({"ema": trainer.ema.module.state_dict()} if trainer.ema is not None else {}),
        "epoch": trainer.epoch,
        "early_stopping": trainer.stopper.state_dict(),
        "history": trainer.history,
        "config": asdict(trainer.config),
        "run_id": trainer.run_id,
        "initial_loss": trainer.initial_loss,
    }


def save_epoch(trainer: Trainer, is_best: bool) -> None:
    """Write ``last.pt``, ``best.pt`` when ``is_best`` and ``history.csv`` (the main process only); weights with
    NaN or infinite values are never saved."""
    folder = trainer.checkpoint_dir
    if folder is None or not ddp.is_main():
        return
    if not all(torch.isfinite(t).all() for t in trainer.eval_model.state_dict().values() if t.is_floating_point()):
        trainer.diverged("the weights hold NaN or infinite values", saved_epochs=0)
    save_checkpoint(run_state(trainer), folder / "last.pt")
    if is_best:
        best = {
            "model": trainer.eval_model.state_dict(),
            "epoch": trainer.epoch,
            "run_id": trainer.run_id,
            "monitor": trainer.config.monitor,
            "value": trainer.stopper.best,
        }
        save_checkpoint(best, folder / "best.pt")
    trainer.saved = True
    trainer.history_frame().to_csv(folder / "history.csv", index=False)


def resume_run(trainer: Trainer, path: str | Path) -> None:
    """Restore model, optimizer, schedule, scaler, EMA, epoch, early stopping and history from ``last.pt``."""
    state = load_checkpoint(path, map_location=trainer.device)
    check_resumable(state, path)
    trainer.model.load_state_dict(state["model"])
    trainer.optimizer.load_state_dict(state["optimizer"])
    if trainer.scheduler is not None and state["scheduler"]:
        trainer.scheduler.load_state_dict(state["scheduler"])
    trainer.scaler.load_state_dict(state["scaler"])
    if trainer.ema is not None:
        if "ema" not in state:
            raise ValueError(f"{path} holds no EMA weights: resume it with ema_decay=None")
        trainer.ema.module.load_state_dict(state["ema"])
    trainer.epoch = int(state["epoch"])
    trainer.stopper.load_state_dict(state["early_stopping"])
    trainer.history = list(state["history"])
    trainer.initial_loss = state.get("initial_loss")  # (older checkpoints: epoch 1's train_loss stands in)
    trainer.run_id = str(state.get("run_id", trainer.run_id))  # the same run, continued
    warn_changed_settings(trainer, state.get("config", {}), path)
    log.info("resumed from %s at epoch %d", path, trainer.epoch)


def warn_changed_settings(trainer: Trainer, saved: dict, path: str | Path) -> None:
    """Warn for each setting that differs from the checkpoint's; say which ones the resume ignores."""
    now = asdict(trainer.config)
    changed = {
        k: (saved[k], now[k]) for k in saved if k in now and saved[k] != now[k] and k not in ("progress", "device")
    }
    if not changed:
        return
    fixed = [k for k in changed if k in RESUME_FIXED]
    listed = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
    message = f"resuming {path} with settings that differ from the checkpoint's ({listed}). " + (
        f"The resumed optimizer and schedule keep the checkpoint's {fixed}: the new values are NOT "
        "used (trainer.config now holds the checkpoint's); start a new run (another checkpoint folder) to "
        "train with them."
        if fixed
        else "The new values apply from the next epoch."
    )
    log.warning(message)
    warnings.warn(message, stacklevel=4)
    trainer.config = replace(trainer.config, **{k: saved[k] for k in fixed})  # the config says what is used


def load_best_weights(trainer: Trainer) -> nn.Module:
    """Load ``best.pt`` into the model (and the EMA) and return it. When the monitored value was NaN in every epoch
    (e.g. MAP@R on a validation split where no class holds two images) no epoch was best: the model keeps its last
    epoch's weights, with a warning."""
    folder = trainer.checkpoint_dir
    if folder is None:
        raise RuntimeError("no checkpoint_dir was given")
    if trainer.distributed:
        torch.distributed.barrier()  # rank 0 has finished writing
    if trainer.history and math.isnan(trainer.stopper.best) and not (folder / "best.pt").exists():
        log.warning(
            "%s was NaN in all %d epochs, so no epoch was best and no best.pt was written: the model keeps "
            "its last epoch's weights. Check that the validation split can measure it.",
            trainer.config.monitor,
            len(trainer.history),
        )
        return trainer.model
    state = load_checkpoint(folder / "best.pt", map_location=trainer.device)
    if trainer.saved and state.get("run_id", trainer.run_id) != trainer.run_id:
        raise CheckpointError(
            f"{folder / 'best.pt'} was written by another training run after this one saved "
            "there: loading it would evaluate the other run's weights. Give each run its own checkpoint_dir."
        )
    trainer.model.load_state_dict(state["model"])
    if trainer.ema is not None:  # best.pt holds the evaluated (EMA) weights: evaluate those
        trainer.ema.module.load_state_dict(state["model"])
    return trainer.model
