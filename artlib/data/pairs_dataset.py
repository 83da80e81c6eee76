"""Dataset of image pairs for Siamese training: ``(stacked pair, {'same': 0/1})``."""
from __future__ import annotations

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
