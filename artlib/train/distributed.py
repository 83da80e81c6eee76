"""Multi-process training with torchrun: one code path, a single process when not launched by it.

    torchrun --nproc_per_node=4 my_training_script.py   # any script using Trainer

``Trainer`` calls :func:`init_distributed` itself: under torchrun (``WORLD_SIZE`` > 1)
it joins the process group (NCCL on GPUs, gloo on CPU), wraps the model in
DistributedDataParallel, shards the training loader with a DistributedSampler,
validates and writes checkpoints on rank 0 only. End the script with
:func:`shutdown_distributed` (every rank waits for the others, then leaves the group);
a script that does not is still torn down at exit, without the wait.
"""

from __future__ import annotations

import atexit
import gc
import os

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler


def _joined() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    return dist.get_world_size() if _joined() else 1


def rank() -> int:
    return dist.get_rank() if _joined() else 0


def is_main() -> bool:
    return rank() == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(backend: str | None = None) -> bool:
    """Join the torchrun process group once; returns whether training is distributed."""
    if not launched_by_torchrun():
        return False
    if not dist.is_initialized():
        cuda = torch.cuda.is_available()
        dist.init_process_group(backend or ("nccl" if cuda else "gloo"))
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        atexit.register(_leave_group)
    return True


def shutdown_distributed() -> None:
    """Wait for every rank, then leave the process group (the last call of a torchrun script)."""
    if _joined():
        gc.collect()  # wrappers that still hold the group go first, while it is alive
        dist.barrier()
        dist.destroy_process_group()


def _leave_group() -> None:
    # At interpreter exit the group must be destroyed before its C++ threads are torn down
    # in arbitrary order (gloo can abort with "terminate called"); no barrier, so a rank
    # leaving on an exception does not hang the others' exit.
    if _joined():
        dist.destroy_process_group()


def local_device() -> torch.device:
    """This process's GPU under torchrun (``LOCAL_RANK``), else CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def shard_loader(loader: DataLoader, seed: int = 0) -> DataLoader:
    """The same loader reading only this rank's share (shuffled if the original was)."""
    if isinstance(loader.sampler, DistributedSampler):
        return loader
    shuffled = isinstance(loader.sampler, RandomSampler) or getattr(loader.sampler, "shuffle", False)
    sampler: DistributedSampler = DistributedSampler(
        loader.dataset, shuffle=shuffled, seed=seed, drop_last=loader.drop_last
    )
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        sampler=sampler,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        drop_last=loader.drop_last,
        persistent_workers=loader.num_workers > 0,
    )


def mean_over_ranks(value: float, device: torch.device) -> float:
    if world_size() == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t) / world_size()


class TrainingModule:
    """What a training step calls: the bare model, or its DistributedDataParallel wrapper under ``torchrun``.

    DDP registers gradient hooks for the parameters that require grad when it is built, so :meth:`refresh` rebuilds
    the wrapper after progressive unfreezing (or freezing) changed them; :meth:`release` drops it when a ``fit``
    call ends (kept alive until interpreter exit, it would be torn down after the process group, in no set order).
    """

    def __init__(self, model: torch.nn.Module, device: torch.device, distributed: bool) -> None:
        self.model, self.device, self.distributed = model, device, distributed
        self.module: torch.nn.Module = model
        self._wrapped_for: tuple[bool, ...] | None = None
        self.refresh()

    def refresh(self) -> None:
        """(Re)build the wrapper when the set of trainable parameters changed."""
        if not self.distributed:
            return
        trainable = tuple(p.requires_grad for p in self.model.parameters())
        if trainable == self._wrapped_for:
            return
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        self.module = DistributedDataParallel(self.model, device_ids=device_ids)
        self._wrapped_for = trainable

    def release(self) -> None:
        self.module = self.model
        self._wrapped_for = None


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed precision's type on ``device``: bf16 where the GPU has it, else fp16 (with a gradient scaler); None on
    a CPU (no autocast)."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
