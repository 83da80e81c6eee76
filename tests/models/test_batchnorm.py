import pytest
import torch

from artlib.models import create_model


@pytest.mark.parametrize("name", ["tv_mobilenet_v3_small", "efficientnet_b0"])
def test_scratch_models_get_batchnorm_momentum_that_keeps_up(name):
    """torchvision/efficientnet-pytorch default to 0.01: a short from-scratch training left eval mode degenerate."""
    from artlib.models.batchnorm import SCRATCH_BN_MOMENTUM

    model = create_model(name, {"style": 3})
    momenta = {m.momentum for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    assert momenta == {SCRATCH_BN_MOMENTUM}


def test_set_bn_momentum_refuses_out_of_range():
    from artlib.models.batchnorm import set_bn_momentum

    with pytest.raises(ValueError, match="momentum"):
        set_bn_momentum(torch.nn.BatchNorm2d(3), 0.0)
