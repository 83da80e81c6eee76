import numpy as np
import pytest
import torch

from artlib.data.loaders import make_loaders
from artlib.data.transforms import eval_transform, train_transform


def test_letterbox_keeps_the_whole_scroll():
    from artlib.data.transforms import PAD_FILL, train_transform

    scroll = np.zeros((400, 100, 3), np.uint8)  # a tall black hanging scroll
    scroll[:20] = 255  # white top end: cropped away by a centre crop, kept by the letterbox
    plain = ((0, 0, 0), (1, 1, 1))
    boxed = eval_transform(64, normalization=plain, fit="letterbox")(image=scroll)["image"]
    cropped = eval_transform(64, normalization=plain)(image=scroll)["image"]
    assert boxed.shape == cropped.shape == (3, 64, 64)
    assert torch.allclose(boxed[:, 32, 0], torch.tensor(PAD_FILL) / 255)  # grey margin beside the scroll
    assert boxed[:, 0, 32].min() > 0.9 and cropped[:, 0, 32].max() < 0.1  # the scroll's top survives
    assert torch.allclose(boxed[:, 32, 32], torch.zeros(3))
    assert train_transform(64, letterbox_p=1.0)(image=scroll)["image"].shape == (3, 64, 64)
    with pytest.raises(ValueError, match="fit"):
        eval_transform(64, fit="stretch")
    with pytest.raises(ValueError, match="letterbox_p"):
        train_transform(64, letterbox_p=2)
    with pytest.raises(ValueError, match="device_augment"):
        make_loaders({}, 64, device_augment=True, letterbox=True)


def test_zoom_out_keeps_the_whole_painting_on_a_plain_canvas():
    from artlib.data.transforms import CANVAS_FILLS, zoom_out

    painting = np.zeros((64, 64, 3), np.uint8)
    painting[...] = (0, 255, 0)  # a red square in an 8-pixel green frame: the frame must survive whole
    painting[8:-8, 8:-8] = (200, 0, 0)
    shrink = zoom_out(64, scale=(0.5, 0.5), p=1.0)
    shrink.set_random_seed(0)
    corners, canvases = set(), set()
    for _ in range(12):
        out = shrink(image=painting)["image"]
        assert out.shape == (64, 64, 3)
        inside = ~np.any([(out == fill).all(-1) for fill in CANVAS_FILLS], axis=0)
        rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
        assert len(rows) == len(cols) == 32 and inside.sum() == 32 * 32  # the whole painting, at half size
        assert (out[rows[0], cols[0]] == (0, 255, 0)).all() and (out[rows[-1], cols[-1]] == (0, 255, 0)).all()
        canvas = {tuple(c) for c in out[~inside].reshape(-1, 3)}
        assert len(canvas) == 1 and canvas <= set(CANVAS_FILLS)
        corners.add((rows[0], cols[0]))
        canvases |= canvas
    assert len(corners) > 3 and len(canvases) > 1  # placed at random on random backgrounds
    assert train_transform(64, zoom_out_p=1.0)(image=painting)["image"].shape == (3, 64, 64)
    with pytest.raises(ValueError, match="scale"):
        zoom_out(64, scale=(0.5, 1.2))
    with pytest.raises(ValueError, match="canvas colour"):
        zoom_out(64, fills=())
    with pytest.raises(ValueError, match="zoom_out_p"):
        train_transform(64, zoom_out_p=1.5)
    with pytest.raises(ValueError, match="device_augment"):
        make_loaders({}, 64, device_augment=True, zoom_out=0.5)
