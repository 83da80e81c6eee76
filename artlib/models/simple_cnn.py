"""A small VGG-style CNN: the baseline every other architecture is compared with."""

from __future__ import annotations

import torch
import torch.nn as nn

from .heads import MultiTaskClassifier
from .registry import register_model


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SimpleCNNBackbone(nn.Module):
    """``len(widths)`` conv blocks (each halves the resolution) and global average pooling."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256)) -> None:
        super().__init__()
        chans = (3, *widths)
        self.features = nn.Sequential(*[conv_block(a, b) for a, b in zip(chans, chans[1:], strict=False)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_features = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.features(x)).flatten(1)


@register_model("simple_cnn")
def simple_cnn(
    num_classes: dict[str, int], widths: tuple[int, ...] = (32, 64, 128, 256), dropout: float = 0.2
) -> MultiTaskClassifier:
    backbone = SimpleCNNBackbone(tuple(widths))
    return MultiTaskClassifier(backbone, backbone.out_features, num_classes, dropout)


#: Compact widths for CPU runs (the ``small`` model scale) and for quick hyper-parameter trials.
SMALL_WIDTHS = (16, 32, 64, 128)
TINY_WIDTHS = (8, 16, 32, 64)


@register_model("simple_cnn_small")
def simple_cnn_small(num_classes: dict[str, int], dropout: float = 0.2) -> MultiTaskClassifier:
    """:func:`simple_cnn` with widths 16-128 (the compact baseline of the ``small`` model scale)."""
    return simple_cnn(num_classes, SMALL_WIDTHS, dropout)


@register_model("simple_cnn_tiny")
def simple_cnn_tiny(num_classes: dict[str, int], dropout: float = 0.2) -> MultiTaskClassifier:
    """:func:`simple_cnn` with widths 8-64 (hyper-parameter trials at the ``small`` scale)."""
    return simple_cnn(num_classes, TINY_WIDTHS, dropout)
