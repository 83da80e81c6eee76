"""Siamese same-artist model: shared backbone, combined features, two linear layers."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import create_model

COMBINATIONS = ("concat", "absdiff", "product", "all")


class SiameseNet(nn.Module):
    """Takes ``x`` of shape (B, 2, C, H, W): both images of each pair. Returns ``{'same': (B, 2) logits}``.

    ``combine``: ``concat`` [a, b], ``absdiff`` |a - b|, ``product`` a * b, or ``all`` of them.
    Two-class logits let the standard :class:`~artlib.train.Trainer` train it.
    """

    def __init__(self, backbone: nn.Module, feature_dim: int, combine: str = "all", hidden: int = 256,
                 dropout: float = 0.2) -> None:
        super().__init__()
        if combine not in COMBINATIONS:
            raise ValueError(f"combine must be one of {COMBINATIONS}")
        self.backbone, self.combine = backbone, combine
        width = {"concat": 2, "absdiff": 1, "product": 1, "all": 4}[combine] * feature_dim
        self.classifier = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                        nn.Linear(hidden, 2))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def combined(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        parts = {"concat": [a, b], "absdiff": [(a - b).abs()], "product": [a * b],
                 "all": [a, b, (a - b).abs(), a * b]}[self.combine]
        return torch.cat(parts, 1)

    def forward(self, pair: torch.Tensor) -> dict[str, torch.Tensor]:
        if pair.dim() != 5 or pair.shape[1] != 2:
            raise ValueError(f"expected (B, 2, C, H, W) pairs, got {tuple(pair.shape)}")
        feats = self.backbone(pair.flatten(0, 1)).view(pair.shape[0], 2, -1)
        return {"same": self.classifier(self.combined(feats[:, 0], feats[:, 1]))}


def siamese(backbone: str = "tv_resnet34", combine: str = "all", pretrained: bool = False, hidden: int = 256,
            **backbone_kwargs) -> SiameseNet:
    """A :class:`SiameseNet` around any registered backbone by name (``tv_alexnet``, ``tv_resnet34``, ...)."""
    if pretrained:
        backbone_kwargs["pretrained"] = True
    base = create_model(backbone, {"_": 2}, **backbone_kwargs)
    return SiameseNet(base.backbone, base.feature_dim, combine, hidden)


def classify_then_compare(probs_a: torch.Tensor, probs_b: torch.Tensor) -> torch.Tensor:
    """Same-artist score as the dot product of two artist-probability vectors (Kaggle PbN winner)."""
    return (probs_a * probs_b).sum(-1)
