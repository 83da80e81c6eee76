"""Discriminative learning rates: lower rates for backbone layers further from the head."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn as nn


def layerwise_lr_groups(
    model: nn.Module, backbone_groups: Sequence[Sequence[nn.Parameter]], lr: float, decay: float
) -> list[dict]:
    """Optimizer parameter groups for ``Trainer(param_groups=...)``.

    ``backbone_groups`` are ordered top (near the head) first, as ``backbone.unfreeze_groups()`` gives them;
    group ``i`` trains at ``lr * decay ** (i + 1)``, the heads and every parameter outside the groups at
    ``lr``. With ``decay=1`` this is plain fine-tuning. Each group's ``"lr"`` is its peak rate; the
    Trainer's schedule scales all of them alike.
    """
    if not 0.0 < decay <= 1.0:
        raise ValueError(f"decay must be in (0, 1], got {decay}")
    owner: dict[int, int] = {}
    for i, group in enumerate(backbone_groups):
        for p in group:
            if id(p) in owner:
                raise ValueError(f"a parameter is in backbone groups {owner[id(p)]} and {i}")
            owner[id(p)] = i
    model_params = {id(p) for p in model.parameters()}
    if not owner.keys() <= model_params:
        raise ValueError("backbone_groups hold parameters that are not the model's")
    head = [p for p in model.parameters() if id(p) not in owner]
    groups = [{"params": head, "lr": lr, "name": "head"}] if head else []
    groups += [
        {"params": list(g), "lr": lr * decay ** (i + 1), "name": f"backbone_{i}"}
        for i, g in enumerate(backbone_groups)
        if len(g)
    ]
    return groups
