"""An identity embedding: who painted it, learnt over every training painter with pytorch-metric-learning.

A small head on a frozen network's features of each view (:mod:`.views`) maps a painting to a unit vector in which
paintings by one painter lie close. It is trained on all training painters (not only the known artists), with

* SubCenterArcFace (a few proxies per painter: a painter's periods need not be one cluster), and
* a multi-similarity loss with its miner on batches of *neighbouring* painters: each batch gathers a painter and
  the painters whose paintings look most like theirs in the current embedding, so its negatives are the hard ones
  (look-alikes by someone else), with several views (whole painting, full-resolution details) per painting.

The epoch kept is the one whose same-painter ROC AUC is highest on pairs of held-out *validation* painters.

    head, history = train_identity_head(train_feats, train_painters, val_feats, val_painters, IdentityRecipe())
    embeddings = head.embed_views(test_feats)        # (n, dim), unit length
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

log = logging.getLogger(__name__)


@dataclass
class IdentityRecipe:
    """Every setting of the identity head's training in one place."""

    # chosen on the WikiArt sample's held-out *validation* painters (benchmarks/identity.py, 2026-12-06)
    dim: int = 256
    hidden: int = 1024
    dropout: float = 0.2
    epochs: int = 40
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_painters: int = 32
    per_painter: int = 4
    sub_centers: int = 3
    margin: float = 28.6  # degrees (ArcFace)
    scale: float = 30.0
    multi_similarity: float = 1.0  # weight of the multi-similarity loss beside ArcFace
    patience: int = 8
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


class IdentityHead(nn.Module):
    """Raw frozen features ``(..., in_dim)`` -> unit identity vectors ``(..., dim)`` (standardisation inside)."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, in_dim: int, dim: int = 256, hidden: int = 1024, dropout: float = 0.2) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("scale", torch.ones(in_dim))
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
        )
        self.in_dim, self.dim = in_dim, dim

    def standardize_on(self, features: np.ndarray) -> None:
        flat = np.asarray(features, dtype=np.float32).reshape(-1, self.in_dim)
        self.mean.copy_(torch.from_numpy(flat.mean(0)))
        self.scale.copy_(torch.from_numpy(np.maximum(flat.std(0), 1e-6)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        z = self.net(((x - self.mean) / self.scale).reshape(-1, self.in_dim))
        return F.normalize(z, dim=-1).reshape(*shape[:-1], self.dim)

    @torch.no_grad()
    def embed_views(self, features: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """``(n, views, in_dim)`` features -> ``(n, dim)``: the normalised mean of the views' embeddings."""
        self.eval()
        out = []
        for start in range(0, len(features), chunk):
            x = torch.as_tensor(np.asarray(features[start : start + chunk]), dtype=torch.float32)
            out.append(F.normalize(self(x).mean(1), dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)


def mean_view(features: np.ndarray) -> np.ndarray:
    """The frozen network's own embedding of a painting: the normalised mean of its normalised views."""
    f = np.asarray(features, dtype=np.float32)
    f = f / np.maximum(np.linalg.norm(f, axis=-1, keepdims=True), 1e-12)
    m = f.mean(1)
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)


def pair_auc(embeddings: np.ndarray, painters: np.ndarray, max_rows: int = 3000, seed: int = 0) -> float:
    """Same-painter ROC AUC of the cosine over every pair of (up to ``max_rows``) paintings; nan without both kinds."""
    from sklearn.metrics import roc_auc_score

    rows = np.arange(len(painters))
    if len(rows) > max_rows:
        rows = np.random.default_rng(seed).choice(rows, max_rows, replace=False)
    e, p = embeddings[rows], np.asarray(painters)[rows]
    a, b = np.triu_indices(len(rows), 1)
    same = p[a] == p[b]
    if same.all() or not same.any():
        return float("nan")
    return float(roc_auc_score(same, (e[a] * e[b]).sum(1)))


