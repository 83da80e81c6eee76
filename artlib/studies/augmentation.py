"""Notebook 02's pictures of what augmentation does to one painting: margins trimmed, augmentation drawn on the
device, and MixUp / CutMix batches."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..data.transforms import denormalize, eval_transform

if TYPE_CHECKING:
    import matplotlib.pyplot as plt


def trim_margins_figure(image: np.ndarray, size: int, pad: tuple[int, int, int] = (250, 250, 250)) -> plt.Figure:
    """``image`` padded to a wide square in ``pad`` (as a crawled copy), then letterboxed without and with
    ``trim_margins``: the trimmed copy fills the square as the original does."""
    import cv2

    from ..data import content_box
    from ..plots import plot_image_grid

    side = image.shape[0] // 2
    padded = cv2.copyMakeBorder(image, 0, 0, side, side, cv2.BORDER_CONSTANT, value=pad)
    print("content box (top, bottom, left, right):", content_box(padded), "of", padded.shape[:2])
    shown = {"crawled copy": padded}
    for trim in (False, True):
        plain = ((0, 0, 0), (1, 1, 1))
        transform = eval_transform(size, normalization=plain, fit="letterbox", trim_margins=trim)
        tensor = transform(image=padded)["image"]
        shown[f"letterbox, trim_margins={trim}"] = (tensor.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    return plot_image_grid(list(shown.values()), list(shown), cols=3)


def device_draws_figure(image: np.ndarray, size: int, draws: int = 7) -> plt.Figure:
    """The uint8 image a loader worker returns, and ``draws`` augmentations of it drawn in one call on the device
    (a different draw per sample: :class:`~artlib.data.device_augment.DeviceAugment`)."""
    from ..data.device_augment import DeviceAugment, decode_transform
    from ..plots import plot_image_grid

    raw = torch.as_tensor(decode_transform(size)(image=image)["image"])
    augmented = DeviceAugment(size, strength=1.0)(raw[None].repeat(draws, 1, 1, 1))
    pictures = [raw.permute(1, 2, 0).numpy()] + [denormalize(x) for x in augmented]
    captions = ["decoded (uint8)"] + [f"device draw {i + 1}" for i in range(draws)]
    return plot_image_grid(pictures, captions, cols=4)


def mixing_figure(images: list[np.ndarray], size: int, seed: int = 0) -> plt.Figure:
    """A batch of paintings, then the same batch mixed by MixUp and by CutMix (each row titled with its mixing
    weight ``lam``)."""
    from ..plots import plot_image_grid
    from ..train import MixUpCutMix

    torch.manual_seed(seed)
    clean = torch.stack([torch.as_tensor(eval_transform(size)(image=image)["image"]) for image in images])
    blank = [""] * (len(clean) - 1)
    pictures, captions = [denormalize(x) for x in clean], ["original", *blank]
    for name, mixer in {"MixUp": MixUpCutMix(mixup_alpha=1.0), "CutMix": MixUpCutMix(cutmix_alpha=1.0)}.items():
        mixed = mixer(clean)
        pictures += [denormalize(x) for x in mixed.images]
        captions += [f"{name} lam={mixed.lam:.2f}", *blank]
    return plot_image_grid(pictures, captions, cols=len(clean))
