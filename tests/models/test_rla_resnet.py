import pytest
import torch
import torch.nn as nn
import torchvision

from artlib.models import create_model, list_models
from artlib.models.attention import create_attention
from artlib.models.rla_resnet import RLAResNet, load_torchvision_resnet

TINY = dict(layers=(1, 1, 1, 1), base_width=8, rla_channel=4)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("attention", [None, "se", "eca", "cbam"])
def test_rla_variants_forward_and_backward(cell, attention):
    model = create_model("rla_resnet", {"style": 3, "genre": 4}, cell=cell, attention=attention, **TINY)
    out = model(torch.randn(2, 3, 64, 64))
    assert out["style"].shape == (2, 3) and out["genre"].shape == (2, 4)
    sum(o.sum() for o in out.values()).backward()
    shared = model.backbone.recurrent[0]
    assert all(p.grad is not None for p in shared.parameters())


def test_rla_attention_modules_come_from_timm():
    net = RLAResNet(attention="cbam", **{**TINY, "layers": (1, 1, 1, 1)})
    assert type(net.stages[0][0].attn).__module__.startswith("timm")
    with pytest.raises(ValueError, match="unknown attention"):
        create_attention("gc-net", 16)


def test_rla_honours_rla_channel_and_depth():
    net = RLAResNet(layers=(3, 4, 6, 3), rla_channel=12)
    assert net.out_features == 2048 + 12
    assert net.stages[2][0].conv1.in_channels == 512 + 12
    assert [len(s) for s in net.stages] == [3, 4, 6, 3]
    assert len(RLAResNet(layers=(3, 4, 23, 3)).stages[2]) == 23
    with pytest.raises(ValueError):
        RLAResNet(cell="transformer")


def test_rla_hidden_state_follows_input_dtype_and_device():
    net = RLAResNet(**TINY).double().eval()
    x, h = net.forward_maps(torch.randn(1, 3, 64, 64, dtype=torch.float64))
    assert h.dtype == torch.float64 and h.shape[1] == 4 and h.shape[2:] == x.shape[2:]


def test_rla_init_from_torchvision_keeps_the_resnet_path():
    tv = torchvision.models.resnet50(weights=None).eval()
    for m in tv.modules():  # non-trivial BN so that the comparison means something
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    net = RLAResNet((3, 4, 6, 3))
    untouched = load_torchvision_resnet(net, tv.state_dict())
    assert any("recurrent" in k for k in untouched) and not any(k.startswith("stages.0.0.conv2") for k in untouched)
    net.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = tv.layer4(tv.layer3(tv.layer2(tv.layer1(tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))))))
        got, _ = net.forward_maps(x)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
    with pytest.raises(KeyError, match="depth"):
        load_torchvision_resnet(RLAResNet((3, 4, 6, 3)), torchvision.models.resnet101(weights=None).state_dict())


def test_named_rla_variants_registered():
    names = list_models()
    for n in ("rla_resnet50", "rla_resnet50_se", "rla_resnet50_eca", "rla_resnet50_cbam", "rla_resnet101"):
        assert n in names
    assert isinstance(create_model("rla_resnet50_se", 3).backbone.stages[0][0].attn, nn.Module)


def _randomise_norms(net: nn.Module) -> nn.Module:
    """Non-trivial BN statistics and affine weights (the last BN of each block included)."""
    gen = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
    return net.eval()


def _official_rla_forward(net: RLAResNet, x: torch.Tensor) -> torch.Tensor:
    """The forward pass of the official resnet_rla.py, restated on artlib's modules.

    As there, ``y = out`` is taken before ``out += identity; out = relu(out)``, both in place, so
    ``y`` is the block output by aliasing.
    """
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    h = torch.zeros(x.shape[0], net.rla_channel, *x.shape[2:])
    for blocks, bns, conv_out, recurrent in zip(net.stages, net.stage_bns, net.conv_outs, net.recurrent, strict=True):
        for block, bn in zip(blocks, bns, strict=True):
            identity = x
            out = torch.relu(block.bn1(block.conv1(torch.cat([x, h], 1))))
            out = torch.relu(block.bn2(block.conv2(out)))
            out = block.bn3(block.conv3(out))
            y = out
            if block.downsample is not None:
                identity = block.downsample(identity)
            if block.pool_h is not None:
                h = block.pool_h(h)
            out += identity
            out = torch.relu_(out)
            x = out
            h = recurrent(torch.tanh(bn(h + conv_out(y))))
    h = torch.relu(net.bn_h(h))
    return net.pool(torch.cat([x, h], 1)).flatten(1)


def test_rla_matches_the_official_forward_with_the_same_weights():
    torch.manual_seed(0)
    net = _randomise_norms(RLAResNet((2, 2, 2, 2), rla_channel=8, base_width=16))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        reference = _official_rla_forward(net, x)
        torch.testing.assert_close(net(x), reference, atol=1e-5, rtol=1e-5)
        residual = RLAResNet((2, 2, 2, 2), rla_channel=8, base_width=16, rla_input="residual")
        residual.load_state_dict(net.state_dict())
        assert not torch.allclose(residual.eval()(x), reference, atol=1e-3)  # the old feed differs
    with pytest.raises(ValueError, match="rla_input"):
        RLAResNet(rla_input="input", **TINY)


def test_rla_hidden_state_carries_input_signal_at_initialisation():
    """With zero-initialised residual branches the official feed (block output) still informs h."""
    x = torch.randn(2, 3, 64, 64)
    for rla_input, informed in (("output", True), ("residual", False)):
        torch.manual_seed(0)
        net = RLAResNet(zero_init_residual=True, rla_input=rla_input, **TINY).eval()
        with torch.no_grad():
            _, h = net.forward_maps(x)
        assert bool((h[0] - h[1]).abs().max() > 1e-4) is informed


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_rla_every_parameter_gets_a_gradient(cell):
    """No unused module (DistributedDataParallel's 'Expected to have finished reduction' otherwise)."""
    net = RLAResNet(cell=cell, **TINY)
    net(torch.randn(2, 3, 64, 64)).sum().backward()
    unused = [n for n, p in net.named_parameters() if p.grad is None]
    assert not unused
    assert (net.bn_h is not None) == (cell == "rnn")


def test_rla_recurrent_cells_follow_the_official_ones():
    gru = RLAResNet(cell="gru", **TINY).recurrent[0]
    assert sum(isinstance(m, nn.GroupNorm) and m.num_groups == 1 for m in gru.modules()) == 3
    lstm = RLAResNet(cell="lstm", **TINY).recurrent[0]
    assert lstm.gates.bias is None
    # official defaults: zero-initialised last BN for the GRU/LSTM variants, not for the plain one
    assert float(RLAResNet(cell="gru", **TINY).stages[0][0].bn3.weight.detach().abs().sum()) == 0
    assert float(RLAResNet(cell="rnn", **TINY).stages[0][0].bn3.weight.detach().abs().sum()) > 0
