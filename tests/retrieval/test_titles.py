import numpy as np
import pytest

from artlib.retrieval import (
    SimilarityIndex,
    embed_titles,
    fit_title_projection,
    load_title_encoder,
    proxy_agreement,
)


def test_title_encoder_offline_and_projection():
    encoder = load_title_encoder()
    emb = embed_titles(["Landscape with a River", "River Landscape", "Portrait of a Lady"], encoder)
    assert emb.shape == (3, 384)
    assert emb[0] @ emb[1] > emb[0] @ emb[2]
    with pytest.raises(ValueError, match="empty"):
        embed_titles(["ok", " "], encoder)
    # an image space where only 4 of 16 dims carry what the titles describe: the projection should find them
    rng = np.random.default_rng(0)
    topic = rng.integers(0, 4, 600)
    titles = np.eye(4)[topic] + 0.05 * rng.normal(size=(600, 4))
    images = rng.normal(size=(600, 16))
    images[:, :4] += 1.5 * np.eye(4)[topic]
    project = fit_title_projection(images[:300], titles[:300], dim=4, epochs=300, pos_quantile=0.9)
    held = np.arange(300, 600)  # evaluated on paintings the projection never saw
    raw = proxy_agreement(SimilarityIndex(images[held], held), titles[held], 5)
    refined = proxy_agreement(SimilarityIndex(project(images[held]), held), titles[held], 5)
    assert refined > raw + 0.015


def test_the_pair_loss_is_pytorch_metric_learnings_contrastive_loss():
    import torch
    from pytorch_metric_learning import losses

    from artlib.retrieval import pair_contrastive_loss

    torch.manual_seed(0)
    emb = torch.randn(40, 8, requires_grad=True)
    pos = torch.randint(0, 40, (30, 2))
    neg = torch.randint(0, 40, (30, 2))
    pos, neg = pos[pos[:, 0] != pos[:, 1]], neg[neg[:, 0] != neg[:, 1]]
    pml = losses.ContrastiveLoss(pos_margin=0.0, neg_margin=1.0)(
        emb, torch.arange(40), (pos[:, 0], pos[:, 1], neg[:, 0], neg[:, 1])
    )
    ours = pair_contrastive_loss(emb, pos, neg)
    assert abs(ours.item() - pml.item()) < 1e-4
    ours.backward()
    assert emb.grad is not None and emb.grad.abs().sum() > 0
