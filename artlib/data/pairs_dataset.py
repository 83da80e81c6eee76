"""Datasets of pairs for Siamese training: ``(stacked pair, {'same': 0/1})``, of images or of features."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .dataset import ArtDataset
from .table import ArtTable


class PairDataset(Dataset):
    """Pairs ``a, b, same`` of row positions in ``table``; returns a (2, C, H, W) tensor and the label."""

    def __init__(self, table: ArtTable, pairs: pd.DataFrame, transform) -> None:
        self.images = ArtDataset(table, transform, on_error="raise")
        self.pairs = pairs[["a", "b", "same"]].to_numpy()

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, idx: int):
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
            raise ValueError(f"pairs index row {int(self.pairs[:, :2].max())} but there are features for "
                             f"{len(self.features)} images")

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, idx: int):
        a, b, same = self.pairs[idx]
        return self.features[[int(a), int(b)]], {"same": torch.tensor(int(same))}
