"""One Trainer for single- and multitask classifiers."""

from __future__ import annotations

import logging
import math
import time
import uuid
import warnings
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..data.loaders import dataset_size
from ..evaluation.metrics import TopK, classification_metrics
from ..models.heads import embed_with
from ..utils.locks import exclusive_folder
from ..utils.runtime import resolve_device
from . import distributed as ddp
from .checkpoint import CheckpointError, check_resumable, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .early_stopping import EarlyStopping
from .losses import MaskedMultiTaskLoss
from .mixing import MixUpCutMix, mixed_loss
from .objectives import TrainingObjective
from .schedule import warmup_cosine

log = logging.getLogger(__name__)

#: A loss this many times the first epoch's (or above it when the first was < 1) means the run diverged.
DIVERGENCE_FACTOR = 1e4
#: Settings that a resumed run takes from the checkpoint (optimizer and schedule state), whatever the config says.
RESUME_FIXED = ("lr", "weight_decay", "optimizer", "momentum")


class TrainingDivergedError(RuntimeError):
    """The loss became NaN / infinite or grew by orders of magnitude: the weights are no longer usable."""


@dataclass
class Predictions:
    """Per-task class probabilities and labels (``-1`` = missing), rows in loader order."""

    probs: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    indices: np.ndarray | None = None
    embeddings: np.ndarray | None = None

    def metrics(self, top_k: TopK = (3, 5)) -> pd.DataFrame:
        from ..evaluation.metrics import metrics_table

        return metrics_table(self.labels, self.probs, top_k)


def _split_batch(batch: tuple | list) -> tuple[torch.Tensor, dict[str, torch.Tensor], Any]:
    images, labels = batch[0], batch[1]
    index = batch[2] if len(batch) > 2 else None
    return images, labels, index


def build_optimizer(params: Iterable[Any], config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True
        )
    raise ValueError(f"unknown optimizer {config.optimizer!r} (adamw|sgd)")


