"""Searching images by title text: a ridge map from title to image embeddings, and what titles add on
paintings not fitted on (with 95 % intervals).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .index import SimilarityIndex, normalize
from .scores import proxy_row
from .titles import fit_title_projection

if TYPE_CHECKING:
    pass


def fit_text_to_image(
    title_emb: np.ndarray, image_emb: np.ndarray, alpha: float = 1.0
) -> Callable[[np.ndarray], np.ndarray]:
    """A ridge regression from title embeddings to (unit) image embeddings, so a text query can search the
    image index; returns ``project(title_emb) -> image-space vectors``."""
    from sklearn.linear_model import Ridge

    if len(title_emb) != len(image_emb):
        raise ValueError(f"{len(title_emb)} title embeddings but {len(image_emb)} image embeddings")
    ridge = Ridge(alpha=alpha).fit(normalize(title_emb), normalize(image_emb))
    return lambda emb: normalize(ridge.predict(normalize(emb)))


def text_to_image_scores(
    query_emb: np.ndarray, image_emb: np.ndarray, labels: np.ndarray | None = None, k: int = 10
) -> dict[str, float]:
    """Query an index of ``image_emb`` with row-aligned text queries (already in image space): how often the
    painting itself is among the ``k`` results (``recall@k``, chance ``k / n``), and the share of results that
    share its label (``label precision@k``, chance: the label's frequency). Each score comes with its 95 %
    interval over the queries (``<score>_low`` / ``<score>_high``: Wilson for recall, bootstrap for precision), the
    names every artlib score table uses."""
    from ..evaluation.significance import accuracy_interval, mean_interval

    index = SimilarityIndex(image_emb, [str(i) for i in range(len(image_emb))])
    _, pos = index.search(query_emb, k)
    own = np.arange(len(image_emb))[:, None]
    found = accuracy_interval((pos == own).any(1))
    scores = {
        f"recall@{k}": found.estimate,
        f"recall@{k}_low": found.low,
        f"recall@{k}_high": found.high,
        f"recall@{k}_chance": min(1.0, k / len(image_emb)),
    }
    if labels is not None:
        labels = np.asarray(labels)
        known = labels >= 0
        hits = labels[pos[known]] == labels[known][:, None]
        freq = np.bincount(labels[known]) / known.sum()
        precision = mean_interval(hits.mean(1))
        scores.update(
            {
                f"label precision@{k}": precision.estimate,
                f"label precision@{k}_low": precision.low,
                f"label precision@{k}_high": precision.high,
                f"label precision@{k}_chance": float((freq[labels[known]]).mean()),
            }
        )
    return scores


def held_out_title_retrieval(
    image_emb: np.ndarray,
    title_emb: np.ndarray,
    ids: Sequence,
    labels: np.ndarray,
    label_task: str,
    k: int = 10,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """What titles add, measured on paintings not fitted on: a random half fits :func:`fit_text_to_image` and
    :func:`fit_title_projection`, the other half is searched. Rows (``{"score", "low", "high", "chance"}`` where
    known): title -> image ``recall@k`` and ``label precision@k`` (``labels``: the ``label_task`` codes), and
    the title proxy of the raw image embedding and of the title-refined projection (:func:`.scores.proxy_row`: the
    mean title cosine of each painting's ``k`` nearest, with its interval, against two paintings drawn at random)."""
    order = np.random.default_rng(seed).permutation(len(ids))
    fit, held = order[: len(ids) // 2], order[len(ids) // 2 :]
    to_image = fit_text_to_image(title_emb[fit], image_emb[fit])
    t2i = text_to_image_scores(to_image(title_emb[held]), image_emb[held], np.asarray(labels)[held], k)
    rows = {}
    for metric in (f"recall@{k}", f"label precision@{k}"):
        name = f"title -> image, {metric}" + (f" ({label_task})" if "label" in metric else "")
        rows[name] = {
            key: t2i[f"{metric}{suffix}"]
            for key, suffix in (("score", ""), ("low", "_low"), ("high", "_high"), ("chance", "_chance"))
        }
    project = fit_title_projection(image_emb[fit], title_emb[fit], dim=64, seed=seed)
    held_ids = np.asarray(ids)[held].tolist()
    for name, vectors in (
        ("raw image embedding", image_emb[held]),
        ("title-refined projection", project(image_emb[held])),
    ):
        rows[f"title proxy@{k}, {name}"] = proxy_row(SimilarityIndex(vectors, held_ids), title_emb[held], k, seed)
    return rows
