import numpy as np
import pytest
import torch

from artlib.data.transforms import INCEPTION
from artlib.models import create_model
from artlib.trust.cam import (
    MIN_CELLS,
    _map_sides,
    cam_layer,
    class_activation_maps,
    mirrored_maps,
    overlay,
    view_pixels,
)

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


@pytest.mark.parametrize(("name", "size"), [("efficientnet_lite0", 128), ("rla_resnet_compact", 96)])
def test_a_small_input_is_explained_on_a_map_of_at_least_7x7_cells(name, size):
    """Lite0 at 128 px ends in a 4x4 map, RLA at 96 px in 3x3: the layer explained keeps >= 7 cells a side."""
    model = create_model(name, CLASSES)
    sides = dict(_map_sides(model, size))
    marked = model.backbone.feature_map
    assert sides[marked] < MIN_CELLS  # the pooled map is too coarse at this size
    chosen = cam_layer(model, size)
    assert chosen is not marked and sides[chosen] >= MIN_CELLS
    assert cam_layer(model, 224) is marked and cam_layer(model) is marked
    later = [m for m, side in _map_sides(model, size) if side >= MIN_CELLS]
    assert later[-1] is chosen  # the deepest map that is still fine enough


def test_the_mirror_average_is_the_same_map_for_a_mirrored_painting():
    torch.manual_seed(0)
    model = create_model("simple_cnn_tiny", CLASSES)
    images = torch.randn(2, 3, 32, 32)
    heat = mirrored_maps(model, images, "style", [1, 2])
    flipped = mirrored_maps(model, torch.flip(images, dims=[-1]), "style", [1, 2])
    assert heat.shape == (2, 32, 32) and np.allclose(heat, flipped[:, :, ::-1], atol=1e-5)
    assert heat.max() <= 1 and np.isclose(heat.reshape(2, -1).max(1), 1).all()


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


def test_model_randomisation_changes_the_maps():
    """Adebayo et al. (2018): a map that stays the same when the weights are re-drawn explains the input, not the
    model. A tiny CNN learns where a bright patch is (left or right); its maps must look at the patch, and the
    maps of the same network with re-drawn weights must not resemble them."""
    from scipy.stats import spearmanr

    torch.manual_seed(0)
    n, side = 256, 32
    images = torch.rand(n, 3, side, side) * 0.2
    label = torch.arange(n) % 2
    for i in range(n):
        x0 = 2 if label[i] == 0 else side - 12
        y0 = int(torch.randint(2, side - 12, (1,)))
        images[i, :, y0 : y0 + 10, x0 : x0 + 10] = 1.0
    model = create_model("simple_cnn_tiny", {"side": 2})
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(15):
        for batch in torch.randperm(n).split(32):
            loss = torch.nn.functional.cross_entropy(model(images[batch])["side"], label[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        assert (model.eval()(images)["side"].argmax(1) == label).float().mean() > 0.95
    test = images[:16]
    trained, _ = class_activation_maps(model, test, "side", classes=label[:16].tolist())
    randomised = create_model("simple_cnn_tiny", {"side": 2})  # the same architecture, weights drawn anew
    redrawn, _ = class_activation_maps(randomised, test, "side", classes=label[:16].tolist())
    patch = (test.mean(1) > 0.9).numpy()  # where the bright patch is
    on_patch = [trained[i][patch[i]].mean() > trained[i][~patch[i]].mean() for i in range(16)]
    assert np.mean(on_patch) >= 0.75  # the trained network's maps point at what decides its answer
    similarity = [spearmanr(trained[i].ravel(), redrawn[i].ravel())[0] for i in range(16)]
    assert np.nanmean(similarity) < 0.5, similarity  # and a re-drawn network's maps are not the same
