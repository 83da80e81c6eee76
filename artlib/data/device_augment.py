"""Augmentation on the training device: workers only decode, kornia augments whole batches.

With a fast GPU the CPU workers become the bottleneck. Here the loader returns fixed-size
uint8 images (:func:`decode_transform`: shorter side resized, centre square), and
:class:`DeviceAugment` applies the :func:`~artlib.data.transforms.train_transform` recipe
(random resized crop, flip, colour jitter, blur, each drawn per sample) and the
normalisation to the batch on the GPU. On CPU it runs too (tests, CI).

    loaders = make_loaders(tables, 224, device_augment=True)
    trainer = Trainer(model, config, batch_transforms=device_transforms(224, normalization=input_normalization(model)))
"""

from __future__ import annotations

from typing import Any

import albumentations as A
import torch
import torch.nn as nn
from albumentations.pytorch import ToTensorV2

from .transforms import EVAL_RESIZE_RATIO, IMAGENET, Normalization


def decode_size(size: int) -> int:
    """Side of the square uint8 image the loader returns for a model input of ``size``."""
    return int(round(size * EVAL_RESIZE_RATIO))  # as eval_transform, which then crops size


def decode_transform(size: int) -> A.Compose:
    """Loader side: shorter side to ``decode_size(size)``, centre square, uint8 CHW tensor (no normalisation)."""
    side = decode_size(size)
    return A.Compose([A.SmallestMaxSize(max_size=side), A.CenterCrop(height=side, width=side), ToTensorV2()])


def _kornia() -> Any:
    try:
        import kornia.augmentation as K
    except ImportError as exc:  # pragma: no cover - kornia is a core dependency
        raise ImportError("device augmentation needs `pip install kornia`") from exc
    return K


class DeviceAugment(nn.Module):
    """uint8 or [0, 1] float batch (B, 3, S, S) -> normalised float batch (B, 3, size, size).

    ``train=True``: per-sample random resized crop, horizontal flip, colour jitter and blur,
    scaled by ``strength`` as in ``train_transform``. ``train=False``: centre crop only, which
    together with :func:`decode_transform` equals ``eval_transform``.
    """

    def __init__(
        self,
        size: int = 224,
        strength: float = 1.0,
        scale_min: float = 0.35,
        normalization: Normalization = IMAGENET,
        train: bool = True,
    ) -> None:
        super().__init__()
        s = float(strength)
        if not 0.0 <= s <= 1.0:
            raise ValueError(f"strength must be in [0, 1], got {strength}")
        K = _kornia()
        self.size = size
        if train:
            steps = [K.RandomResizedCrop((size, size), scale=(1.0 - (1.0 - scale_min) * s, 1.0), ratio=(3 / 4, 4 / 3))]
            if s > 0:
                steps += [
                    K.RandomHorizontalFlip(p=0.5 * s),
                    K.ColorJitter(0.2 * s, 0.2 * s, 0.2 * s, 0.02 * s, p=0.8 * s),
                    K.RandomGaussianBlur((5, 5), (0.1, 2.0), p=0.1 * s),
                ]
        else:
            steps = [K.CenterCrop((size, size))]
        self.augment = nn.Sequential(*steps)
        self.register_buffer("mean", torch.tensor(normalization[0]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(normalization[1]).view(1, 3, 1, 1), persistent=False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"expected a (B, 3, H, W) batch, got shape {tuple(images.shape)}")
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        x = self.augment(x)
        mean, std = self.mean.to(x.device), self.std.to(x.device)
        return (x - mean) / std


def device_transforms(
    size: int = 224, strength: float = 1.0, normalization: Normalization = IMAGENET, scale_min: float = 0.35
) -> dict[str, DeviceAugment]:
    """``{"train": ..., "eval": ...}`` for ``Trainer(batch_transforms=...)``."""
    return {
        "train": DeviceAugment(size, strength, scale_min, normalization, train=True),
        "eval": DeviceAugment(size, normalization=normalization, train=False),
    }


def transforms_on(device: torch.device, batch_transforms: dict[str, Any] | None) -> dict[str, Any]:
    """``{"train": fn, "eval": fn}`` batch transforms checked (no other keys) and moved to ``device`` (modules)."""
    unknown = set(batch_transforms or {}) - {"train", "eval"}
    if unknown:
        raise ValueError(f"batch_transforms keys must be 'train' and/or 'eval', got {sorted(unknown)}")
    return {k: (t.to(device) if isinstance(t, nn.Module) else t) for k, t in (batch_transforms or {}).items()}
