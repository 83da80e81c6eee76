"""DataLoaders for train/val/test tables with the standard transforms."""

from __future__ import annotations

import math
from collections.abc import Sequence, Sized

import torch
from torch.utils.data import DataLoader

from .dataset import ArtDataset, collate_skip_none
from .device_augment import decode_transform
from .seeded import SeededShuffle
from .table import ArtTable
from .transforms import IMAGENET, Normalization, eval_transform, train_transform
from .tta import MultiView


def dataset_size(loader: DataLoader) -> int:
    """How many rows ``loader`` reads (its dataset's length); a dataset without one is a ``TypeError``."""
    dataset = loader.dataset
    if not isinstance(dataset, Sized):
        raise TypeError(f"the loader's {type(dataset).__name__} has no length: give a map-style dataset")
    return len(dataset)


def make_loaders(
    tables: dict[str, ArtTable],
    image_size: int = 224,
    batch_size: int = 64,
    num_workers: int = 0,
    strength: float = 1.0,
    seed: int = 0,
    on_error: str = "skip",
    return_index: bool = False,
    normalization: Normalization = IMAGENET,
    device_augment: bool = False,
    letterbox: bool = False,
    tta_views: Sequence[str] | None = None,
    trim_margins: bool = False,
    decode_scale: float | None = 2.0,
    zoom_out: float = 0.0,
) -> dict[str, DataLoader]:
    """``train`` gets augmentation and shuffling; every other split the eval transform.

    The training order and each training sample's augmentation seed come from torch's global RNG
    (:class:`SeededShuffle`; the Trainer reseeds it every epoch), so a resumed run sees the same order
    and the same augmentations, bit for bit, whatever the worker count; ``seed`` offsets those seeds.
    Unreadable images are logged and dropped from their batch (``on_error='skip'``).
    ``normalization`` must match the weights: pass ``input_normalization(model)``.
    ``device_augment=True``: every split yields fixed-size uint8 images (decode only); augment and
    normalise them on the GPU with ``Trainer(batch_transforms=device_transforms(...))``.
    ``letterbox=True``: evaluation sees each whole image in a padded square instead of a centre
    crop, and half the training images are letterboxed before their random crop.
    ``tta_views`` (e.g. ``("letterbox", "start", "end")``, see :mod:`artlib.data.tta`): every
    split but ``train`` yields ``(B, V, 3, size, size)`` batches, which ``Trainer.predict`` averages.
    ``trim_margins=True``: every split first crops uniform padding bands away (see
    :mod:`artlib.data.margins`), so padded and unpadded copies of a painting look alike.
    ``decode_scale``: large JPEGs (full-resolution scans) are decoded at 1/2-1/8 scale while their
    shorter side stays at least ``decode_scale * image_size`` (several times faster; ``None``: full size).
    ``zoom_out``: share of training crops shrunk onto a plain canvas (:func:`artlib.data.transforms.zoom_out`).
    """
    if device_augment and (letterbox or tta_views or trim_margins or zoom_out):
        raise ValueError("letterbox, tta_views, trim_margins and zoom_out are not available with device_augment")
    loaders = {}
    for name, table in tables.items():
        train = name == "train"
        if device_augment:
            transform = decode_transform(image_size)
        elif train:
            transform = train_transform(
                image_size,
                strength,
                normalization=normalization,
                letterbox_p=0.5 if letterbox else 0.0,
                trim_margins=trim_margins,
                zoom_out_p=zoom_out,
            )
        elif tta_views:
            transform = MultiView(tta_views, image_size, normalization, trim_margins=trim_margins)
        else:
            transform = eval_transform(
                image_size,
                normalization=normalization,
                fit="letterbox" if letterbox else "crop",
                trim_margins=trim_margins,
            )
        decode_side = math.ceil(decode_scale * image_size) if decode_scale else None
        dataset = ArtDataset(table, transform, on_error=on_error, return_index=return_index, decode_side=decode_side)
        loaders[name] = DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=SeededShuffle(len(dataset), seed=seed) if train else None,
            drop_last=train and len(table) > batch_size,
            num_workers=num_workers,
            pin_memory=torch.cuda.is_available(),
            collate_fn=collate_skip_none,
            persistent_workers=num_workers > 0,
        )
    return loaders
