"""Channels-last placement changes no value: every registered family gives the same outputs and gradients."""

import copy

import pytest
import torch

from artlib.models import create_model, list_models
from artlib.utils.runtime import place_images, place_model, prefers_channels_last, to_channels_last


def _one_of_each_family() -> list[str]:
    names = [n for n in list_models() if n not in {"siamese_head", "metric_embedding"}]
    picked: dict[str, str] = {}
    for name in names:
        family = name if name.startswith("tv_") else "_".join(name.split("_")[:2])
        picked.setdefault(family, name)
    return sorted(set(picked.values()) - {"tv_vgg19", "tv_resnet50", "tv_resnet34"})  # their smaller kin stay


@pytest.mark.parametrize("name", _one_of_each_family())
def test_channels_last_gives_the_same_outputs_and_gradients(name):
    torch.manual_seed(0)
    # in float64: float32 rounding differs with the layout and grows through a randomly initialised deep network
    # (0.07 % of RLA-ResNet's gradient), which would hide a real difference such as a lost in-place alias
    model = create_model(name, {"style": 3, "genre": 2}).eval().double()
    twin = place_model(copy.deepcopy(model), torch.device("cpu"))
    x = torch.randn(4, 3, 64, 64, dtype=torch.float64)
    torch.manual_seed(1)  # one dropout mask for both
    out = model(x)
    torch.manual_seed(1)
    out_last = twin(place_images(x, torch.device("cpu")))
    for task in out:
        torch.testing.assert_close(out_last[task], out[task], atol=1e-9, rtol=1e-9)
    sum(o.sum() for o in out.values()).backward()
    sum(o.sum() for o in out_last.values()).backward()
    grads = [
        (p.grad.flatten(), q.grad.flatten())
        for p, q in zip(model.parameters(), twin.parameters(), strict=True)
        if p.grad is not None
    ]
    plain, last = (torch.cat(g) for g in zip(*grads, strict=True))
    assert (last - plain).norm() / plain.norm() < 1e-9, name  # the whole gradient: some of its parts are near 0


def test_only_batches_of_images_change_order_and_mps_is_left_alone():
    assert to_channels_last(torch.zeros(2, 3, 4, 4)).is_contiguous(memory_format=torch.channels_last)
    pairs = torch.zeros(2, 2, 3, 4, 4)
    assert to_channels_last(pairs) is pairs
    assert prefers_channels_last(torch.device("cpu")) and not prefers_channels_last(torch.device("mps"))
