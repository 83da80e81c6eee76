"""An embedding network (backbone -> projection -> unit vector), registered as ``metric_embedding``."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import create_classifier, register_model


class EmbeddingNet(nn.Module):
    """Backbone features -> linear projection -> L2-normalised embedding of ``dim`` dims."""

    def __init__(self, backbone: nn.Module, feature_dim: int, dim: int = 128) -> None:
        super().__init__()
        self.backbone = backbone
        self.proj = nn.Linear(feature_dim, dim)
        self.dim = dim

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.proj(self.backbone(x)), dim=1)

    forward = embed


@register_model("metric_embedding")
def metric_embedding(
    num_classes: dict[str, int], backbone: str = "simple_cnn_small", dim: int = 64, pretrained: bool = False
) -> EmbeddingNet:
    """An :class:`EmbeddingNet` on the features of any registered classifier ``backbone`` (its heads
    dropped); ``num_classes`` only names the task the embedding is trained for."""
    base = create_classifier(backbone, num_classes, **({"pretrained": True} if pretrained else {}))
    return EmbeddingNet(base.backbone, base.feature_dim, dim)
