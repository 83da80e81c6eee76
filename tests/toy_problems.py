"""Tiny problems tests share (tests/ is on the path: pyproject's pythonpath)."""

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


def untrained_classifier(table):
    """A seeded, untrained simple CNN for ``table``'s tasks, in eval mode."""
    torch.manual_seed(0)
    return create_model("simple_cnn", table.num_classes).eval()


def artist_table(n=60, classes=4):
    """``n`` paintings (no files) of ``classes`` artists, in turn."""
    import numpy as np
    import pandas as pd

    from artlib.data import ArtTable

    frame = pd.DataFrame({"path": [f"{i}.jpg" for i in range(n)], "artist": np.arange(n) % classes})
    return ArtTable(frame, {"artist": [f"a{c}" for c in range(classes)]})


def wikiart_of(fixture_paths):
    """The fixture's ArtGAN WikiArt CSV as a table."""
    from artlib.data import load_wikiart

    return load_wikiart(fixture_paths.wikiart_csv, image_root=fixture_paths.wikiart_images)
