"""RLA-ResNet: Recurrence along Depth (Zhao et al., NeurIPS 2021; official code joyfang1106/RLANet).

Each bottleneck reads ``cat(x, h)`` where ``h`` is a small (``rla_channel``)
hidden state carried along the depth of the network. After every block its
output ``y`` is squeezed by the stage's shared 1x1 ``conv_out``, normalised by
the block's own BN, and fed to the stage's shared recurrent cell:

* ``rnn``  (official ``resnet_rla.py``): ``h = conv3x3(tanh(bn(h + conv_out(y))))``, and ``relu(bn_h(h))`` at the end
* ``gru``  (official ``resnet_rla_gru.py``): ``h = ConvGRU(tanh(bn(conv_out(y))), h)``, gates GroupNorm-ed
* ``lstm`` (official ``resnet_rla_lstm.py``): ``h, c = ConvLSTM(tanh(bn(conv_out(y))), (h, c))``, gates without bias

``y`` is the block *output* (after the residual add and ReLU), as in the official code, where
``y = out; out += identity; out = relu(out)`` aliases ``y`` to the output in place. ``rla_input="residual"``
feeds the residual branch instead (earlier artlib versions; that branch is exactly zero at initialisation when
``zero_init_residual`` is on, so ``h`` then starts without any input signal).
``zero_init_residual=None`` follows the official default of each cell (off for ``rnn``, on for ``gru``/``lstm``).

``h`` is average-pooled where a block downsamples; the features are
``pool(cat[x, h])``. Differences from the official code: ``h`` is created on
``x.device`` (no hard-coded CUDA), nothing is printed, ``rla_channel`` is honoured,
attention (SE / ECA / CBAM) comes from timm by name, and
:func:`load_torchvision_resnet` initialises from torchvision ResNet weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
import torch.nn as nn

from .attention import create_attention
from .heads import MultiTaskClassifier
from .registry import register_model


def conv1x1(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)


def conv3x3(c_in: int, c_out: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=bias)


class ConvGRUCell(nn.Module):
    """Convolutional GRU cell as in the official RLA code: 3x3 gates, each GroupNorm-ed (one group).

    ``h' = u * h + (1 - u) * tanh(norm(conv(cat[x, r * h])))`` with reset ``r`` and update ``u``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gates = conv3x3(2 * channels, 2 * channels, bias=True)
        self.candidate = conv3x3(2 * channels, channels, bias=True)
        self.reset_norm, self.update_norm, self.candidate_norm = (nn.GroupNorm(1, channels, eps=1e-6) for _ in range(3))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        r, u = self.gates(torch.cat([x, h], 1)).chunk(2, 1)
        r, u = torch.sigmoid(self.reset_norm(r)), torch.sigmoid(self.update_norm(u))
        n = torch.tanh(self.candidate_norm(self.candidate(torch.cat([x, r * h], 1))))
        return u * h + (1 - u) * n


