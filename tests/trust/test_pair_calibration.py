import numpy as np
import torch

from artlib.trust.pair_calibration import calibrate_same_artist, neighbour_pairs, same_artist_report


class LookAlikeHead(torch.nn.Module):
    """A head that says "same artist" whenever two paintings look alike (as one trained on random pairs does)."""

    def embed(self, x):
        return x

    def same_probability(self, a, b):
        return torch.sigmoid(6 - 1.5 * (a - b).norm(dim=1))


def test_neighbour_pairs_never_pair_a_painting_with_itself():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(30, 8))
    pairs = neighbour_pairs(features, np.arange(20, 30), k=4, random_per_query=2)
    assert (pairs["a"] != pairs["b"]).all() and set(pairs["a"]) == set(range(20, 30))
    assert (pairs["kind"] == "neighbour").sum() == 40
    nearest = pairs[pairs["kind"] == "neighbour"].groupby("a")["b"].first()
    sims = features @ features.T / np.outer(np.linalg.norm(features, axis=1), np.linalg.norm(features, axis=1))
    np.fill_diagonal(sims, -2)
    assert all(nearest[a] == sims[a].argmax() for a in nearest.index)


def test_calibration_on_look_alikes_removes_confident_mistakes():
    """Look-alike paintings by different artists (shared style centres) that a head calls 'same' with 0.9+."""
    rng = np.random.default_rng(0)
    styles = rng.normal(size=(4, 12)) * 4
    artist_style = np.arange(12) % 4  # three artists per style
    artists = {s: rng.integers(0, 12, n) for s, n in (("train", 300), ("val", 120), ("test", 120))}
    features = {s: styles[artist_style[a]] + rng.normal(size=(len(a), 12)) * 0.5 for s, a in artists.items()}
    trust, extra = calibrate_same_artist(LookAlikeHead(), features, artists, k=6)
    report = trust.test
    assert report["confident_wrong_raw"] > 0.5 and report["confident_wrong"] < 0.1
    assert report["ece"] < report["ece_raw"]
    assert len(extra["test_pairs"]) == report["pairs"]


def test_report_of_a_perfect_score():
    same = np.array([1, 0, 1, 0, 0, 1])
    kind = np.array(["neighbour"] * 4 + ["random"] * 2)
    report = same_artist_report(same * 0.95, same * 0.95, same, kind)
    assert report["confident_wrong"] == 0 and report["different_artist_neighbours"] == 2
