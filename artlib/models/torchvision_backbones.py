"""torchvision classifiers by name as feature extractors: AlexNet, VGG, ResNet, MobileNetV3, ...

``create_model('tv_resnet34', {...})`` etc.; ``pretrained=True`` downloads the
torchvision weights (a clear error offline). Randomly initialised ones get BatchNorm momentum 0.1
(:mod:`artlib.models.batchnorm`).
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn

from .batchnorm import set_bn_momentum
from .heads import classifier_builder
from .registry import register_model
from .weights import fetch_or_explain

TORCHVISION_NAMES = (
    "alexnet",
    "vgg16",
    "vgg19",
    "resnet18",
    "resnet34",
    "resnet50",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "convnext_tiny",
)


class TorchvisionBackbone(nn.Module):
    """A torchvision classifier with its last linear layer removed: image -> features."""

    def __init__(self, name: str, pretrained: bool = False) -> None:
        super().__init__()
        if name not in TORCHVISION_NAMES:
            raise KeyError(f"unsupported torchvision backbone {name!r}; choose from {TORCHVISION_NAMES}")
        import torchvision  # imported when needed: it takes seconds to import

        weights = "DEFAULT" if pretrained else None
        net = (
            fetch_or_explain(name, lambda: torchvision.models.get_model(name, weights=weights))
            if pretrained
            else torchvision.models.get_model(name, weights=None)
        )
        if not pretrained:  # running statistics that keep up with a short training (see models.batchnorm)
            set_bn_momentum(net)
        if hasattr(net, "fc"):  # ResNets
            self.out_features = net.fc.in_features
            net.fc = nn.Identity()
        else:  # AlexNet, VGG, MobileNet, EfficientNet, ConvNeXt: drop the final Linear of `classifier`
            last = max(i for i, m in enumerate(net.classifier) if isinstance(m, nn.Linear))
            self.out_features = net.classifier[last].in_features
            net.classifier[last] = nn.Identity()
        self.net = net
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.net(x), 1)


for _name in TORCHVISION_NAMES:
    register_model(f"tv_{_name}")(
        classifier_builder(partial(TorchvisionBackbone, _name), f"torchvision {_name} features + one head per task.")
    )
