import numpy as np
import torch
import torch.nn as nn

from artlib.models import create_model, input_normalization


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
