"""Datasets of pairs for Siamese training: ``(stacked pair, {'same': 0/1})``, of images or of features."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from ..data.dataset import ArtDataset
from ..data.table import ArtTable
from ..data.transforms import Normalization


class PairDataset(Dataset):
    """Pairs ``a, b, same`` of row positions in ``table``; returns a (2, C, H, W) tensor and the label."""

    def __init__(self, table: ArtTable, pairs: pd.DataFrame, transform: Callable[..., dict]) -> None:
        self.images = ArtDataset(table, transform, on_error="raise")
        self.pairs = pairs[["a", "b", "same"]].to_numpy()

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        a, b, same = self.pairs[idx]
        pair = torch.stack([self.images[int(a)][0], self.images[int(b)][0]])
        return pair, {"same": torch.tensor(int(same))}


class FeaturePairDataset(Dataset):
    """Pairs ``a, b, same`` of rows of a feature matrix (one row per image of the table the pairs index);
    returns a (2, D) tensor and the label. Training a head on frozen features takes seconds, not epochs
    of image decoding."""

    def __init__(self, features: np.ndarray | torch.Tensor, pairs: pd.DataFrame) -> None:
        self.features = torch.as_tensor(np.asarray(features, dtype=np.float32))
        if self.features.dim() != 2:
            raise ValueError(f"features must be an (images, D) matrix, got shape {tuple(self.features.shape)}")
        self.pairs = pairs[["a", "b", "same"]].to_numpy()
        if len(self.pairs) and self.pairs[:, :2].max() >= len(self.features):
            raise ValueError(
                f"pairs index row {int(self.pairs[:, :2].max())} but there are features for {len(self.features)} images"
            )

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        a, b, same = self.pairs[idx]
        return self.features[[int(a), int(b)]], {"same": torch.tensor(int(same))}


def pair_loaders(
    splits: dict[str, tuple[ArtTable, pd.DataFrame]],
    image_size: int,
    normalization: Normalization,
    batch_size: int = 32,
    num_workers: int = 0,
    strength: float = 0.5,
) -> dict[str, DataLoader]:
    """Image-pair loaders for an end-to-end Siamese model, ``{split: (table, pairs)}`` -> loaders: ``train``
    augmented (``strength``) and shuffled, the others with the evaluation transform; ``normalization``
    as the model's weights expect (:func:`artlib.models.input_normalization`)."""
    from ..data.transforms import eval_transform, train_transform

    return {
        name: DataLoader(
            PairDataset(
                t,
                p,
                train_transform(image_size, strength, normalization=normalization)
                if name == "train"
                else eval_transform(image_size, normalization=normalization),
            ),
            batch_size=batch_size,
            shuffle=name == "train",
            num_workers=num_workers,
        )
        for name, (t, p) in splits.items()
    }


def feature_pair_loaders(
    features: dict[str, np.ndarray], pairs: dict[str, pd.DataFrame], batch_size: int = 256
) -> dict[str, DataLoader]:
    """Loaders of feature pairs per split (``train`` shuffled) for a head on frozen features."""
    return {
        k: DataLoader(FeaturePairDataset(features[k], p), batch_size=batch_size, shuffle=k == "train")
        for k, p in pairs.items()
    }