class Trainer:
    """Fit a model returning ``{task: logits}`` with masked multitask cross-entropy.

    Features: AdamW/SGD, warm-up + cosine schedule, MixUp/CutMix, weight EMA (timm), AMP (bf16, or fp16 with a
    scaler) and channels_last on CUDA, gradient clipping, early stopping on any
    history column, best/last checkpoints (atomic, state dicts only) and resume.
    ``history`` is a DataFrame, also written to ``<checkpoint_dir>/history.csv``.
    Under ``torchrun`` the same code trains with DistributedDataParallel (see
    :mod:`artlib.train.distributed`). ``callbacks`` are objects with optional ``on_epoch_start(trainer)`` and
    ``on_epoch_end(trainer, row)`` methods (progressive unfreezing, Optuna pruning).
    ``batch_transforms`` ``{"train": fn, "eval": fn}`` run on each batch once it is on the device
    (augmentation on the GPU, see :mod:`artlib.data.device_augment`).
    ``log_dir`` (e.g. ``outputs/runs/<name>``) writes TensorBoard scalars, hyper-parameters and validation
    confusion matrices (``class_names`` label them); callbacks may also define ``on_fit_end(trainer, val_loader)``.
    ``objective``: another loss and validation (:class:`~artlib.train.objectives.TrainingObjective`, e.g. the
    triplet loss of :func:`artlib.train.metric_learning.fit_metric`), trained with all of the above.
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
        unknown = set(batch_transforms or {}) - {"train", "eval"}
        if unknown:
            raise ValueError(f"batch_transforms keys must be 'train' and/or 'eval', got {sorted(unknown)}")
        self.batch_transforms = {
            k: (t.to(self.device) if isinstance(t, nn.Module) else t) for k, t in (batch_transforms or {}).items()
        }
        self.use_cuda = self.device.type == "cuda"
        if self.use_cuda and self.config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        # three views of one network: `model` the bare model (embed, head, state dicts), `_train_module` what a
        # training step calls (`model` or its DistributedDataParallel wrapper) and `eval_model` the weights
        # predictions use (the EMA when enabled)
        self._train_module: nn.Module = self.model
        self._wrapped_for: tuple[bool, ...] | None = None
        self._wrap_distributed()
        self.loss_fn = MaskedMultiTaskLoss(class_weights, label_smoothing=self.config.label_smoothing).to(self.device)
        # timm's EMA with its decay warm-up (power 3/4, for short runs): min(ema_decay, 1 - (1 + step) ** -0.75)
        from timm.utils import ModelEmaV3  # imported when needed: timm is slow to import

        self.ema = (
            ModelEmaV3(self.model, decay=self.config.ema_decay, use_warmup=True, warmup_power=0.75)
            if self.config.ema_decay
            else None
        )
        self.mixer = (
            MixUpCutMix(self.config.mixup_alpha, self.config.cutmix_alpha, self.config.mix_prob)
            if self.config.mixup_alpha or self.config.cutmix_alpha
            else None
        )  # < 0: its clear error
        # All parameters go to the optimizer: frozen ones (no grad) are skipped until unfrozen.
        params = param_groups if param_groups is not None else list(self.model.parameters())
        self.optimizer = build_optimizer(params, self.config)
        self.amp_dtype = None
        if self.use_cuda and self.config.amp:
            self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.stopper = EarlyStopping(self.config.patience, self.config.mode)
        self.scheduler: LambdaLR | None = None
        self.epoch = 0
        self.history: list[dict] = []
        self.run_id = uuid.uuid4().hex  # written into the checkpoints: load_best refuses another run's best.pt
        self.initial_loss: float | None = None  # the first training batch's loss (divergence is measured by it)
        self._saved = False

    # -- helpers -------------------------------------------------------------
    def autocast(self) -> torch.autocast:
        """The mixed-precision context of this run's forward passes (off on a CPU or with ``amp=False``)."""
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None)

    @property
    def eval_model(self) -> nn.Module:
        """The weights that are evaluated and saved as best: the EMA when ``ema_decay`` is set."""
        return self.ema.module if self.ema is not None else self.model

    def _forward(self, images: torch.Tensor, model: nn.Module | None = None) -> dict[str, torch.Tensor]:
        """The logits dict of ``images`` (by ``model``, else the model in training)."""
        return self._forward_features(images, False, model)[0]

    def _forward_features(
        self, images: torch.Tensor, embed: bool, model: nn.Module | None = None
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        """The logits dict and, with ``embed``, the features (computed in the same pass)."""
        images = images.to(self.device, non_blocking=True)
        if self.use_cuda and self.config.channels_last and images.dim() == 4:
            images = images.contiguous(memory_format=torch.channels_last)
        feats = None
        with self.autocast():
            bare = model or self.model  # embed/head live on the model, not on a DDP wrapper
            head = getattr(bare, "head", None)
            if embed and head is not None:
                feats = embed_with(bare, images)
                out = head(feats)
            else:
                out = (model or self._train_module)(images)
                feats = embed_with(bare, images) if embed else None
        if isinstance(out, torch.Tensor):
            out = {"label": out}
        return out, feats

    def _wrap_distributed(self) -> None:
        """(Re)build the DDP wrapper when the set of trainable parameters changed.

        DDP registers gradient hooks for the parameters that require grad when it is built,
        so after progressive unfreezing (or freezing) a stale wrapper would fail or skip
        the all-reduce of newly opened layers.
        """
        if not self.distributed:
            return
        trainable = tuple(p.requires_grad for p in self.model.parameters())
        if trainable == self._wrapped_for:
            return
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.use_cuda else None
        self._train_module = DistributedDataParallel(self.model, device_ids=device_ids)
        self._wrapped_for = trainable

    def _unwrap_distributed(self) -> None:
        """Drop the DDP wrapper when a ``fit`` call ends (the next one builds a new one).

        The wrapper holds the process group and gradient buckets; kept alive until
        interpreter exit, it is torn down after the group, in no set order.
        """
        self._train_module = self.model
        self._wrapped_for = None

    def _prepare(self, images: torch.Tensor, stage: str) -> torch.Tensor:
        """Move a batch to the device and apply the ``batch_transforms[stage]`` (augmentation on the GPU)."""
        images = images.to(self.device, non_blocking=True)
        transform = self.batch_transforms.get(stage)
        return transform(images) if transform is not None else images

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
    def train_epoch(self, loader: DataLoader) -> float:
        scheduler = self._ensure_scheduler(len(loader))
        self._train_module.train()
        self._call("on_epoch_start")  # after train(): callbacks may put layers back in eval mode
        self._wrap_distributed()  # callbacks may have frozen or unfrozen layers
        total, count = 0.0, 0
        # A fresh DataLoader iterator draws its workers' base seed from the global RNG, a persistent one (later
        # epochs) does not: undo that draw, so dropout and mixing draw the same numbers in a resumed run.
        rng_state = torch.get_rng_state()
        batches = iter(loader)
        torch.set_rng_state(rng_state)
        bar = tqdm(
            batches,
            total=len(loader),
            desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
            leave=False,
            disable=not self.config.progress,
        )
        for batch in bar:
            if batch is None:
                continue
            images, labels, _ = _split_batch(batch)
            images = self._prepare(images, "train")
            if self.objective is not None:
                loss = self.objective.loss(self, images, labels)
            elif self.mixer is None:
                loss, _ = self.loss_fn(self._forward(images), self._targets(labels))
            else:
                mixed = self.mixer(images)
                loss, _ = mixed_loss(self.loss_fn, self._forward(mixed.images), self._targets(labels), mixed)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if self.config.grad_clip:
                self.scaler.unscale_(self.optimizer)
                nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            scheduler.step()
            if self.ema is not None:  # the schedule counts the optimizer steps (and is resumed with them)
                self.ema.update(self.model, step=scheduler.last_epoch)
            if self.initial_loss is None:  # the untrained model's loss: the yardstick of divergence
                self.initial_loss = float(loss.detach())
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
        lock = (
            exclusive_folder(self.checkpoint_dir, "a training run")
            if self.checkpoint_dir is not None and ddp.is_main()
            else nullcontext()
        )
        try:
            with lock:
                self._fit_epochs(train_loader, val_loader, until_epoch)
        finally:
            self._unwrap_distributed()
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
                row.update(self.objective.validate(self, val_loader) if self.objective else self._val_row(val_loader))
            self._check_divergence(row, "val_loss")
            row["seconds"] = time.perf_counter() - start
            self.epoch += 1
            self.history.append(row)
            if self.config.monitor not in row:
                raise ValueError(
                    f"monitor {self.config.monitor!r} is not in the history columns {list(row)}; "
                    "pass a val_loader or set monitor='train_loss'"
                )
            is_best = self.stopper.step(float(row[self.config.monitor]))
            self._save(is_best)
            self._call("on_epoch_end", row)
            log.info("epoch %d: %s", self.epoch, {k: round(v, 4) for k, v in row.items()})
            if self.stopper.should_stop:
                log.info(
                    "early stopping after epoch %d (best %s = %.4f)", self.epoch, self.config.monitor, self.stopper.best
                )
                break

    def _check_divergence(self, row: dict[str, float], key: str) -> None:
        """Stop with :class:`TrainingDivergedError` when ``row[key]`` is NaN / infinite or exploded: more than
        :data:`DIVERGENCE_FACTOR` times the untrained model's loss (its first batch's), so a loss that explodes
        within the first epoch counts too."""
        if key not in row:
            return
        start = self.initial_loss if self.initial_loss is not None else float(self.history[0]["train_loss"])
        value = float(row[key])
        if not math.isfinite(value) or (math.isfinite(start) and value > DIVERGENCE_FACTOR * max(start, 1.0)):
            self.diverged(f"{key} = {value:.4g} (the untrained model's loss: {start:.4g})")

    def diverged(self, what: str, saved_epochs: int = 1) -> NoReturn:
        """Raise :class:`TrainingDivergedError` for the running epoch (``saved_epochs=0``: the epoch counter
        has already moved on); objectives call it when their validation outputs are not finite."""
        where = f" in {self.checkpoint_dir}" if self.checkpoint_dir else ""
        raise TrainingDivergedError(
            f"training diverged at epoch {self.epoch + saved_epochs}: {what}. The weights are no longer usable "
            f"and were not saved; the last good checkpoints{where} are kept. Lower the learning rate "
            f"(lr = {self.config.lr:g}), set grad_clip, or turn off AMP."
        )

    def _val_row(self, loader: DataLoader) -> dict[str, float]:
        preds, loss = self._predict(loader, with_loss=True)
        if not preds.probs or not len(next(iter(preds.probs.values()))):
            raise ValueError(
                f"the validation loader yielded no images ({dataset_size(loader)} rows): an empty "
                "validation split or only unreadable images; its loss and 'best' epoch would be "
                "meaningless. Give a larger dataset, other split fractions, or no val_loader "
                "(monitor='train_loss')"
            )
        if not math.isfinite(loss) or not all(np.isfinite(np.asarray(p)).all() for p in preds.probs.values()):
            self.diverged(f"val_loss = {loss:.4g}, and the validation outputs are not all finite")
        row = {"val_loss": loss}
        f1s = []
        for task in preds.probs:
            m = classification_metrics(preds.labels[task], preds.probs[task], top_k=())
            if m.get("n", 0):
                row[f"val_{task}_accuracy"] = m["accuracy"]
                row[f"val_{task}_macro_f1"] = m["macro_f1"]
                f1s.append(m["macro_f1"])
        row["val_macro_f1"] = float(np.mean(f1s)) if f1s else math.nan
        return row

    def history_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)

    # -- inference -------------------------------------------------------------
    @torch.no_grad()
    def _predict(
        self,
        loader: DataLoader,
        with_loss: bool = False,
        embed: bool = False,
        flip_tta: bool = False,
        multi_view: bool | None = None,
    ) -> tuple[Predictions, float]:
        """Predictions and the mean loss (NaN unless ``with_loss``); every rank evaluates the whole loader
        (no collective calls, identical results).

        ``flip_tta`` averages the probabilities of each image and its mirror image. A loader that
        yields several views per image (``(B, V, C, H, W)``, e.g. :class:`artlib.data.tta.MultiView`)
        gets the probabilities (and embeddings) averaged over the views: ``multi_view=None`` decides
        by the loader's transform (a ``MultiView``); other 5-D batches (Siamese pairs) pass unchanged.
        """
        if multi_view is None:
            from ..data.tta import MultiView

            multi_view = isinstance(getattr(loader.dataset, "transform", None), MultiView)
        model = self.eval_model
        model.eval()
        probs: dict[str, list] = {}
        labels: dict[str, list] = {}
        indices, embeddings = [], []
        total, count = 0.0, 0
        for batch in loader:
            if batch is None:
                continue
            images, target, index = _split_batch(batch)
            if multi_view and images.ndim != 5:
                raise ValueError(f"multi_view needs (B, V, C, H, W) batches, got {tuple(images.shape)}")
            size, views = len(images), (images.shape[1] if multi_view else 0)
            images = self._prepare(images.flatten(0, 1) if views else images, "eval")
            out, feats = self._forward_features(images, embed, model)
            batch_probs = {task: torch.softmax(logits.float(), 1) for task, logits in out.items()}
            if flip_tta:
                mirrored = self._forward(torch.flip(images, dims=[-1]), model)
                batch_probs = {
                    task: (p + torch.softmax(mirrored[task].float(), 1)) / 2 for task, p in batch_probs.items()
                }
            if views:  # one row per image: the mean over its views
                batch_probs = {task: p.view(size, views, -1).mean(1) for task, p in batch_probs.items()}
                out = {task: p.clamp_min(1e-12).log() for task, p in batch_probs.items()}
                feats = feats.float().view(size, views, -1).mean(1) if feats is not None else None
            if with_loss:
                loss, _ = self.loss_fn(out, self._targets(target))
                total += float(loss) * size
                count += size
            for task, p in batch_probs.items():
                probs.setdefault(task, []).append(p.cpu().numpy())
                labels.setdefault(task, []).append(target[task].cpu().numpy())
            if index is not None:
                indices.append(np.asarray(index))
            if feats is not None:
                embeddings.append(feats.float().cpu().numpy())
        preds = Predictions(
            {t: np.concatenate(v) for t, v in probs.items()},
            {t: np.concatenate(v) for t, v in labels.items()},
            np.concatenate(indices) if indices else None,
            np.concatenate(embeddings) if embeddings else None,
        )
        return preds, (total / max(count, 1) if with_loss else math.nan)

    def predict(
        self, loader: DataLoader, embed: bool = False, flip_tta: bool = False, multi_view: bool | None = None
    ) -> Predictions:
        """Class probabilities (and optionally ``model.embed`` features) for ``loader``.

        ``flip_tta``: average with the horizontally mirrored image (test-time augmentation).
        ``multi_view``: average over the views of ``(B, V, C, H, W)`` batches; ``None``: when the
        loader's transform is an :class:`artlib.data.tta.MultiView`.
        """
        return self._predict(loader, embed=embed, flip_tta=flip_tta, multi_view=multi_view)[0]

    def evaluate(self, loader: DataLoader, top_k: TopK = (3, 5), flip_tta: bool = False) -> pd.DataFrame:
        """Per-task metrics table on ``loader``."""
        return self.predict(loader, flip_tta=flip_tta).metrics(top_k)

    # -- checkpoints -------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler else {},
            "scaler": self.scaler.state_dict(),
            **({"ema": self.ema.module.state_dict()} if self.ema is not None else {}),
            "epoch": self.epoch,
            "early_stopping": self.stopper.state_dict(),
            "history": self.history,
            "config": asdict(self.config),
            "run_id": self.run_id,
            "initial_loss": self.initial_loss,
        }

    def _save(self, is_best: bool) -> None:
        if self.checkpoint_dir is None or not ddp.is_main():
            return
        if not all(torch.isfinite(t).all() for t in self.eval_model.state_dict().values() if t.is_floating_point()):
            # never saved, least of all as best
            self.diverged("the weights hold NaN or infinite values", saved_epochs=0)
        save_checkpoint(self.state_dict(), self.checkpoint_dir / "last.pt")
        if is_best:
            save_checkpoint(
                {
                    "model": self.eval_model.state_dict(),
                    "epoch": self.epoch,
                    "run_id": self.run_id,
                    "monitor": self.config.monitor,
                    "value": self.stopper.best,
                },
                self.checkpoint_dir / "best.pt",
            )
        self._saved = True
        self.history_frame().to_csv(self.checkpoint_dir / "history.csv", index=False)

    def resume(self, path: str | Path) -> None:
        """Restore model, optimizer, schedule, scaler, epoch, early stopping and history."""
        state = load_checkpoint(path, map_location=self.device)
        check_resumable(state, path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"]:
            self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None:
            if "ema" not in state:
                raise ValueError(f"{path} holds no EMA weights: resume it with ema_decay=None")
            self.ema.module.load_state_dict(state["ema"])
        self.epoch = int(state["epoch"])
        self.stopper.load_state_dict(state["early_stopping"])
        self.history = list(state["history"])
        self.initial_loss = state.get("initial_loss")  # (older checkpoints: epoch 1's train_loss stands in)
        self.run_id = str(state.get("run_id", self.run_id))  # the same run, continued
        self._warn_changed_settings(state.get("config", {}), path)
        log.info("resumed from %s at epoch %d", path, self.epoch)

    def _warn_changed_settings(self, saved: dict, path: str | Path) -> None:
        """Warn for each setting that differs from the checkpoint's; say which ones the resume ignores."""
        now = asdict(self.config)
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
        warnings.warn(message, stacklevel=3)
        self.config = replace(self.config, **{k: saved[k] for k in fixed})  # the config says what is used

    def load_best(self) -> nn.Module:
        """Load ``best.pt`` weights into the model and return it.

        When the monitored value was NaN in every epoch (e.g. MAP@R on a validation split where no class holds
        two images) no epoch was best: the model keeps its last epoch's weights, with a warning.
        """
        if self.checkpoint_dir is None:
            raise RuntimeError("no checkpoint_dir was given")
        if self.distributed:
            torch.distributed.barrier()  # rank 0 has finished writing
        if self.history and math.isnan(self.stopper.best) and not (self.checkpoint_dir / "best.pt").exists():
            log.warning(
                "%s was NaN in all %d epochs, so no epoch was best and no best.pt was written: the model keeps "
                "its last epoch's weights. Check that the validation split can measure it.",
                self.config.monitor,
                len(self.history),
            )
            return self.model
        state = load_checkpoint(self.checkpoint_dir / "best.pt", map_location=self.device)
        if self._saved and state.get("run_id", self.run_id) != self.run_id:
            raise CheckpointError(
                f"{self.checkpoint_dir / 'best.pt'} was written by another training run after this one saved "
                "there: loading it would evaluate the other run's weights. Give each run its own checkpoint_dir."
            )
        self.model.load_state_dict(state["model"])
        if self.ema is not None:  # best.pt holds the evaluated (EMA) weights: evaluate those
            self.ema.module.load_state_dict(state["model"])
        return self.model
