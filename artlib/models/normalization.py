"""Which (mean, std) a model's weights expect: ``input_normalization(model)``.

Backbones declare it with an ``input_normalization`` attribute (like timm's ``pretrained_cfg``);
anything that does not is assumed to use torchvision's ImageNet statistics.
"""

from __future__ import annotations

import torch.nn as nn

from ..data.transforms import IMAGENET, Normalization


def input_normalization(model: nn.Module) -> Normalization:
    """The normalization declared by ``model`` or its ``backbone``; ImageNet by default."""
    for module in (model, getattr(model, "backbone", None)):
        declared = getattr(module, "input_normalization", None)
        if declared is not None:
            return declared
    inner = getattr(model, "module", None)  # DistributedDataParallel / DataParallel wrapper
    return input_normalization(inner) if isinstance(inner, nn.Module) else IMAGENET
