import pytest
import torchvision

from artlib.models import create_model
from artlib.models.rla_resnet import rla_backbone
from artlib.models.weights import WeightsUnavailableError


def test_offline_weights_give_a_clear_error(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.models, "get_model", no_network)
    with pytest.raises(WeightsUnavailableError, match="pretrained=False"):
        rla_backbone(50, torchvision_weights="IMAGENET1K_V2")
    with pytest.raises(WeightsUnavailableError):
        create_model("tv_resnet34", 3, pretrained=True)
