"""Progressive unfreezing: train the heads first, then open the backbone from the top down."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch.nn as nn

if TYPE_CHECKING:
    from .trainer import Trainer

log = logging.getLogger(__name__)


def unfreeze_schedule(num_groups: int, epochs: int) -> list[int]:
    """The epoch at which each group opens, so that a run of ``epochs`` epochs trains the whole backbone.

    Epoch 0 trains the heads; the groups then open evenly, top first, over the first half of the run, so the
    second half fine-tunes everything: 3 epochs -> every group at epoch 1; 6 epochs and 9 groups ->
    ``[1, 1, 1, 2, 2, 2, 3, 3, 3]``; 30 epochs -> one group every one or two epochs up to epoch 14. (One
    group per epoch, ``1, 2, ..., num_groups``, leaves most of the network frozen in a short run.)
    """
    if num_groups < 1 or epochs < 1:
        raise ValueError(f"need at least one group and one epoch, got {num_groups} groups, {epochs} epochs")
    if epochs == 1:
        return [0] * num_groups  # no epoch to spare for the heads alone
    last = max(1, epochs // 2)
    return [1 + (i * last) // num_groups for i in range(num_groups)]


class ProgressiveUnfreezing:
    """Trainer callback. ``groups`` are backbone parameter lists ordered top (near the head) first.

    Before epoch ``e`` (0-based) the heads and the first ``k`` groups are trainable,
    ``k`` being the number of entries of ``unfreeze_at`` that are ``<= e``. With the
    default ``unfreeze_at=(1, 2, 3, ...)`` epoch 0 trains only the heads, epoch 1 adds
    the top group, and so on. Frozen BatchNorm layers stay in eval mode.
    """

    def __init__(
        self, backbone: nn.Module, groups: Sequence[Sequence[nn.Parameter]], unfreeze_at: Sequence[int] | None = None
    ) -> None:
        self.backbone = backbone
        self.groups = [list(g) for g in groups]
        self.unfreeze_at = list(unfreeze_at) if unfreeze_at is not None else list(range(1, len(self.groups) + 1))
        if len(self.unfreeze_at) != len(self.groups):
            raise ValueError("unfreeze_at needs one epoch per group")

    def open_groups(self, epoch: int) -> int:
        return sum(1 for e in self.unfreeze_at if e <= epoch)

    def apply(self, epoch: int) -> int:
        """Set ``requires_grad`` for ``epoch``; return the number of open groups."""
        k = self.open_groups(epoch)
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        for group in self.groups[:k]:
            for p in group:
                p.requires_grad_(True)
        return k

    def on_epoch_start(self, trainer: Trainer) -> None:
        k = self.apply(trainer.epoch)
        trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
        log.info(
            "epoch %d: %d/%d backbone groups open, %d trainable parameters",
            trainer.epoch + 1,
            k,
            len(self.groups),
            trainable,
        )
        for m in self.backbone.modules():  # keep frozen BN statistics fixed
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and not any(p.requires_grad for p in m.parameters()):
                m.eval()
