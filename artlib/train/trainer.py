"""One Trainer for single- and multitask classifiers; its optional behaviours are callbacks (:mod:`.ema`,
:mod:`.unfreeze`, :mod:`.tracking`), its checkpoints :mod:`.run_state`, its predictions
:mod:`artlib.evaluation.predict`."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..data.device_augment import transforms_on
from ..evaluation.metrics import TopK
from ..evaluation.predict import Predictions, split_batch
from ..utils.runtime import prefers_channels_last, resolve_device, to_channels_last
from . import distributed as ddp
from .config import TrainConfig
from .divergence import TrainingDivergedError, diverged_message, divergence
from .early_stopping import EarlyStopping
from .ema import WeightEMA
from .losses import MaskedMultiTaskLoss
from .mixing import MixUpCutMix, mixed_loss
from .objectives import TrainingObjective
from .optim import build_optimizer
from .run_state import load_best_weights, resume_run, run_lock, run_state, save_epoch
from .schedule import warmup_cosine
from .validation import monitored, predict_with_loss, validation_row

log = logging.getLogger(__name__)


class Trainer:
    """Fit a model returning ``{task: logits}`` with masked multitask cross-entropy: AdamW/SGD, warm-up + cosine,
    MixUp/CutMix, AMP and channels_last on CUDA, gradient clipping, early stopping on any history column, atomic
    best/last checkpoints and resume (:mod:`.run_state`), DistributedDataParallel under ``torchrun``.

    One callback protocol, objects with any of ``on_epoch_start(trainer)``, ``on_step_end(trainer, step)``,
    ``on_epoch_end(trainer, row)``, ``on_fit_end(trainer, val_loader)``: the weight EMA (``ema_decay``), progressive
    unfreezing, Optuna pruning, TensorBoard (``log_dir``; ``class_names`` label its confusion matrices).
    ``batch_transforms`` ``{"train": fn, "eval": fn}`` run on batches on the device; ``objective`` trains another
    loss and validation (:class:`~artlib.train.objectives.TrainingObjective`, e.g. the triplet loss).
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig | None = None,
        class_weights: dict[str, torch.Tensor] | None = None,
        checkpoint_dir: str | Path | None = None,
        param_groups: list[dict] | None = None,
        callbacks: list | None = None,
        batch_transforms: dict[str, Callable[[torch.Tensor], torch.Tensor]] | None = None,
        log_dir: str | Path | None = None,
        class_names: dict[str, list[str]] | None = None,
        objective: TrainingObjective | None = None,
    ) -> None:
        self.config = config or TrainConfig()
        self.objective = objective
        self.callbacks = list(callbacks or [])
        if log_dir is not None:  # TensorBoard: tensorboard --logdir <parent of log_dir>
            from .tracking import TensorBoardLogger

            self.callbacks.append(TensorBoardLogger(log_dir, class_names))
        self.distributed = ddp.init_distributed()
        self.device = ddp.local_device() if self.distributed else resolve_device(self.config.device)
        self.model = model.to(self.device)
        if objective is not None and self.distributed:
            raise NotImplementedError(
                "an objective calls the bare model, so DistributedDataParallel would not "
                "average its gradients: train it on one process"
            )
        self.batch_transforms = transforms_on(self.device, batch_transforms)
        self.use_channels_last = self.config.channels_last and prefers_channels_last(self.device)
        if self.use_channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        # three views of one network: `model` the bare model (embed, head, state dicts), `training` what a
        # training step calls (`model` or its DistributedDataParallel wrapper) and `eval_model` the weights
        # predictions use (the EMA when enabled)
        self.training = ddp.TrainingModule(self.model, self.device, self.distributed)
        self.loss_fn = MaskedMultiTaskLoss(class_weights, label_smoothing=self.config.label_smoothing).to(self.device)
        self.ema = WeightEMA(self.model, self.config.ema_decay) if self.config.ema_decay else None
        self.callbacks[:0] = [self.ema] if self.ema is not None else []
        self.mixer = MixUpCutMix.of(self.config)  # None without mixing; a rate < 0: its clear error
        # All parameters go to the optimizer: frozen ones (no grad) are skipped until unfrozen.
        params = param_groups if param_groups is not None else list(self.model.parameters())
        self.optimizer = build_optimizer(params, self.config)
        self.amp_dtype = ddp.amp_dtype(self.device) if self.config.amp else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.stopper = EarlyStopping(self.config.patience, self.config.mode)
        self.scheduler: LambdaLR | None = None
        self.epoch = 0
        self.history: list[dict] = []
        self.run_id = uuid.uuid4().hex  # written into the checkpoints: load_best refuses another run's best.pt
        self.initial_loss: float | None = None  # the first training batch's loss (divergence is measured by it)
        self.saved = False  # whether this run wrote checkpoints (load_best refuses another run's best.pt)

    def autocast(self) -> torch.autocast:
        """The mixed-precision context of this run's forward passes (off on a CPU or with ``amp=False``)."""
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None)

    @property
    def eval_model(self) -> nn.Module:
        """The weights that are evaluated and saved as best: the EMA when ``ema_decay`` is set."""
        return self.ema.module if self.ema is not None else self.model

    def _prepare(self, images: torch.Tensor, stage: str) -> torch.Tensor:
        """Move a batch to the device and apply ``batch_transforms[stage]`` (augmentation on the GPU)."""
        images = images.to(self.device, non_blocking=True)
        transform = self.batch_transforms.get(stage)
        return transform(images) if transform is not None else images

    def channels_last(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` in channels_last memory order where the run uses it (CUDA and CPU), else unchanged."""
        return to_channels_last(images) if self.use_channels_last else images

    def _forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """The logits dict of a training batch."""
        with self.autocast():
            out = self.training.module(self.channels_last(images))
        return {"label": out} if isinstance(out, torch.Tensor) else out

    def _targets(self, labels: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {t: v.to(self.device, non_blocking=True) for t, v in labels.items()}

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self, *args)

    def _ensure_scheduler(self, steps_per_epoch: int) -> LambdaLR:
        if self.scheduler is None:
            self.scheduler = warmup_cosine(
                self.optimizer,
                self.config.epochs * steps_per_epoch,
                int(self.config.warmup_epochs * steps_per_epoch),
                self.config.min_lr_ratio,
            )
        return self.scheduler

    # -- training --------------------------------------------------------------
    def _loss(self, images: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor:
        if self.objective is not None:
            return self.objective.loss(self, images, labels)
        if self.mixer is None:
            return self.loss_fn(self._forward(images), self._targets(labels))[0]
        mixed = self.mixer(images)
        return mixed_loss(self.loss_fn, self._forward(mixed.images), self._targets(labels), mixed)[0]

    def _step(self, loss: torch.Tensor, scheduler: LambdaLR) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.config.grad_clip:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        scheduler.step()
        self._call("on_step_end", scheduler.last_epoch)
        if self.initial_loss is None:  # the untrained model's loss: the yardstick of divergence
            self.initial_loss = float(loss.detach())

    def train_epoch(self, loader: DataLoader) -> float:
        scheduler = self._ensure_scheduler(len(loader))
        self.training.module.train()
        self._call("on_epoch_start")  # after train(): callbacks may put layers back in eval mode
        self.training.refresh()  # callbacks may have frozen or unfrozen layers
        total, count = 0.0, 0
        # A fresh DataLoader iterator draws its workers' base seed from the global RNG, a persistent one (later
        # epochs) does not: undo that draw, so dropout and mixing draw the same numbers in a resumed run.
        rng_state = torch.get_rng_state()
        batches = iter(loader)
        torch.set_rng_state(rng_state)
        desc = f"epoch {self.epoch + 1}/{self.config.epochs}"
        bar = tqdm(batches, total=len(loader), desc=desc, leave=False, disable=not self.config.progress)
        for batch in bar:
            if batch is None:
                continue
            images, labels, _ = split_batch(batch)
            images = self._prepare(images, "train")
            loss = self._loss(images, labels)
            self._step(loss, scheduler)
            total += float(loss.detach()) * len(images)
            count += len(images)
            bar.set_postfix(loss=f"{total / max(count, 1):.4f}")
        if count == 0:
            raise RuntimeError("training loader yielded no usable batch")
        return ddp.mean_over_ranks(total / count, self.device)

    def fit(
        self,
        train_loader: DataLoader,
        val_loader: DataLoader | None = None,
        resume_from: str | Path | None = None,
        until_epoch: int | None = None,
    ) -> pd.DataFrame:
        """Train for ``config.epochs`` (or until early stopping); returns the history.

        ``resume_from`` continues from a ``last.pt``; ``until_epoch`` stops this call
        early (training in chunks), the schedule still spanning ``config.epochs``.
        """
        if self.distributed:
            train_loader = ddp.shard_loader(train_loader, self.config.seed)
        self._ensure_scheduler(len(train_loader))
        if resume_from is not None:
            self.resume(resume_from)
        try:
            with run_lock(self):
                self._fit_epochs(train_loader, val_loader, until_epoch)
        finally:
            self.training.release()
        if self.epoch >= self.config.epochs or self.stopper.should_stop:  # the run is over, not paused
            self._call("on_fit_end", val_loader)
        return self.history_frame()

    def _fit_epochs(self, train_loader: DataLoader, val_loader: DataLoader | None, until_epoch: int | None) -> None:
        stop_at = min(self.config.epochs, until_epoch or self.config.epochs)
        while self.epoch < stop_at:
            torch.manual_seed(self.config.seed + self.epoch)  # same shuffling/dropout/mixing on resume
            np.random.seed(self.config.seed + self.epoch)  # noqa: NPY002  (timm draws CutMix boxes from the global RNG)
            if hasattr(train_loader.sampler, "set_epoch"):
                train_loader.sampler.set_epoch(self.epoch)
            start = time.perf_counter()
            lr = self.optimizer.param_groups[0]["lr"]
            row = {"epoch": self.epoch + 1, "lr": lr, "train_loss": self.train_epoch(train_loader)}
            self._check_divergence(row, "train_loss")  # before any validation metric meets NaN outputs
            if self.objective is not None:
                row.update(self.objective.epoch_stats())
            if val_loader is not None:
                row.update(
                    self.objective.validate(self, val_loader) if self.objective else validation_row(self, val_loader)
                )
            self._check_divergence(row, "val_loss")
            row["seconds"] = time.perf_counter() - start
            self.epoch += 1
            self.history.append(row)
            is_best = self.stopper.step(monitored(row, self.config.monitor))
            save_epoch(self, is_best)
            self._call("on_epoch_end", row)
            log.info("epoch %d: %s", self.epoch, {k: round(v, 4) for k, v in row.items()})
            if self.stopper.should_stop:
                log.info(
                    "early stopping after epoch %d (best %s = %.4f)", self.epoch, self.config.monitor, self.stopper.best
                )
                break

    def _check_divergence(self, row: dict[str, float], key: str) -> None:
        start = self.initial_loss if self.initial_loss is not None else float(self.history[0]["train_loss"])
        what = divergence(row, key, start)
        if what is not None:
            self.diverged(what)

    def diverged(self, what: str, saved_epochs: int = 1) -> NoReturn:
        """Raise :class:`TrainingDivergedError` for the running epoch (``saved_epochs=0``: the epoch counter
        has already moved on); objectives call it when their validation outputs are not finite."""
        epoch = self.epoch + saved_epochs
        raise TrainingDivergedError(diverged_message(epoch, what, self.checkpoint_dir, self.config.lr))

    def history_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)

    # -- inference (artlib.evaluation.predict) ------------------------------------------------
    def predict(
        self, loader: DataLoader, embed: bool = False, flip_tta: bool = False, multi_view: bool | None = None
    ) -> Predictions:
        """Class probabilities (and with ``embed`` the features) of ``loader``, averaged with the mirror images
        (``flip_tta``) and over the views of ``(B, V, C, H, W)`` batches (``multi_view``; None: when the loader's
        transform is an :class:`artlib.data.tta.MultiView`)."""
        return predict_with_loss(self, loader, embed=embed, flip_tta=flip_tta, multi_view=multi_view)[0]

    def evaluate(self, loader: DataLoader, top_k: TopK = (3, 5), flip_tta: bool = False) -> pd.DataFrame:
        """Per-task metrics table on ``loader``."""
        return self.predict(loader, flip_tta=flip_tta).metrics(top_k)

    # -- checkpoints (artlib.train.run_state) ----------------------------------------------------
    def state_dict(self) -> dict:
        return run_state(self)

    def resume(self, path: str | Path) -> None:
        """Restore model, optimizer, schedule, scaler, epoch, early stopping and history."""
        resume_run(self, path)

    def load_best(self) -> nn.Module:
        """Load ``best.pt`` weights into the model and return it (:func:`~artlib.train.run_state.load_best_weights`)."""
        return load_best_weights(self)
