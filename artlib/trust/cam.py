"""Where the model looked: Grad-CAM heat maps (pytorch-grad-cam) for any artlib classifier and task.

    maps = class_activation_maps(model, images, task="style")          # (n, H, W) in [0, 1], top class each
    overlay(view_pixels(images[0], normalization), maps[0])            # uint8 RGB picture for a person

Grad-CAM weighs the last feature map that the classifier pools (``backbone.feature_map`` where a backbone marks
it: EfficientNet, RLA-ResNet with its hidden state; else the last convolution) by the gradient of the chosen
class's logit. At a small input that map has few cells (4x4 for Lite0 at 128 px): given the input's size,
:func:`cam_layer` takes the deepest convolution with at least :data:`MIN_CELLS` cells a side instead.
:func:`mirrored_maps` averages a painting's map with its mirror image's (flipped back), as the answer averages
the two. One backward pass per batch, so it is cheap enough for a page; Score-CAM and the other methods of the
same library take the same arguments (``method=``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn as nn

from ..data.transforms import Normalization
from ..models.contract import marked_feature_map

METHODS = ("gradcam", "gradcam++", "scorecam", "layercam")


#: a map with fewer cells a side than this says little about where (Lite0 at 128 px ends at 4x4)
MIN_CELLS = 7


def _last_layer(model: nn.Module) -> nn.Module:
    for module in model.modules():
        marked = marked_feature_map(module)
        if marked is not None:
            return marked
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise TypeError(f"{type(model).__name__} has no convolution to explain with a class activation map")
    return convs[-1]


def _map_sides(model: nn.Module, image_size: int) -> list[tuple[nn.Module, int]]:
    """Each convolution (and the marked map) with the smaller side of its output at ``image_size``, in the order
    the forward pass runs them."""
    seen: list[tuple[nn.Module, int]] = []
    modules = [m for m in model.modules() if isinstance(m, nn.Conv2d)] + [_last_layer(model)]
    hooks = [
        m.register_forward_hook(lambda mod, _i, out: seen.append((mod, min(out.shape[-2:]))))
        for m in dict.fromkeys(modules)
    ]
    device = next(model.parameters()).device
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, image_size, image_size, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return seen


def cam_layer(model: nn.Module, image_size: int | None = None) -> nn.Module:
    """The layer whose output Grad-CAM explains: the backbone's marked ``feature_map``, else the last ``Conv2d``;
    given ``image_size``, the deepest of them whose output keeps at least :data:`MIN_CELLS` cells a side there
    (the marked map when it does; the largest map when none does)."""
    last = _last_layer(model)
    if image_size is None:
        return last
    sides = _map_sides(model, image_size)
    if not sides:
        return last
    side_of = dict(sides)
    if side_of.get(last, 0) >= MIN_CELLS:
        return last
    wide = [module for module, side in sides if side >= MIN_CELLS]
    return wide[-1] if wide else max(sides, key=lambda pair: pair[1])[0]


class _TaskLogits(nn.Module):
    """A multitask model seen as a single-output one (``{task: logits}`` -> ``logits``), as the library expects."""

    def __init__(self, model: nn.Module, task: str) -> None:
        super().__init__()
        self.model, self.task = model, task

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        if isinstance(out, dict):
            if self.task not in out:
                raise KeyError(f"the model has no task {self.task!r}; it has {list(out)}")
            return out[self.task]
        return out


def _cam_class(method: str) -> type:
    import pytorch_grad_cam as cams

    classes = {"gradcam": cams.GradCAM, "gradcam++": cams.GradCAMPlusPlus, "scorecam": cams.ScoreCAM}
    classes["layercam"] = cams.LayerCAM
    if method not in classes:
        raise ValueError(f"unknown CAM method {method!r}; choose from {METHODS}")
    return classes[method]


def class_activation_maps(
    model: nn.Module,
    images: torch.Tensor,
    task: str,
    classes: Sequence[int] | None = None,
    method: str = "gradcam",
    layer: nn.Module | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Heat maps ``(n, H, W)`` in [0, 1] at the input's size, and the class each explains (``classes``, or the
    model's top class of ``task`` for each image). ``images``: a normalised ``(n, 3, H, W)`` batch; ``layer``:
    the map to explain (default: :func:`cam_layer` at the images' size)."""
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    if images.ndim != 4:
        raise ValueError(f"images must be a (n, 3, H, W) batch, got shape {tuple(images.shape)}")
    was_training = model.training
    wrapped = _TaskLogits(model.eval(), task)
    device = next(model.parameters()).device
    images = images.to(device)
    if classes is None:
        with torch.no_grad():
            classes = wrapped(images).argmax(1).tolist()
    chosen = [int(c) for c in classes]
    if len(chosen) != len(images):
        raise ValueError(f"{len(chosen)} classes for {len(images)} images")
    target = layer if layer is not None else cam_layer(model, min(images.shape[-2:]))
    with _cam_class(method)(model=wrapped, target_layers=[target]) as cam:
        maps = cam(input_tensor=images, targets=[ClassifierOutputTarget(c) for c in chosen])
    model.train(was_training)
    return np.nan_to_num(np.asarray(maps, dtype=np.float32)).clip(0, 1), np.asarray(chosen)


def mirrored_maps(
    model: nn.Module, images: torch.Tensor, task: str, classes: Sequence[int], method: str = "gradcam"
) -> np.ndarray:
    """The maps of ``classes`` on ``images`` and on their mirror images (flipped back), averaged: the explanation
    of an answer that averages the two. Rescaled to [0, 1] per image."""
    layer = cam_layer(model, min(images.shape[-2:]))  # found once (a probe forward pass) for both
    direct, _ = class_activation_maps(model, images, task, classes, method, layer)
    mirrored, _ = class_activation_maps(model, torch.flip(images, dims=[-1]), task, classes, method, layer)
    heat = (direct + mirrored[:, :, ::-1]) / 2
    top = heat.reshape(len(heat), -1).max(1).reshape(-1, 1, 1)
    return np.where(top > 0, heat / np.maximum(top, 1e-12), heat).astype(np.float32)


def view_pixels(image: torch.Tensor, normalization: Normalization) -> np.ndarray:
    """A normalised ``(3, H, W)`` tensor back to the ``(H, W, 3)`` float picture in [0, 1] the model saw."""
    mean, std = (torch.tensor(v, dtype=torch.float32).view(3, 1, 1) for v in normalization)
    return (image.detach().cpu().float() * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()


def overlay(picture: np.ndarray, heat: np.ndarray, weight: float = 0.55) -> np.ndarray:
    """The heat map over the picture (jet colours, ``weight`` of the picture), as uint8 RGB."""
    from pytorch_grad_cam.utils.image import show_cam_on_image

    picture = np.asarray(picture, dtype=np.float32)
    if picture.max() > 1:
        picture = picture / 255.0
    if heat.shape != picture.shape[:2]:
        raise ValueError(f"heat map {heat.shape} and picture {picture.shape[:2]} differ in size")
    return show_cam_on_image(picture, heat.astype(np.float32), use_rgb=True, image_weight=weight)
