"""A "same artist" probability that means what it says on the pairs a person sees.

The explorer's *Similar* page scores a painting against its nearest neighbours: exactly the look-alikes by other
painters that a Siamese head, trained on random pairs, calls "same artist" with 0.95+. The calibration set is
drawn the same way (each painting's ``k`` nearest neighbours by cosine similarity of raw features, as the page's
index finds them, plus random pairs), and a Platt scaler fitted on it maps the head's probability to one that
holds on such pairs.

    pairs = neighbour_pairs(raw_features, queries=val_rows, k=8)
    scaler = PlattScaler.fit(head_scores(pairs), same(pairs))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .calibration import PlattScaler, binary_ece
from .evaluation import put_interval, rows_interval, share_interval
from .open_set import nearest_rows, normalized
from .task_trust import TaskTrust

if TYPE_CHECKING:
    from ..models.siamese import SiameseNet

#: a different-artist neighbour scored at least this counts as a confident mistake
CONFIDENT = 0.9


def neighbour_pairs(
    features: np.ndarray, queries: np.ndarray, k: int = 8, random_per_query: int = 2, seed: int = 0
) -> pd.DataFrame:
    """Pairs ``a, b, kind`` of rows of ``features``: each query row with its ``k`` nearest other rows (``neighbour``,
    cosine similarity, as the Similar page) and ``random_per_query`` random other rows (``random``)."""
    queries = np.asarray(queries, dtype=np.int64)
    if len(features) < 2 or not len(queries):
        return pd.DataFrame({"a": [], "b": [], "kind": []}).astype({"a": int, "b": int})
    k = min(k, len(features) - 1)
    _, rows = nearest_rows(features[queries], normalized(features), k + 1)
    a, b = [], []
    for query, found in zip(queries, rows, strict=True):
        others = [int(r) for r in found if r != query][:k]
        a += [int(query)] * len(others)
        b += others
    kind = ["neighbour"] * len(a)
    rng = np.random.default_rng(seed)
    for query in queries:
        picks = rng.integers(0, len(features) - 1, random_per_query)
        b += [int(p + (p >= query)) for p in picks]  # any row but the query itself
        a += [int(query)] * random_per_query
        kind += ["random"] * random_per_query
    return pd.DataFrame({"a": a, "b": b, "kind": kind}).drop_duplicates(["a", "b"]).reset_index(drop=True)


def same_artist_report(raw: np.ndarray, calibrated: np.ndarray, same: np.ndarray, kind: np.ndarray) -> dict:
    """ECE (15 bins) of the raw and the calibrated same-artist probability on all pairs, and the share of
    different-artist *neighbours* scored >= 0.9, each with its 95 % interval."""
    raw, calibrated = np.asarray(raw, dtype=float), np.asarray(calibrated, dtype=float)
    same, kind = np.asarray(same).astype(int), np.asarray(kind)
    out: dict = {"pairs": len(same), "neighbour_pairs": int((kind == "neighbour").sum())}
    if len(same) >= 2:
        put_interval(out, "ece_raw", rows_interval(lambda r: binary_ece(raw[r], same[r]), len(same)))
        put_interval(out, "ece", rows_interval(lambda r: binary_ece(calibrated[r], same[r]), len(same)))
    other_neighbours = (kind == "neighbour") & (same == 0)
    out["different_artist_neighbours"] = int(other_neighbours.sum())
    put_interval(out, "confident_wrong_raw", share_interval(raw[other_neighbours] >= CONFIDENT))
    put_interval(out, "confident_wrong", share_interval(calibrated[other_neighbours] >= CONFIDENT))
    neighbours = kind == "neighbour"
    put_interval(out, "neighbour_same_share", share_interval(same[neighbours]))
    put_interval(out, "neighbour_mean_raw", share_interval(raw[neighbours]))
    put_interval(out, "neighbour_mean", share_interval(calibrated[neighbours]))
    return out


def pair_probabilities(head: SiameseNet, features: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
    """A Siamese head's raw "same artist" probability of each pair of rows of ``features`` (its input space)."""
    import torch

    with torch.no_grad():
        x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
        embedded = head.embed(x)
        a, b = embedded[torch.tensor(pairs["a"].to_numpy())], embedded[torch.tensor(pairs["b"].to_numpy())]
        return head.same_probability(a, b).cpu().numpy()


def calibrate_same_artist(
    head: SiameseNet,
    features: dict[str, np.ndarray],
    artists: dict[str, np.ndarray],
    k: int = 8,
    random_per_query: int = 2,
    seed: int = 0,
) -> tuple[TaskTrust, dict]:
    """Platt-scale ``head`` on validation pairs drawn as the Similar page draws them, and measure it on test pairs.

    ``features`` and ``artists`` (one artist code per painting) per split ``train``, ``val``, ``test``. Validation
    paintings are paired with their nearest neighbours among the training and validation paintings, test
    paintings with theirs among all (the page searches the whole collection). Returns the ``same`` task's trust
    (its ``test`` holds :func:`same_artist_report`) for the head's model card.
    """
    fit_pool = np.concatenate([features["train"], features["val"]])
    fit_artists = np.concatenate([artists["train"], artists["val"]])
    val_rows = np.arange(len(features["train"]), len(fit_pool))
    fit_pairs = neighbour_pairs(fit_pool, val_rows, k, random_per_query, seed)
    fit_same = fit_artists[fit_pairs["a"]] == fit_artists[fit_pairs["b"]]
    scaler = PlattScaler.fit(pair_probabilities(head, fit_pool, fit_pairs), fit_same)
    pool = np.concatenate([fit_pool, features["test"]])
    all_artists = np.concatenate([fit_artists, artists["test"]])
    test_pairs = neighbour_pairs(pool, np.arange(len(fit_pool), len(pool)), k, random_per_query, seed)
    same = all_artists[test_pairs["a"]] == all_artists[test_pairs["b"]]
    raw = pair_probabilities(head, pool, test_pairs)
    trust = TaskTrust.from_platt(scaler, fitted_on={"pairs": len(fit_pairs), "neighbours_k": k})
    trust.test = same_artist_report(raw, scaler(raw), same, test_pairs["kind"].to_numpy())
    return trust, {"test_pairs": test_pairs.assign(same=same, raw=raw, calibrated=scaler(raw))}