class ConvLSTMCell(nn.Module):
    """Convolutional LSTM cell as in the official RLA code (3x3 gates, no bias)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gates = conv3x3(2 * channels, 4 * channels, bias=False)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        i, f, o, g = self.gates(torch.cat([x, h], 1)).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class RLABottleneck(nn.Module):
    """ResNet bottleneck whose first 1x1 conv also reads the hidden state ``h``."""

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        rla_channel: int = 32,
        attention: str | None = None,
        rla_input: str = "output",
    ) -> None:
        super().__init__()
        self.rla_input = rla_input
        width = planes
        self.conv1 = conv1x1(inplanes + rla_channel, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.attn = create_attention(attention, planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.pool_h = nn.AvgPool2d(2, 2) if downsample is not None and stride != 1 else None

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        identity = x
        out = self.relu(self.bn1(self.conv1(torch.cat([x, h], 1))))
        out = self.relu(self.bn2(self.conv2(out)))
        y = self.attn(self.bn3(self.conv3(out)))
        if self.downsample is not None:
            identity = self.downsample(identity)
        out = self.relu(y + identity)
        return out, (out if self.rla_input == "output" else y)


class RLAResNet(nn.Module):
    """RLA-ResNet feature extractor: image -> ``pool(cat[x, h])`` of ``out_features`` dims."""

    def __init__(
        self,
        layers: Sequence[int] = (3, 4, 6, 3),
        rla_channel: int = 32,
        cell: str = "rnn",
        attention: str | None = None,
        base_width: int = 64,
        zero_init_residual: bool | None = None,
        rla_input: str = "output",
    ) -> None:
        super().__init__()
        if cell not in ("rnn", "gru", "lstm"):
            raise ValueError(f"cell must be 'rnn', 'gru' or 'lstm', got {cell!r}")
        if rla_input not in ("output", "residual"):
            raise ValueError(f"rla_input must be 'output' (official) or 'residual', got {rla_input!r}")
        if zero_init_residual is None:  # the official code's default for this cell
            zero_init_residual = cell != "rnn"
        if rla_channel < 1:
            raise ValueError("rla_channel must be >= 1")
        self.rla_channel, self.cell = rla_channel, cell
        self.inplanes = base_width
        self.conv1 = nn.Conv2d(3, base_width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.stages, self.stage_bns, self.conv_outs, self.recurrent = (nn.ModuleList() for _ in range(4))
        for i, blocks in enumerate(layers):
            planes = base_width * 2**i
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or self.inplanes != planes * RLABottleneck.expansion:
                downsample = nn.Sequential(conv1x1(self.inplanes, planes * 4, stride), nn.BatchNorm2d(planes * 4))
            first = RLABottleneck(
                self.inplanes,
                planes,
                stride=stride,
                downsample=downsample,
                rla_channel=rla_channel,
                attention=attention,
                rla_input=rla_input,
            )
            stage = [first]
            self.inplanes = planes * 4
            stage += [
                RLABottleneck(self.inplanes, planes, rla_channel=rla_channel, attention=attention, rla_input=rla_input)
                for _ in range(1, blocks)
            ]
            self.stages.append(nn.ModuleList(stage))
            self.stage_bns.append(nn.ModuleList(nn.BatchNorm2d(rla_channel) for _ in range(blocks)))
            self.conv_outs.append(conv1x1(planes * 4, rla_channel))
            self.recurrent.append(
                {
                    "rnn": lambda: conv3x3(rla_channel, rla_channel),
                    "gru": lambda: ConvGRUCell(rla_channel),
                    "lstm": lambda: ConvLSTMCell(rla_channel),
                }[cell]()
            )
        # only the plain RNN cell normalises h at the end; an unused module would break DDP's gradient reduction
        self.bn_h = nn.BatchNorm2d(rla_channel) if cell == "rnn" else None
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_map = nn.Identity()  # the map the pooled features come from (Grad-CAM's layer)
        self.out_features = self.inplanes + rla_channel
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, RLABottleneck):
                    nn.init.zeros_(m.bn3.weight)

    def forward_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Final feature map ``x`` and hidden state ``h`` (before pooling)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        h = x.new_zeros(x.shape[0], self.rla_channel, x.shape[2], x.shape[3])
        c = torch.zeros_like(h) if self.cell == "lstm" else None
        for blocks, bns, conv_out, recurrent in zip(
            self.stages, self.stage_bns, self.conv_outs, self.recurrent, strict=True
        ):
            for block, bn in zip(cast(list[RLABottleneck], blocks), cast(nn.ModuleList, bns), strict=True):
                x, y = block(x, h)
                if block.pool_h is not None:
                    h = block.pool_h(h)
                    c = block.pool_h(c) if c is not None else None
                if self.cell == "rnn":
                    h = recurrent(torch.tanh(bn(h + conv_out(y))))
                elif self.cell == "gru":
                    h = recurrent(torch.tanh(bn(conv_out(y))), h)
                else:
                    h, c = recurrent(torch.tanh(bn(conv_out(y))), (h, c))
        if self.bn_h is not None:  # the rnn cell's final BN
            h = self.relu(self.bn_h(h))
        return x, h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, h = self.forward_maps(x)
        return self.pool(self.feature_map(torch.cat([x, h], 1))).flatten(1)

    def unfreeze_groups(self) -> list[list[nn.Parameter]]:
        """Stages from the top down, then the stem (for progressive unfreezing)."""
        groups = []
        for i in reversed(range(len(self.stages))):
            groups.append(
                [
                    *self.stages[i].parameters(),
                    *self.stage_bns[i].parameters(),
                    *self.conv_outs[i].parameters(),
                    *self.recurrent[i].parameters(),
                ]
                + (list(self.bn_h.parameters()) if i == len(self.stages) - 1 and self.bn_h is not None else [])
            )
        groups.append([*self.conv1.parameters(), *self.bn1.parameters()])
        return groups


def load_torchvision_resnet(model: RLAResNet, state_dict: dict[str, torch.Tensor]) -> list[str]:
    """Copy torchvision ResNet weights (``layer{i}.{j}.*``, ``conv1``, ``bn1``) into ``model``.

    The first 1x1 conv of each block gets the pretrained weights on its ``x``
    channels and zeros on the ``rla_channel`` extra ones, so the ``x`` path starts
    out as the pretrained ResNet. Returns the RLA-specific parameters left at
    their initialisation (hidden-state path, attention).
    """
    own = model.state_dict()
    loaded = set()
    for key, value in state_dict.items():
        if key.startswith("fc."):
            continue
        target = key
        if key.startswith("layer"):
            stage, rest = key.split(".", 1)
            target = f"stages.{int(stage[5:]) - 1}.{rest}"
        if target not in own:
            raise KeyError(f"torchvision key {key!r} has no counterpart ({target!r}); is the depth the same?")
        if target.endswith("conv1.weight") and target.startswith("stages."):
            weight = torch.zeros_like(own[target])
            weight[:, : value.shape[1]] = value
            value = weight
        if own[target].shape != value.shape:
            raise ValueError(f"shape mismatch for {target}: {tuple(own[target].shape)} vs {tuple(value.shape)}")
        own[target] = value.clone()
        loaded.add(target)
    model.load_state_dict(own)
    return sorted(k for k in own if k not in loaded)


DEPTHS = {26: (2, 2, 2, 2), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def rla_backbone(
    depth: int | None = 50,
    layers: Sequence[int] | None = None,
    rla_channel: int = 32,
    cell: str = "rnn",
    attention: str | None = None,
    base_width: int = 64,
    torchvision_weights: str | dict | None = None,
    rla_input: str = "output",
    zero_init_residual: bool | None = None,
) -> RLAResNet:
    """Build an RLA-ResNet; ``torchvision_weights`` is a torchvision weights name (downloads) or a state dict."""
    if layers is None:
        if depth is None or depth not in DEPTHS:
            raise ValueError(f"depth must be one of {sorted(DEPTHS)} (or give layers), got {depth!r}")
        layers = DEPTHS[depth]
    layers = tuple(layers)
    net = RLAResNet(
        layers,
        rla_channel=rla_channel,
        cell=cell,
        attention=attention,
        base_width=base_width,
        zero_init_residual=zero_init_residual,
        rla_input=rla_input,
    )
    if torchvision_weights is not None:
        if isinstance(torchvision_weights, str):
            import torchvision

            from .weights import fetch_or_explain

            arch = f"resnet{depth}"
            state = fetch_or_explain(
                arch, lambda: torchvision.models.get_model(arch, weights=torchvision_weights).state_dict()
            )
        else:
            state = torchvision_weights
        load_torchvision_resnet(net, state)
    return net


@register_model("rla_resnet")
def rla_resnet(num_classes: dict[str, int], dropout: float = 0.2, **backbone: Any) -> MultiTaskClassifier:
    """RLA-ResNet with heads; ``backbone``: the keywords of :func:`rla_backbone` (``depth``, ``layers``,
    ``rla_channel``, ``cell`` 'rnn' | 'gru' | 'lstm', ``attention`` None | 'se' | 'eca' | 'cbam', ``base_width``,
    ``torchvision_weights``, ``rla_input`` 'output' (official: the block output feeds the hidden state) |
    'residual', ``zero_init_residual``); an unknown keyword is a ``TypeError`` naming it."""
    network = rla_backbone(**backbone)
    return MultiTaskClassifier(network, network.out_features, num_classes, dropout)


def _variant(depth: int, attention: str | None) -> Callable[..., MultiTaskClassifier]:
    def build(num_classes: dict[str, int], **kwargs: Any) -> MultiTaskClassifier:
        return rla_resnet(num_classes, depth=depth, attention=attention, **kwargs)

    return build


for _depth in (50, 101):
    for _attn in (None, "se", "eca", "cbam"):
        register_model(f"rla_resnet{_depth}" + (f"_{_attn}" if _attn else ""))(_variant(_depth, _attn))


@register_model("rla_resnet_compact")
def rla_resnet_compact(
    num_classes: dict[str, int],
    cell: str = "rnn",
    attention: str | None = None,
    dropout: float = 0.2,
    rla_input: str = "output",
) -> MultiTaskClassifier:
    """One block per stage, base width 16, 16 RLA channels: the RLA recipe of the ``small`` model scale (CPU)."""
    return rla_resnet(
        num_classes,
        layers=(1, 1, 1, 1),
        rla_channel=16,
        cell=cell,
        attention=attention,
        base_width=16,
        dropout=dropout,
        rla_input=rla_input,
    )
