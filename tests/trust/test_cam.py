import numpy as np
import pytest
import torch

from artlib.data.transforms import INCEPTION
from artlib.models import create_model
from artlib.trust.cam import cam_layer, class_activation_maps, overlay, view_pixels

CLASSES = {"style": 4, "artist": 3}


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("simple_cnn_tiny", {}), ("efficientnet_lite0", {}), ("rla_resnet_compact", {"attention": "se"})],
)
def test_maps_have_the_input_size_and_lie_in_0_1(name, kwargs):
    torch.manual_seed(0)
    model = create_model(name, CLASSES, **kwargs)
    images = torch.randn(3, 3, 64, 64)
    maps, classes = class_activation_maps(model, images, "style")
    assert maps.shape == (3, 64, 64) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() <= 1 and maps.max() > 0
    with torch.no_grad():
        assert classes.tolist() == model.eval()(images)["style"].argmax(1).tolist()


def test_the_marked_feature_map_is_explained():
    lite = create_model("efficientnet_lite0", CLASSES)
    rla = create_model("rla_resnet_compact", CLASSES)
    assert cam_layer(lite) is lite.backbone.feature_map and cam_layer(rla) is rla.backbone.feature_map
    cnn = create_model("simple_cnn_tiny", CLASSES)
    assert isinstance(cam_layer(cnn), torch.nn.Conv2d)


def test_chosen_classes_and_bad_input():
    model = create_model("simple_cnn_tiny", CLASSES)
    _, classes = class_activation_maps(model, torch.randn(2, 3, 32, 32), "artist", classes=[2, 0])
    assert classes.tolist() == [2, 0]
    with pytest.raises(ValueError, match="batch"):
        class_activation_maps(model, torch.randn(3, 32, 32), "artist")
    with pytest.raises(KeyError, match="no task"):
        class_activation_maps(model, torch.randn(1, 3, 32, 32), "genre")
    with pytest.raises(ValueError, match="unknown CAM method"):
        class_activation_maps(model, torch.randn(1, 3, 32, 32), "artist", method="magic")


def test_overlay_is_an_rgb_picture_of_the_view():
    view = torch.zeros(3, 16, 24)  # mid-grey in [-1, 1] normalisation
    picture = view_pixels(view, INCEPTION)
    assert picture.shape == (16, 24, 3) and np.allclose(picture, 0.5)
    heat = np.linspace(0, 1, 16 * 24, dtype=np.float32).reshape(16, 24)
    shown = overlay(picture, heat)
    assert shown.shape == (16, 24, 3) and shown.dtype == np.uint8
    assert not np.array_equal(shown[0, 0], shown[-1, -1])  # cold and hot corners differ
    with pytest.raises(ValueError, match="differ in size"):
        overlay(picture, heat[:8])
