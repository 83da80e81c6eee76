"""Siamese same-artist model: shared backbone, combined features, two linear layers."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch
import torch.nn as nn

from .registry import create_backbone, register_model, require_registered

COMBINATIONS = ("concat", "absdiff", "product", "all")
#: How a Siamese backbone learns: from random weights, fine-tuned from pretrained ones, or frozen (a head on features).
TRAINING = ("scratch", "pretrained", "frozen")


def parse_siamese_spec(spec: str) -> tuple[str, str, str]:
    """``"backbone:combine:training"`` (e.g. ``"efficientnet_lite0:all:frozen"``) -> its three parts, checked."""
    parts = spec.split(":") if isinstance(spec, str) else []
    if len(parts) != 3 or not parts[0]:
        raise ValueError(
            f"a Siamese model is 'backbone:combine:training', e.g. 'simple_cnn:concat:scratch'; got {spec!r}"
        )
    backbone, combine, training = parts
    require_registered(backbone, f"{spec!r}: unknown backbone")
    if combine not in COMBINATIONS:
        raise ValueError(f"{spec!r}: combine must be one of {COMBINATIONS}")
    if training not in TRAINING:
        raise ValueError(f"{spec!r}: training must be one of {TRAINING}")
    return backbone, combine, training


class SiameseNet(nn.Module):
    """Takes ``x`` of shape (B, 2, ...): both images (or both feature vectors) of each pair.
    Returns ``{'same': (B, 2) logits}``.

    ``combine``: ``concat`` [a, b], ``absdiff`` |a - b|, ``product`` a * b, or ``all`` of them.
    Two-class logits let the standard :class:`~artlib.train.Trainer` train it. With an ``nn.Identity``
    backbone it is a head on precomputed features (:func:`siamese_on_features`).
    """

    def __init__(
        self, backbone: nn.Module, feature_dim: int, combine: str = "all", hidden: int = 256, dropout: float = 0.2
    ) -> None:
        super().__init__()
        if combine not in COMBINATIONS:
            raise ValueError(f"combine must be one of {COMBINATIONS}")
        self.backbone, self.combine = backbone, combine
        self.feature_dim, self.hidden, self.dropout = feature_dim, hidden, dropout
        width = {"concat": 2, "absdiff": 1, "product": 1, "all": 4}[combine] * feature_dim
        self.classifier = nn.Sequential(
            nn.Linear(width, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, 2)
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def combined(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        parts = {"concat": [a, b], "absdiff": [(a - b).abs()], "product": [a * b], "all": [a, b, (a - b).abs(), a * b]}[
            self.combine
        ]
        return torch.cat(parts, 1)

    def forward(self, pair: torch.Tensor) -> dict[str, torch.Tensor]:
        if pair.dim() < 3 or pair.shape[1] != 2:
            raise ValueError(
                f"expected (B, 2, C, H, W) image pairs or (B, 2, D) feature pairs, got {tuple(pair.shape)}"
            )
        feats = self.backbone(pair.flatten(0, 1)).view(pair.shape[0], 2, -1)
        return {"same": self.classifier(self.combined(feats[:, 0], feats[:, 1]))}

    @torch.no_grad()
    def same_probability(self, a: torch.Tensor, b: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
        """P(same artist) for pairs of *embeddings* (``self.embed`` outputs, rows paired in order), in eval mode."""
        if a.shape != b.shape or a.dim() != 2:
            raise ValueError(
                f"expected two (N, D) embedding matrices of one shape, got {tuple(a.shape)}, {tuple(b.shape)}"
            )
        was_training = self.training
        self.eval()
        device = next(self.classifier.parameters()).device
        out = [
            torch.softmax(
                self.classifier(
                    self.combined(a[i : i + batch_size].to(device), b[i : i + batch_size].to(device))
                ).float(),
                1,
            )[:, 1].cpu()
            for i in range(0, len(a), batch_size)
        ]
        self.train(was_training)
        return torch.cat(out) if out else torch.zeros(0)


def siamese(
    backbone: str = "tv_resnet34",
    combine: str = "all",
    pretrained: bool = False,
    hidden: int = 256,
    **backbone_kwargs: Any,
) -> SiameseNet:
    """A :class:`SiameseNet` around any registered backbone by name (``tv_alexnet``, ``tv_resnet34``, ...)."""
    if pretrained:
        backbone_kwargs["pretrained"] = True
    base = create_backbone(backbone, **backbone_kwargs)
    return SiameseNet(base.backbone, base.feature_dim, combine, hidden)


def siamese_on_features(feature_dim: int, combine: str = "all", hidden: int = 256, dropout: float = 0.2) -> SiameseNet:
    """A :class:`SiameseNet` head for pairs of precomputed features, e.g. frozen Lite0 embeddings
    (:class:`artlib.pairs.dataset.FeaturePairDataset` feeds it)."""
    return SiameseNet(nn.Identity(), feature_dim, combine, hidden, dropout)


class Standardize(nn.Module):
    """``(x - mean) / scale`` with stored statistics (a fitted ``StandardScaler`` as a layer)."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


@register_model("siamese_head")
def siamese_head(
    num_classes: dict[str, int], feature_dim: int, combine: str = "all", hidden: int = 256, dropout: float = 0.2
) -> SiameseNet:
    """A Siamese head that standardises raw frozen features itself: ``embed`` maps raw features to the
    head's input, so a saved head scores pairs of raw features (``same_probability(embed(a), embed(b))``)."""
    return SiameseNet(Standardize(feature_dim), feature_dim, combine, hidden, dropout)


def standardized_head(head: SiameseNet, mean: np.ndarray, scale: np.ndarray) -> SiameseNet:
    """The ``siamese_head`` equivalent of ``head`` (trained on features standardised by ``mean`` / ``scale``)."""
    feature_dim = len(mean)
    out = siamese_head({"same": 2}, feature_dim, head.combine, head.hidden, head.dropout)
    out.classifier.load_state_dict(head.classifier.state_dict())
    standardize = cast(Standardize, out.backbone)
    standardize.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
    standardize.scale.copy_(torch.as_tensor(scale, dtype=torch.float32))
    return out.eval()


def classify_then_compare(probs_a: torch.Tensor, probs_b: torch.Tensor) -> torch.Tensor:
    """Same-artist score as the dot product of two artist-probability vectors (Kaggle PbN winner)."""
    return (probs_a * probs_b).sum(-1)
