"""Masked multitask cross-entropy and class weights."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data.table import MISSING, ArtTable


def inverse_frequency_weights(
    table: ArtTable, tasks: list[str] | None = None, power: float = 1.0
) -> dict[str, torch.Tensor]:
    """Per-class weights ``(N / (K * n_c)) ** power`` from the labelled rows of ``table``.

    Classes absent from the table get weight 1 (they never occur as targets).
    """
    out = {}
    for task in tasks or table.tasks:
        counts = table.counts(task).to_numpy().astype(np.float64)
        total, k = counts.sum(), max(int((counts > 0).sum()), 1)
        w = np.ones_like(counts)
        present = counts > 0
        w[present] = (total / (k * counts[present])) ** power
        out[task] = torch.tensor(w, dtype=torch.float32)
    return out


class MaskedMultiTaskLoss(nn.Module):
    """Sum over tasks of cross-entropy on the samples that have a label (``!= -1``).

    A task with no labelled sample in the batch contributes nothing. ``forward``
    returns the total and a dict of per-task losses (detached floats).
    """

    def __init__(
        self,
        class_weights: dict[str, torch.Tensor] | None = None,
        task_weights: dict[str, float] | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.task_weights = dict(task_weights or {})
        self.label_smoothing = label_smoothing
        # a plain dict: task names such as "type" clash with nn.Module attributes
        self.class_weights = {t: torch.as_tensor(w, dtype=torch.float32) for t, w in (class_weights or {}).items()}

    def forward(
        self, logits: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        total = None
        parts: dict[str, float] = {}
        for task, out in logits.items():
            target = targets[task]
            mask = target != MISSING
            if not bool(mask.any()):
                continue
            weight = self.class_weights.get(task)
            if weight is not None and weight.device != out.device:
                weight = self.class_weights[task] = weight.to(out.device)
            loss = F.cross_entropy(out[mask].float(), target[mask], weight=weight, label_smoothing=self.label_smoothing)
            parts[task] = float(loss.detach())
            loss = self.task_weights.get(task, 1.0) * loss
            total = loss if total is None else total + loss
        if total is None:  # no labels at all: zero loss that still backpropagates
            total = torch.stack([o.sum() for o in logits.values()]).sum() * 0.0
        return total, parts