def neighbour_batches(
    embeddings: np.ndarray, painters: np.ndarray, batch_painters: int, per_painter: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """One epoch of row batches: each a random painter with its ``batch_painters - 1`` nearest painters (cosine of
    their mean embeddings), ``per_painter`` paintings each (drawn with replacement when a painter has fewer)."""
    names, inverse = np.unique(painters, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == i) for i in range(len(names))]
    pairable = np.array([i for i, r in enumerate(rows_of) if len(r) >= 2])
    if len(pairable) < 2:
        raise ValueError("identity training needs at least 2 painters with 2 paintings each")
    centroids = np.stack([embeddings[rows_of[i]].mean(0) for i in pairable])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    near = np.argsort(-(centroids @ centroids.T), axis=1)[:, : min(batch_painters, len(pairable))]
    batches = []
    for _ in range(max(1, len(painters) // (batch_painters * per_painter))):
        group = pairable[near[rng.integers(len(pairable))]]
        batches.append(
            np.concatenate([rng.choice(rows_of[i], per_painter, replace=len(rows_of[i]) < per_painter) for i in group])
        )
    return batches


def _loss_fns(recipe: IdentityRecipe, painters: int) -> tuple[nn.Module, nn.Module, nn.Module]:
    from pytorch_metric_learning import losses, miners

    arcface = losses.SubCenterArcFaceLoss(
        num_classes=painters,
        embedding_size=recipe.dim,
        margin=recipe.margin,
        scale=recipe.scale,
        sub_centers=recipe.sub_centers,
    )
    return arcface, losses.MultiSimilarityLoss(), miners.MultiSimilarityMiner()


def train_identity_head(
    train_features: np.ndarray,
    train_painters: np.ndarray,
    val_features: np.ndarray | None = None,
    val_painters: np.ndarray | None = None,
    recipe: IdentityRecipe | None = None,
) -> tuple[IdentityHead, pd.DataFrame]:
    """Train an :class:`IdentityHead` on ``(n, views, dim)`` features of training paintings and their painter codes;
    keep the epoch of best same-painter ROC AUC on the validation paintings (held-out painters), or the last one
    when validation has no pair of both kinds. Returns the head and the history (loss, validation AUC)."""
    recipe = recipe or IdentityRecipe()
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    train_features = np.asarray(train_features, dtype=np.float32)
    _, labels = np.unique(np.asarray(train_painters), return_inverse=True)
    head = IdentityHead(train_features.shape[2], recipe.dim, recipe.hidden, recipe.dropout)
    head.standardize_on(train_features)
    arcface, multi_similarity, miner = _loss_fns(recipe, int(labels.max()) + 1)
    optimizer = torch.optim.AdamW(
        [*head.parameters(), *arcface.parameters()], lr=recipe.lr, weight_decay=recipe.weight_decay
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    x_all, y_all = torch.from_numpy(train_features), torch.from_numpy(labels)
    views = train_features.shape[1]
    validate = val_features is not None and val_painters is not None and len(np.unique(val_painters)) >= 2
    best, best_auc, stale, history = copy.deepcopy(head.state_dict()), -1.0, 0, []
    for epoch in range(1, recipe.epochs + 1):
        batches = neighbour_batches(
            head.embed_views(train_features), labels, recipe.batch_painters, recipe.per_painter, rng
        )
        head.train()
        total = 0.0
        for rows in batches:
            index = torch.from_numpy(rows)
            pick = torch.from_numpy(rng.integers(0, views + 1, len(rows)))  # a view, or the mean of all
            x = x_all[index]
            chosen = torch.where(
                (pick == views)[:, None], x.mean(1), x[torch.arange(len(rows)), pick.clamp(max=views - 1)]
            )
            z, y = head(chosen), y_all[index]
            loss = arcface(z, y) + recipe.multi_similarity * multi_similarity(z, y, miner(z, y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        schedule.step()
        auc = float("nan")
        if val_features is not None and val_painters is not None and validate:
            auc = pair_auc(head.embed_views(val_features), val_painters)
        history.append({"epoch": epoch, "train_loss": total / len(batches), "val_auc": auc})
        if not validate or auc > best_auc:
            best, best_auc, stale = copy.deepcopy(head.state_dict()), auc, 0
        else:
            stale += 1
            if stale >= recipe.patience:
                break
    head.load_state_dict(best)
    head.eval()
    log.info("identity head: best validation same-painter AUC %.4f over %d epochs", best_auc, len(history))
    return head, pd.DataFrame(history).set_index("epoch")
