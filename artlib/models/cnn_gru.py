"""Convolutional-recurrent classifier: a CNN feature map read as a sequence by a bidirectional GRU."""

from __future__ import annotations

import torch
import torch.nn as nn

from .heads import MultiTaskClassifier
from .registry import register_model
from .simple_cnn import SimpleCNNBackbone


def cnn_trunk(name: str, pretrained: bool = False) -> tuple[nn.Module, int]:
    """A trunk returning a spatial feature map: 'simple' (4 conv blocks) or a torchvision ResNet."""
    if name == "simple":
        net = SimpleCNNBackbone((32, 64, 128, 256))
        return net.features, 256
    if name in ("resnet18", "resnet34", "resnet50"):
        from .torchvision_backbones import TorchvisionBackbone

        tv = TorchvisionBackbone(name, pretrained).net
        trunk = nn.Sequential(tv.conv1, tv.bn1, tv.relu, tv.maxpool, tv.layer1, tv.layer2, tv.layer3, tv.layer4)
        return trunk, 2048 if name == "resnet50" else 512
    raise KeyError(f"unknown CNN trunk {name!r} (simple, resnet18, resnet34, resnet50)")


class CNNGRUBackbone(nn.Module):
    """CNN map (B, C, H, W) -> H*W patch sequence -> BiGRU -> mean and final states -> features.

    The patches are read in raster order; the GRU sees the painting's layout as a
    sequence, which lets it model composition beyond the CNN's receptive field.
    """

    def __init__(
        self, trunk: str = "simple", hidden: int = 128, layers: int = 1, pretrained: bool = False, max_side: int = 8
    ) -> None:
        super().__init__()
        self.trunk, channels = cnn_trunk(trunk, pretrained)
        self.shrink = nn.AdaptiveAvgPool2d(max_side)
        self.proj = nn.Conv2d(channels, hidden, 1)
        self.gru = nn.GRU(hidden, hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.out_features = 4 * hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fmap = self.proj(self.trunk(x))
        if fmap.shape[-1] > self.shrink.output_size or fmap.shape[-2] > self.shrink.output_size:
            fmap = self.shrink(fmap)
        seq = fmap.flatten(2).transpose(1, 2)  # (B, H*W, hidden)
        out, last = self.gru(seq)
        final = torch.cat([last[-2], last[-1]], 1)  # last layer, both directions
        return torch.cat([out.mean(1), final], 1)


@register_model("cnn_gru")
def cnn_gru(
    num_classes: dict[str, int],
    trunk: str = "simple",
    hidden: int = 128,
    layers: int = 1,
    pretrained: bool = False,
    dropout: float = 0.2,
) -> MultiTaskClassifier:
    """CNN + bidirectional GRU, shared trunk, one head per task."""
    backbone = CNNGRUBackbone(trunk, hidden, layers, pretrained)
    return MultiTaskClassifier(backbone, backbone.out_features, num_classes, dropout)


@register_model("cnn_gru_compact")
def cnn_gru_compact(
    num_classes: dict[str, int], trunk: str = "simple", pretrained: bool = False, dropout: float = 0.2
) -> MultiTaskClassifier:
    """:func:`cnn_gru` with a 64-unit GRU: the recipe of the ``small`` model scale (CPU)."""
    return cnn_gru(num_classes, trunk, hidden=64, pretrained=pretrained, dropout=dropout)


@register_model("cnn_gru_resnet34")
def cnn_gru_resnet34(
    num_classes: dict[str, int], pretrained: bool = False, dropout: float = 0.2
) -> MultiTaskClassifier:
    """:func:`cnn_gru` over a ResNet-34 trunk with a 256-unit GRU: the recipe of the ``full`` model scale."""
    return cnn_gru(num_classes, "resnet34", hidden=256, pretrained=pretrained, dropout=dropout)
