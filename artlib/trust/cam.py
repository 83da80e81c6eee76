"""Where the model looked: Grad-CAM heat maps (pytorch-grad-cam) for any artlib classifier and task.

    maps = class_activation_maps(model, images, task="style")          # (n, H, W) in [0, 1], top class each
    overlay(view_pixels(images[0], normalization), maps[0])            # uint8 RGB picture for a person

Grad-CAM weighs the last feature map that the classifier pools (``backbone.feature_map`` where a backbone marks
it: EfficientNet, RLA-ResNet with its hidden state; else the last convolution) by the gradient of the chosen
class's logit. One backward pass per batch, so it is cheap enough for a page; Score-CAM and the other methods of
the same library take the same arguments (``method=``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn as nn

from ..data.transforms import Normalization

METHODS = ("gradcam", "gradcam++", "scorecam", "layercam")


def cam_layer(model: nn.Module) -> nn.Module:
    """The layer whose output Grad-CAM explains: the backbone's marked ``feature_map``, else the last ``Conv2d``."""
    for module in model.modules():
        marked = getattr(module, "feature_map", None)
        if isinstance(marked, nn.Module):
            return marked
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise TypeError(f"{type(model).__name__} has no convolution to explain with a class activation map")
    return convs[-1]


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
) -> tuple[np.ndarray, np.ndarray]:
    """Heat maps ``(n, H, W)`` in [0, 1] at the input's size, and the class each explains (``classes``, or the
    model's top class of ``task`` for each image). ``images``: a normalised ``(n, 3, H, W)`` batch."""
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
    with _cam_class(method)(model=wrapped, target_layers=[cam_layer(model)]) as cam:
        maps = cam(input_tensor=images, targets=[ClassifierOutputTarget(c) for c in chosen])
    model.train(was_training)
    return np.nan_to_num(np.asarray(maps, dtype=np.float32)).clip(0, 1), np.asarray(chosen)


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
