"""DataLoaders for train/val/test tables with the standard transforms."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence, Sized
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch.utils.data import DataLoader

from .dataset import ArtDataset, collate_skip_none
from .device_augment import decode_transform
from .seeded import SeededShuffle
from .table import ArtTable
from .transforms import IMAGENET, Normalization, train_transform
from .tta import views_transform


def dataset_size(loader: DataLoader) -> int:
    """How many rows ``loader`` reads (its dataset's length); a dataset without one is a ``TypeError``."""
    dataset = loader.dataset
    if not isinstance(dataset, Sized):
        raise TypeError(f"the loader's {type(dataset).__name__} has no length: give a map-style dataset")
    return len(dataset)


@dataclass(frozen=True)
class LoaderOptions:
    """How a loader reads, transforms and batches its table (every option of :func:`make_loaders`).

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
    evaluation loader yields ``(B, V, 3, size, size)`` batches, which ``Trainer.predict`` averages.
    ``trim_margins=True``: every split first crops uniform padding bands away (see
    :mod:`artlib.data.margins`), so padded and unpadded copies of a painting look alike.
    ``decode_scale``: large JPEGs (full-resolution scans) are decoded at 1/2-1/8 scale while their
    shorter side stays at least ``decode_scale * image_size`` (several times faster; ``None``: full size).
    ``zoom_out``: share of training crops shrunk onto a plain canvas (:func:`artlib.data.transforms.zoom_out`).
    """

    image_size: int = 224
    batch_size: int = 64
    num_workers: int = 0
    strength: float = 1.0
    seed: int = 0
    on_error: str = "skip"
    return_index: bool = False
    normalization: Normalization = IMAGENET
    device_augment: bool = False
    letterbox: bool = False
    tta_views: Sequence[str] | None = None
    trim_margins: bool = False
    decode_scale: float | None = 2.0
    zoom_out: float = 0.0

    def __post_init__(self) -> None:
        if self.device_augment and (self.letterbox or self.tta_views or self.trim_margins or self.zoom_out):
            raise ValueError("letterbox, tta_views, trim_margins and zoom_out are not available with device_augment")


def make_loader(table: ArtTable, *, train: bool, options: LoaderOptions | None = None, **changes: Any) -> DataLoader:
    """One loader over ``table``: ``train=True`` augments and shuffles (and drops a last partial batch),
    ``train=False`` reads every image once, in order, with the evaluation transform (or the test-time views).
    ``changes``: :class:`LoaderOptions` fields, over ``options``."""
    o = replace(options or LoaderOptions(), **changes)
    if o.device_augment:
        transform = decode_transform(o.image_size)
    elif train:
        transform = train_transform(
            o.image_size,
            o.strength,
            normalization=o.normalization,
            letterbox_p=0.5 if o.letterbox else 0.0,
            trim_margins=o.trim_margins,
            zoom_out_p=o.zoom_out,
        )
    else:
        views = o.tta_views or ("letterbox" if o.letterbox else "crop",)
        transform = views_transform(views, o.image_size, o.normalization, o.trim_margins)
    decode_side = math.ceil(o.decode_scale * o.image_size) if o.decode_scale else None
    dataset = ArtDataset(table, transform, on_error=o.on_error, return_index=o.return_index, decode_side=decode_side)
    return DataLoader(
        dataset,
        batch_size=o.batch_size,
        sampler=SeededShuffle(len(dataset), seed=o.seed) if train else None,
        drop_last=train and len(table) > o.batch_size,
        num_workers=o.num_workers,
        pin_memory=torch.cuda.is_available(),
        collate_fn=collate_skip_none,
        persistent_workers=o.num_workers > 0,
    )


def make_loaders(
    tables: dict[str, ArtTable],
    image_size: int = 224,
    batch_size: int = 64,
    num_workers: int = 0,
    *,
    train: Collection[str] | None = None,
    **options: Any,
) -> dict[str, DataLoader]:
    """A loader per table (:func:`make_loader`): the tables named in ``train`` (default: the one called
    ``"train"``, if any) are augmented and shuffled, every other one is read as at test time, whatever its name
    (``train=()``: none, e.g. a training split used as a retrieval gallery). ``options``: :class:`LoaderOptions`.
    """
    if train is None:
        train = ("train",)
    elif isinstance(train, str) or set(train) - set(tables):
        raise ValueError(f"train names the training tables among {sorted(tables)}, got {train!r}")
    shared = LoaderOptions(image_size, batch_size, num_workers, **options)
    return {name: make_loader(table, train=name in train, options=shared) for name, table in tables.items()}
