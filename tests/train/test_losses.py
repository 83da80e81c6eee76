import torch
import torch.nn as nn

from artlib.train import (
    MaskedMultiTaskLoss,
    inverse_frequency_weights,
)


def test_masked_loss_ignores_missing_labels():
    logits = {"a": torch.randn(4, 3, requires_grad=True), "b": torch.randn(4, 2, requires_grad=True)}
    targets = {"a": torch.tensor([0, -1, 2, -1]), "b": torch.tensor([-1, -1, -1, -1])}
    loss, parts = MaskedMultiTaskLoss()(logits, targets)
    expected = nn.functional.cross_entropy(logits["a"][[0, 2]], torch.tensor([0, 2]))
    assert torch.isclose(loss, expected) and set(parts) == {"a"}
    loss.backward()
    assert logits["a"].grad[1].abs().sum() == 0 and logits["b"].grad is None
    none, parts = MaskedMultiTaskLoss()({"b": logits["b"]}, {"b": targets["b"]})
    assert float(none.detach()) == 0 and parts == {}


def test_loss_accepts_any_task_name():
    weights = {"type": torch.tensor([1.0, 3.0])}
    loss, parts = MaskedMultiTaskLoss(weights)({"type": torch.zeros(2, 2)}, {"type": torch.tensor([0, 1])})
    assert set(parts) == {"type"} and torch.isclose(loss, torch.log(torch.tensor(2.0)))


def test_inverse_frequency_weights(splits):
    weights = inverse_frequency_weights(splits.train)
    counts = splits.train.counts("genre").to_numpy()
    w = weights["genre"].numpy()
    assert (w * counts).std() / (w * counts).mean() < 1e-5  # every class gets the same total weight
    assert w[counts.argmin()] > w[counts.argmax()]
