import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from artlib.data import load_painter_by_numbers
from artlib.data.dataset import ArtDataset, verify_images
from artlib.data.transforms import eval_transform
from artlib.models.siamese import siamese
from artlib.pairs import make_pairs, score_pairs
from artlib.pairs.dataset import PairDataset


def test_pairs_by_probabilities_and_their_auc_table():

    from artlib.pairs import auc_table, compare_probabilities

    probs = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    pairs = pd.DataFrame({"a": [0, 0, 2], "b": [1, 2, 3], "same": [1, 0, 1]})
    np.testing.assert_allclose(compare_probabilities(probs, pairs), [1.0, 0.0, 0.5])
    table = auc_table(
        pairs["same"].to_numpy(),
        {"perfect": np.array([0.9, 0.1, 0.8]), "reversed": np.array([0.1, 0.9, 0.2])},
        n_resamples=50,
    )
    assert table.loc["perfect", "roc_auc"] == 1.0 and table.loc["reversed", "roc_auc"] == 0.0
    assert table.loc["perfect", "positive_share"] == pytest.approx(2 / 3)


def test_score_pairs_equals_running_the_pairs_through_the_network(fixture_paths):
    table = verify_images(load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))).table
    pairs = make_pairs(table, k=4, seed=1)
    torch.manual_seed(0)
    model = siamese("simple_cnn", "all", widths=(4, 8)).eval()
    transform = eval_transform(32)
    with torch.no_grad():
        direct = torch.cat(
            [
                torch.softmax(model(x)["same"], 1)[:, 1]
                for x, _ in DataLoader(PairDataset(table, pairs, transform), batch_size=16)
            ]
        ).numpy()
    once = score_pairs(model, DataLoader(ArtDataset(table, transform), batch_size=16), pairs, device="cpu")
    np.testing.assert_allclose(once, direct, atol=1e-5)
    with pytest.raises(ValueError, match="embedding"):
        model.same_probability(torch.zeros(3, 4), torch.zeros(2, 4))
