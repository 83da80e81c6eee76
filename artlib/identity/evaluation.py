"""Identity figures on painters the model never saw, each with a 95 % interval.

* :func:`open_set_report`: known artists against held-out painters (and against seen others): AUROC, the share of
  held-out painters' paintings accepted as a known artist, named with >= 50 %, the share of known ones rejected;
  and the artist sets that can hold "someone else": coverage and ECE over *all* test paintings, and by role;
  :func:`operating_point`: the same shares at a threshold chosen on validation for a given known-artist recall.
* :func:`same_artist_report`: same-painter ROC AUC of several scorers on the same pairs of held-out test
  painters: random pairs, and each painting with its nearest neighbours in the collection as the Similar page
  finds them. Intervals resample painters (a painter's pairs go together), not pairs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..data.table import ArtTable
from ..evaluation.significance import Interval, roc_auc
from ..trust.calibration import expected_calibration_error
from ..trust.conformal import set_coverage
from ..trust.evaluation import auroc_interval, put_interval, rows_interval, share_interval
from ..trust.pair_calibration import neighbour_pairs
from .model import IdentityModel, answer_labels

NAMED_AT = 0.5
#: the roles of test paintings whose right answer is "someone else"
OTHERS = ("seen", "held_out")


def clustered_interval(
    metric: Callable[[np.ndarray], float], clusters: np.ndarray, n_resamples: int = 1000, seed: int = 0
) -> Interval:
    """``metric(rows)`` on all rows, with a percentile interval from resampling whole clusters (painters)."""
    clusters = np.asarray(clusters)
    names, inverse = np.unique(clusters, return_inverse=True)
    members = [np.flatnonzero(inverse == i) for i in range(len(names))]
    estimate = metric(np.arange(len(clusters)))
    if len(names) < 2:
        return Interval(estimate, float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_resamples):
        rows = np.concatenate([members[i] for i in rng.integers(0, len(names), len(names))])
        value = metric(rows)
        if np.isfinite(value):
            draws.append(value)
    low, high = np.percentile(draws, [2.5, 97.5]) if draws else (np.nan, np.nan)
    return Interval(float(estimate), float(low), float(high))


def open_set_report(model: IdentityModel, features: np.ndarray, frame: pd.DataFrame) -> dict:
    """Who-painted-it figures of test paintings (``features``: ``(n, views, dim)``; ``frame``: :mod:`.protocol`'s
    with ``role`` and ``artist``): open-set AUROC of P(one of the known) against held-out painters and against
    seen others, the shares accepted / named with >= 50 %, the known artists' paintings rejected or named right,
    and the artist sets (which can hold "someone else"): coverage and ECE over all test paintings, and by role."""
    role = frame["role"].to_numpy()
    out: dict = {"paintings": {r: int((role == r).sum()) for r in ("known", *OTHERS)}}
    if model.classifier is None:
        return out
    full = model.full_probs(features)
    k = len(model.card.known)
    p_known, best = 1 - full[:, k], full.argmax(1)
    known = best < k
    named = known & (full.max(1) >= NAMED_AT)
    for other in OTHERS:
        rows = (role == "known") | (role == other)
        if (role == other).sum() >= 2 and (role == "known").sum() >= 2:
            put_interval(out, f"auroc_{other}", auroc_interval(role[rows] == "known", p_known[rows]))
        if (role == other).sum():
            put_interval(out, f"accepted_{other}", share_interval(known[role == other]))
            put_interval(out, f"named_{other}", share_interval(named[role == other]))
    labels = answer_labels(frame, k)
    put_interval(out, "known_rejected", share_interval(~known[role == "known"]))
    put_interval(out, "known_right", share_interval((best == labels)[role == "known"]))
    sets = model.sets(full)
    put_interval(out, "set_coverage", share_interval(sets[np.arange(len(labels)), labels]))
    out["set_size"] = float(sets.sum(1).mean()) if len(sets) else float("nan")
    for r in ("known", *OTHERS):
        out[f"set_coverage_{r}"] = set_coverage(sets[role == r], labels[role == r])
    put_interval(
        out, "ece", rows_interval(lambda rows: expected_calibration_error(full[rows], labels[rows]), len(labels))
    )
    return out


def operating_point(
    model: IdentityModel,
    val: tuple[np.ndarray, pd.DataFrame],
    test: tuple[np.ndarray, pd.DataFrame],
    known_recall: float = 0.9,
) -> dict:
    """The trade-off the answer could be moved to: the P(one of the known) threshold that accepts ``known_recall``
    of the known artists' *validation* paintings, and what it does on test (held-out painters accepted, known
    artists rejected), each with its interval."""
    k = len(model.card.known)
    (val_feats, val_frame), (test_feats, test_frame) = val, test
    val_known = 1 - model.full_probs(val_feats)[:, k]
    threshold = float(np.quantile(val_known[val_frame["role"].to_numpy() == "known"], 1 - known_recall))
    accepted = 1 - model.full_probs(test_feats)[:, k] >= threshold
    role = test_frame["role"].to_numpy()
    out: dict = {"known_recall": known_recall, "threshold": threshold}
    put_interval(out, "accepted_held_out", share_interval(accepted[role == "held_out"]))
    put_interval(out, "accepted_seen", share_interval(accepted[role == "seen"]))
    put_interval(out, "known_rejected", share_interval(~accepted[role == "known"]))
    return out


def held_out_pairs(frame: pd.DataFrame, per_painting: int = 4, seed: int = 0) -> pd.DataFrame:
    """Random pairs ``a, b, same`` among the held-out paintings of ``frame``: each with up to ``per_painting`` /
    2 paintings by the same painter and as many by other held-out painters."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(frame["role"].to_numpy() == "held_out")
    painter = frame["painter"].to_numpy()
    pairs = set()
    for i in rows:
        same = rows[(painter[rows] == painter[i]) & (rows != i)]
        other = rows[painter[rows] != painter[i]]
        for pool in (same, other):
            for j in rng.choice(pool, min(per_painting // 2, len(pool)), replace=False) if len(pool) else []:
                pairs.add((int(min(i, j)), int(max(i, j))))
    a, b = (np.array(x, dtype=np.int64) for x in zip(*sorted(pairs), strict=True)) if pairs else (np.zeros(0, int),) * 2
    return pd.DataFrame({"a": a, "b": b, "same": painter[a] == painter[b]})


def neighbour_pairs_of_held_out(
    search_features: np.ndarray, pool_painters: np.ndarray, queries: np.ndarray, k: int = 8
) -> pd.DataFrame:
    """Each query row with its ``k`` nearest other rows of the whole pool (``search_features``: what the Similar
    page's index holds), as pairs ``a, b, same``."""
    pairs = neighbour_pairs(search_features, queries, k, random_per_query=0)[["a", "b"]]
    return pairs.assign(same=pool_painters[pairs["a"].to_numpy()] == pool_painters[pairs["b"].to_numpy()])


def same_artist_report(scores: dict[str, np.ndarray], pairs: pd.DataFrame, painters: np.ndarray) -> pd.DataFrame:
    """ROC AUC (painter-resampled 95 % interval) of each scorer's values of ``pairs``; ``painters``: each pair's
    query painter (the cluster)."""
    same = pairs["same"].to_numpy()
    rows = []
    for name, given in scores.items():
        values = np.asarray(given, dtype=float)

        def auc(rows: np.ndarray, v: np.ndarray = values) -> float:
            return float(roc_auc(same[rows], v[rows]))

        interval = clustered_interval(auc, painters)
        rows.append(
            {
                "scorer": name,
                "roc_auc": interval.estimate,
                "roc_auc_low": interval.low,
                "roc_auc_high": interval.high,
                "pairs": len(same),
                "same_share": float(same.mean()),
            }
        )
    return pd.DataFrame(rows).set_index("scorer")


def never_seen_pair_values(model: IdentityModel, table: ArtTable, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The model's same-painter value of ``pairs`` (rows ``a``, ``b`` of ``table``, whose ``artist`` task names the
    painters) and which pairs it may be scored on: both painters among its *test* painters, held out of its
    training and of every choice it made. Pairs it has no vector for are NaN."""
    names = np.asarray(table.classes["artist"])[table.frame["artist"].to_numpy()]
    never_seen = np.isin(names, model.card.held_out.get("test", []))
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    vectors = model.vectors_of(table.image_paths())
    values = model.same_artist(vectors[a], vectors[b])
    return values, never_seen[a] & never_seen[b] & np.isfinite(values)


def identity_comparison(
    model: IdentityModel, table: ArtTable, pairs: pd.DataFrame, scores: dict[str, np.ndarray], seed: int = 0
) -> pd.DataFrame:
    """ROC AUC (95 % interval) of ``scores`` and of the identity model's same-painter value on the pairs of
    ``table`` whose painters it never saw (:func:`never_seen_pair_values`); raises
    :class:`~artlib.errors.NotEnoughDataError` when those pairs are not of both kinds."""
    from ..pairs.scoring import auc_table

    value, fair = never_seen_pair_values(model, table, pairs)
    chosen = {**{name: np.asarray(s)[fair] for name, s in scores.items()}, "identity same-artist value": value[fair]}
    return auc_table(pairs["same"].to_numpy()[fair], chosen, n_resamples=500, seed=seed)
