"""Channels-last placement changes no value: every registered family gives the same outputs and gradients."""

import copy

import pytest
import torch

from artlib.models import create_model, list_models
from artlib.utils.runtime import (
    CPU_FORWARD_PIXELS,
    forward_in_parts,
    place_images,
    place_model,
    prefers_channels_last,
    to_channels_last,
)


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


class _Outputs(torch.nn.Module):
    """A network with batch normalisation whose forward returns a dict and a tuple, counting its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.AdaptiveAvgPool2d(1))
        self.calls = 0

    def forward(self, x: torch.Tensor) -> dict:
        self.calls += 1
        pooled = self.net(x).flatten(1)
        return {"style": pooled, "pair": (pooled[:, :2], pooled.sum(1))}


@pytest.mark.parametrize("size, batch", [(224, 12), (128, 40), (64, 3), (31, 1)])
def test_forward_in_parts_gives_what_one_pass_gives_on_a_cpu(size, batch):
    torch.manual_seed(0)
    model = _Outputs().eval()
    x = torch.randn(batch, 3, size, size)
    with torch.no_grad():
        whole = model(x)
        model.calls = 0
        parted = forward_in_parts(model, model, x)
    step = max(1, CPU_FORWARD_PIXELS // (size * size))
    assert model.calls == -(-batch // step)  # in parts of at most CPU_FORWARD_PIXELS pixels
    torch.testing.assert_close(parted["style"], whole["style"], atol=1e-6, rtol=1e-5)
    assert isinstance(parted["pair"], tuple) and len(parted["pair"]) == 2
    for got, want in zip(parted["pair"], whole["pair"], strict=True):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


def test_forward_in_parts_keeps_one_pass_where_parts_would_change_the_answer():
    torch.manual_seed(0)
    model = _Outputs()
    x = torch.randn(40, 3, 128, 128)
    with torch.no_grad():  # training mode: batch normalisation's statistics are the whole batch's
        forward_in_parts(model, model, x)
    assert model.calls == 1
    model.eval()
    forward_in_parts(model, model, x)  # gradients wanted: one graph
    assert model.calls == 2


def test_forward_in_parts_refuses_outputs_it_cannot_join():
    model = torch.nn.Identity().eval()
    with torch.no_grad(), pytest.raises(TypeError, match="cannot join outputs of type str"):
        forward_in_parts(lambda images: "text", model, torch.zeros(40, 3, 128, 128))


@pytest.mark.parametrize(
    ("given", "env", "said"),
    [
        ("foo", None, "device='foo' is no device"),
        ("auto", "foo", "ARTLIB_DEVICE='foo' is no device"),
        ("cuda:99", None, "device='cuda:99': this machine has"),
        ("auto", "cuda:99", "ARTLIB_DEVICE='cuda:99': this machine has"),
    ],
)
def test_a_device_the_machine_lacks_is_named_before_a_model_moves(monkeypatch, given, env, said):
    """`artlib-predict --device cuda` on a CPU machine ended in torch's "Found no NVIDIA driver" traceback."""
    from artlib.utils.runtime import resolve_device

    monkeypatch.delenv("ARTLIB_DEVICE", raising=False)
    if env is not None:
        monkeypatch.setenv("ARTLIB_DEVICE", env)
    with pytest.raises(ValueError, match=said):
        resolve_device(given)


def test_cuda_and_mps_are_refused_where_absent_and_auto_or_cpu_always_work(monkeypatch):
    from artlib.utils.runtime import resolve_device

    monkeypatch.setenv("ARTLIB_DEVICE", "  ")  # blank: as if unset
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    for absent in ("cuda", "cuda:0", "mps", torch.device("cuda")):
        with pytest.raises(ValueError, match="this machine has"):
            resolve_device(absent)
    assert resolve_device("auto") == resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("ARTLIB_DEVICE", "cpu")
    assert resolve_device() == torch.device("cpu") and resolve_device("cpu") == torch.device("cpu")
