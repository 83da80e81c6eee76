"""What every artlib network promises, as typed protocols instead of ``getattr`` guesses (timm's model contract).

- a :class:`Backbone` maps images ``(B, 3, H, W)`` to pooled features ``(B, out_features)``;
- a :class:`StagedBackbone` also lists parameter groups from the top down (``unfreeze_groups``), which
  fine-tuning opens one by one (:func:`artlib.train.recipes.fine_tuning_trainer`);
- a :class:`FeatureNet` (every classifier of :func:`~artlib.models.create_model`) has ``forward_features`` /
  ``forward_head`` and its ``backbone`` and ``feature_dim``; built with ``num_classes=None`` its head is the
  identity and ``forward`` returns the features.

A backbone may mark the feature map its features are pooled from as ``feature_map`` (an ``nn.Module``), which
Grad-CAM explains (:func:`artlib.trust.cam.cam_layer`), and declare ``input_normalization``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
import torch.nn as nn


@runtime_checkable
class Backbone(Protocol):
    """Images to pooled features of width ``out_features``."""

    out_features: int

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class StagedBackbone(Backbone, Protocol):
    """A :class:`Backbone` whose parameters come in groups from the top (next to the head) down to the stem."""

    def unfreeze_groups(self) -> list[list[nn.Parameter]]: ...


@runtime_checkable
class FeatureNet(Protocol):
    """A network with a backbone and a head: ``forward = forward_head(forward_features(x))``."""

    backbone: nn.Module
    feature_dim: int

    def forward_features(self, x: torch.Tensor) -> torch.Tensor: ...

    def forward_head(self, features: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]: ...


def staged_backbone(model: nn.Module) -> tuple[nn.Module, list[list[nn.Parameter]]]:
    """``model``'s backbone and its parameter groups from the top down, when it can be fine-tuned in stages; else
    ``TypeError`` saying what is missing."""
    backbone = model.backbone if isinstance(model, FeatureNet) else None
    if not isinstance(backbone, nn.Module) or not isinstance(backbone, StagedBackbone):
        raise TypeError(
            f"{type(model).__name__} has no backbone with unfreeze_groups(): it cannot be fine-tuned in stages "
            "(EfficientNet, EfficientNet-Lite and RLA-ResNet backbones can)"
        )
    return backbone, backbone.unfreeze_groups()


def marked_feature_map(module: nn.Module) -> nn.Module | None:
    """The layer a backbone marks as the map its features are pooled from, None when it marks none."""
    marked = getattr(module, "feature_map", None)
    return marked if isinstance(marked, nn.Module) else None
