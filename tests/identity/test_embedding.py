import numpy as np
import torch
from identity_painters import clustered_views

from artlib.identity.embedding import (
    IdentityHead,
    IdentityRecipe,
    mean_view,
    neighbour_batches,
    pair_auc,
    train_identity_head,
)


def _painters(n_painters: int, per: int, start: int = 0) -> np.ndarray:
    return np.repeat(np.arange(start, start + n_painters), per)


def test_head_learns_painters_it_never_saw():
    painters = _painters(40, 20)
    feats = clustered_views(painters, dim=32, seed=0)
    # the features carry a strong nuisance direction shared by everyone; the head must learn to ignore it
    nuisance = np.random.default_rng(1).normal(0, 3, (len(painters), 1, 1)) * np.ones((1, 3, 32), np.float32)
    feats = feats + nuisance.astype(np.float32)
    train, val, test = painters < 28, (painters >= 28) & (painters < 34), painters >= 34
    head, history = train_identity_head(
        feats[train], painters[train], feats[val], painters[val], IdentityRecipe(epochs=15, dim=16, hidden=64)
    )
    auc_trained = pair_auc(head.embed_views(feats[test]), painters[test])
    auc_frozen = pair_auc(mean_view(feats[test]), painters[test])
    assert auc_trained > 0.7 and auc_trained > auc_frozen + 0.1, (auc_trained, auc_frozen)
    assert list(history.columns) == ["train_loss", "val_auc"]
    kept = pair_auc(head.embed_views(feats[val]), painters[val])
    assert np.isclose(kept, history["val_auc"].max(), atol=1e-6)  # the best validation epoch is the one kept


def test_embeddings_are_unit_vectors_of_the_mean_view():
    head = IdentityHead(8, dim=4, hidden=16)
    x = np.random.default_rng(0).normal(size=(5, 3, 8)).astype(np.float32)
    e = head.embed_views(x)
    assert e.shape == (5, 4) and np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    with torch.no_grad():
        per_view = head(torch.from_numpy(x)).mean(1)
    assert np.allclose(e, (per_view / per_view.norm(dim=1, keepdim=True)).numpy(), atol=1e-5)


def test_neighbour_batches_gather_look_alike_painters():
    rng = np.random.default_rng(0)
    painters = _painters(12, 5)
    # painters 0-5 look alike (one region), 6-11 another
    centres = np.r_[rng.normal(0, 0.05, (6, 8)) + 5, rng.normal(0, 0.05, (6, 8)) - 5]
    emb = centres[painters] + rng.normal(0, 0.01, (len(painters), 8))
    batches = neighbour_batches(emb, painters, batch_painters=3, per_painter=2, rng=rng)
    for rows in batches:
        groups = set(painters[rows] // 6)
        assert len(groups) == 1 and len(rows) == 6  # never mixes the two regions: the negatives are hard ones
        assert len(set(painters[rows])) == 3
