import pytest

from artlib.models import create_model
from artlib.train import TrainConfig, fine_tuning_trainer, unfreezing_of


def test_the_fine_tuning_recipe_opens_the_backbone_from_the_top_over_the_first_half():
    model = create_model("efficientnet_lite0", {"style": 3}, pretrained=False)
    trainer = fine_tuning_trainer(model, TrainConfig(epochs=6, progress=False))
    at = unfreezing_of(trainer)
    assert at == sorted(at) and at[0] >= 1 and max(at) <= 3  # heads alone first; everything open by mid-run
    trainer._call("on_epoch_start")  # epoch 0: only the heads train
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    decayed = fine_tuning_trainer(model, TrainConfig(epochs=6, lr=1e-3, progress=False), layer_decay=0.5)
    rates = sorted({group["lr"] for group in decayed.optimizer.param_groups})
    assert rates[-1] == pytest.approx(1e-3) and rates[0] < 1e-3  # lower rates further down the backbone


def test_a_model_without_unfreezable_groups_is_refused():
    with pytest.raises(TypeError, match="unfreeze_groups"):
        fine_tuning_trainer(create_model("simple_cnn_small", {"style": 3}), TrainConfig(epochs=2))
