import pytest

from artlib.models import create_model
from artlib.train import TrainConfig, Trainer, layerwise_lr_groups


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
