"""MixUp and CutMix for (multitask) batches: images are mixed here, labels in the loss.

Mixing the loss instead of one-hot targets (``lam * L(y) + (1 - lam) * L(y[perm])``) keeps
missing labels (``-1``) masked per term, so it works for every task of a multitask table.
The CutMix box comes from timm (``cutmix_bbox_and_lam``, which corrects ``lam`` to the
box actually pasted); batches are mixed as a whole, as timm's ``Mixup(mode="batch")`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .config import TrainConfig


@dataclass
class MixedBatch:
    """Mixed images, the partner of each row (``images[i]`` mixed with ``images[permutation[i]]``)
    and the weight ``lam`` of the row's own label (1.0: not mixed)."""

    images: torch.Tensor
    permutation: torch.Tensor
    lam: float
    mode: str  # "mixup", "cutmix" or "none"


class MixUpCutMix:
    """Mix a batch with a shuffled copy of itself: MixUp (``mixup_alpha`` > 0), CutMix
    (``cutmix_alpha`` > 0) or either (both > 0: CutMix with probability ``switch_prob``).

    ``prob``: the chance that a batch is mixed at all. ``lam ~ Beta(alpha, alpha)`` and the
    partners come from torch's global RNG, the CutMix box from NumPy's (the Trainer reseeds both
    every epoch, so a resumed run mixes as an uninterrupted one).
    """

    def __init__(
        self, mixup_alpha: float = 0.0, cutmix_alpha: float = 0.0, prob: float = 1.0, switch_prob: float = 0.5
    ) -> None:
        if mixup_alpha < 0 or cutmix_alpha < 0:
            raise ValueError(f"alphas must be >= 0, got mixup_alpha={mixup_alpha}, cutmix_alpha={cutmix_alpha}")
        if mixup_alpha == 0 and cutmix_alpha == 0:
            raise ValueError("MixUpCutMix needs mixup_alpha > 0 or cutmix_alpha > 0")
        for name, p in (("prob", prob), ("switch_prob", switch_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {p}")
        self.mixup_alpha, self.cutmix_alpha = mixup_alpha, cutmix_alpha
        self.prob, self.switch_prob = prob, switch_prob

    @classmethod
    def of(cls, config: TrainConfig) -> MixUpCutMix | None:
        """The mixer a :class:`~artlib.train.TrainConfig` asks for (``mixup_alpha``, ``cutmix_alpha``,
        ``mix_prob``), None when it mixes nothing."""
        if not (config.mixup_alpha or config.cutmix_alpha):
            return None
        return cls(config.mixup_alpha, config.cutmix_alpha, config.mix_prob)

    def _choose(self) -> str:
        if float(torch.rand(())) >= self.prob:
            return "none"
        if self.mixup_alpha > 0 and self.cutmix_alpha > 0:
            return "cutmix" if float(torch.rand(())) < self.switch_prob else "mixup"
        return "cutmix" if self.cutmix_alpha > 0 else "mixup"

    def __call__(self, images: torch.Tensor) -> MixedBatch:
        if images.ndim != 4:
            raise ValueError(f"MixUpCutMix needs (B, C, H, W) batches, got {tuple(images.shape)}")
        permutation = torch.randperm(len(images), device=images.device)
        mode = self._choose()
        if mode == "none" or len(images) < 2:
            return MixedBatch(images, permutation, 1.0, "none")
        alpha = self.cutmix_alpha if mode == "cutmix" else self.mixup_alpha
        lam = float(torch.distributions.Beta(alpha, alpha).sample())
        if mode == "mixup":
            return MixedBatch(lam * images + (1.0 - lam) * images[permutation], permutation, lam, mode)
        from timm.data.mixup import cutmix_bbox_and_lam  # imported when needed: timm is slow to import

        (top, bottom, left, right), lam = cutmix_bbox_and_lam(images.shape, lam)
        mixed = images.clone()
        mixed[..., top:bottom, left:right] = images[permutation][..., top:bottom, left:right]
        return MixedBatch(mixed, permutation, float(lam), mode)


def mixed_loss(
    loss_fn: Callable, logits: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], batch: MixedBatch
) -> tuple[torch.Tensor, dict[str, float]]:
    """``lam * loss(targets) + (1 - lam) * loss(targets[permutation])``; returns (total, per-task parts)."""
    own, own_parts = loss_fn(logits, targets)
    if batch.lam >= 1.0:
        return own, own_parts
    partner_targets = {task: t[batch.permutation] for task, t in targets.items()}
    other, other_parts = loss_fn(logits, partner_targets)
    parts = {
        task: batch.lam * own_parts.get(task, 0.0) + (1 - batch.lam) * other_parts.get(task, 0.0)
        for task in set(own_parts) | set(other_parts)
    }
    return batch.lam * own + (1.0 - batch.lam) * other, parts
