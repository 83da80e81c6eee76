"""A tiny training problem the Trainer's tests share (tests/ is on the path: pyproject's pythonpath)."""

import torch
from torch.utils.data import DataLoader, TensorDataset

from artlib.models import create_model


def _tiny_problem():
    torch.manual_seed(0)
    x = torch.randn(64, 3, 8, 8)
    y = (x.mean((1, 2, 3)) > 0).long()
    ds = TensorDataset(x, y)

    class Wrap(torch.utils.data.Dataset):
        def __len__(self):
            return len(ds)

        def __getitem__(self, i):
            a, b = ds[i]
            return a, {"label": b}

    return DataLoader(Wrap(), batch_size=16, shuffle=True)


def _model():
    torch.manual_seed(1)
    return create_model("simple_cnn", {"label": 2}, widths=(4, 8), dropout=0.5)
