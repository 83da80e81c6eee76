import pytest
import torch

from artlib.models import create_model


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
