import numpy as np
import pytest
import torch
import torch.nn.functional as F
from toy_problems import _model, _tiny_problem

from artlib.train import MaskedMultiTaskLoss, MixUpCutMix, TrainConfig, Trainer, mixed_loss


def _constant_images(n: int = 6, size: int = 16) -> torch.Tensor:
    """Image i is filled with the value i, so every mixed pixel tells which image it came from."""
    return torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 3, size, size).contiguous()


def test_mixup_is_a_convex_combination_with_the_partner():
    torch.manual_seed(0)
    x = torch.randn(8, 3, 8, 8)
    batch = MixUpCutMix(mixup_alpha=0.4)(x)
    assert batch.mode == "mixup" and 0.0 <= batch.lam <= 1.0
    assert torch.allclose(batch.images, batch.lam * x + (1 - batch.lam) * x[batch.permutation])


def test_cutmix_pastes_one_box_and_lam_is_the_kept_area():
    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002  (timm draws CutMix boxes from the global RNG)
    x = _constant_images()
    for _ in range(5):
        batch = MixUpCutMix(cutmix_alpha=1.0)(x)
        assert batch.mode == "cutmix"
        for i, j in enumerate(batch.permutation.tolist()):
            values = set(batch.images[i].unique().tolist())
            assert values <= {float(i), float(j)}
            if i != j:
                pasted = (batch.images[i] == j).float().mean().item()
                assert pasted == pytest.approx(1 - batch.lam)
                rows, cols = torch.nonzero(batch.images[i, 0] == j, as_tuple=True)
                if len(rows):  # one rectangle: its bounding box is filled completely
                    area = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
                    assert int(area) == len(rows)


def test_prob_zero_leaves_the_batch_alone():
    x = torch.randn(4, 3, 8, 8)
    batch = MixUpCutMix(mixup_alpha=1.0, cutmix_alpha=1.0, prob=0.0)(x)
    assert batch.mode == "none" and batch.lam == 1.0 and torch.equal(batch.images, x)


def test_both_alphas_switch_between_mixup_and_cutmix():
    torch.manual_seed(0)
    mixer = MixUpCutMix(mixup_alpha=0.2, cutmix_alpha=1.0, switch_prob=0.5)
    modes = {mixer(torch.randn(4, 3, 8, 8)).mode for _ in range(40)}
    assert modes == {"mixup", "cutmix"}


def test_mixed_loss_interpolates_and_keeps_missing_labels_masked():
    torch.manual_seed(0)
    logits = {"style": torch.randn(4, 3), "genre": torch.randn(4, 2)}
    targets = {"style": torch.tensor([0, 1, 2, 1]), "genre": torch.tensor([1, -1, 0, -1])}
    mixer = MixUpCutMix(mixup_alpha=1.0)
    batch = mixer(torch.randn(4, 3, 8, 8))
    batch.permutation, batch.lam = torch.tensor([1, 0, 3, 2]), 0.7
    total, parts = mixed_loss(MaskedMultiTaskLoss(), logits, targets, batch)
    style = 0.7 * F.cross_entropy(logits["style"], targets["style"]) + 0.3 * F.cross_entropy(
        logits["style"], targets["style"][[1, 0, 3, 2]]
    )
    # genre: own labels on rows 0 and 2, partner labels on rows 1 and 3 (the partners' labels)
    genre = 0.7 * F.cross_entropy(logits["genre"][[0, 2]], torch.tensor([1, 0])) + 0.3 * F.cross_entropy(
        logits["genre"][[1, 3]], torch.tensor([1, 0])
    )
    assert torch.isclose(total, style + genre, atol=1e-6)
    assert parts["style"] == pytest.approx(float(style)) and parts["genre"] == pytest.approx(float(genre))


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="mixup_alpha > 0 or cutmix_alpha > 0"):
        MixUpCutMix()
    with pytest.raises(ValueError, match=">= 0"):
        MixUpCutMix(mixup_alpha=-1)
    with pytest.raises(ValueError, match="prob"):
        MixUpCutMix(cutmix_alpha=1.0, prob=1.5)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        MixUpCutMix(cutmix_alpha=1.0)(torch.zeros(2, 2, 3, 8, 8))


def test_trainer_with_mixing_learns_and_resumes_identically(tmp_path):
    loader = _tiny_problem()
    cfg = TrainConfig(
        epochs=4, lr=1e-2, monitor="train_loss", progress=False, patience=None, mixup_alpha=0.4, cutmix_alpha=1.0
    )
    straight = Trainer(_model(), cfg)
    history = straight.fit(loader)
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    interrupted = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    interrupted.fit(loader, until_epoch=2)
    resumed = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    resumed.fit(loader, resume_from=tmp_path / "last.pt")
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    plain = Trainer(_model(), TrainConfig(epochs=4, lr=1e-2, monitor="train_loss", progress=False, patience=None))
    assert plain.mixer is None and straight.mixer is not None
    with pytest.raises(ValueError, match=">= 0"):  # a negative alpha is an error, not silently no mixing
        Trainer(_model(), TrainConfig(mixup_alpha=-0.2))
