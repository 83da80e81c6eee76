"""Device choice, memory layout, inference in parts on a CPU, and seeding."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch

Out = TypeVar("Out")

#: On a CPU, an inference pass over a batch of more pixels than this runs in parts of at most this many: the
#: activations of a large batch outgrow the processor's caches. Frozen Lite0 on 2 cores (2026-12-07), milliseconds
#: per image: 25 in batches of 64 at 224 px against 13-14 in batches of 4-16; 5.4 against 4.0 at 128 px (64 / 16).
CPU_FORWARD_PIXELS = 16 * 128 * 128


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``'auto'`` -> CUDA if available, else Apple MPS, else CPU (``ARTLIB_DEVICE`` overrides). A device this machine
    lacks (``cuda`` without a GPU, ``cuda:3`` on one GPU, ``mps`` off a Mac) or a name torch does not know raises
    ``ValueError`` naming it and where it came from, before a model is moved there."""
    source = "device"
    if str(device) == "auto" and os.environ.get("ARTLIB_DEVICE", "").strip():
        device, source = os.environ["ARTLIB_DEVICE"].strip(), "ARTLIB_DEVICE"
    if str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"{source}={str(device)!r} is no device: use auto, cpu, cuda, cuda:N or mps") from None
    if chosen.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (chosen.index or 0) >= count:
            raise ValueError(f"{source}={str(device)!r}: this machine has {count} CUDA device(s); use auto or cpu")
    if chosen.type == "mps" and not _mps_available():
        raise ValueError(f"{source}={str(device)!r}: this machine has no Apple MPS device; use auto or cpu")
    return chosen


def _mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def prefers_channels_last(device: torch.device) -> bool:
    """Whether convolutions run faster with images and weights in channels_last order on ``device``: CUDA (tensor
    cores) and CPU (oneDNN; on 2 cores, 2026-12-06: 1.6x frozen Lite0 features at 224 px, 1.3x a Lite0 training step
    at 128 px); not MPS. The layout changes no value beyond float rounding (7e-6 on Lite0's features)."""
    return device.type in ("cuda", "cpu")


def to_channels_last(images: torch.Tensor) -> torch.Tensor:
    """A batch of images ``(B, C, H, W)`` in channels_last order; any other tensor unchanged."""
    return images.contiguous(memory_format=torch.channels_last) if images.dim() == 4 else images


def place_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``model`` on ``device``, its convolution weights in channels_last order where that is faster (in place)."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if prefers_channels_last(device) else model


def place_images(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A batch on ``device``, in the memory order :func:`place_model` gives the weights there."""
    images = images.to(device)
    return to_channels_last(images) if prefers_channels_last(device) else images


def forward_in_parts(forward: Callable[[torch.Tensor], Out], model: torch.nn.Module, images: torch.Tensor) -> Out:
    """``forward(images)`` (a tensor, a dict or a tuple of tensors per image). On a CPU, in inference (no gradient,
    ``model`` in eval mode), it runs on parts of the batch of at most :data:`CPU_FORWARD_PIXELS` pixels, joined in
    order: in eval mode each image's output does not depend on the others, so only the time changes."""
    if images.device.type != "cpu" or images.dim() != 4 or torch.is_grad_enabled() or model.training:
        return forward(images)
    step = max(1, CPU_FORWARD_PIXELS // (images.shape[-2] * images.shape[-1]))
    if len(images) <= step:
        return forward(images)
    return _join([forward(images[start : start + step]) for start in range(0, len(images), step)])


def _join(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts)
    if isinstance(first, dict):
        return {key: _join([part[key] for part in parts]) for key in first}
    if isinstance(first, tuple | list):
        return type(first)(_join(list(items)) for items in zip(*parts, strict=True))
    raise TypeError(f"cannot join outputs of type {type(first).__name__} computed in parts")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))  # noqa: NPY002  (libraries that draw from the global RNG)
    torch.manual_seed(seed)
