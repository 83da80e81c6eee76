"""Training a same-artist Siamese spec end to end and scoring its test pairs (notebook 12's loop)."""

import numpy as np
import pytest

from artlib.config import settings
from artlib.data import load_painter_by_numbers
from artlib.data.dataset import verify_images
from artlib.models.weights import WeightsUnavailableError
from artlib.pairs import make_pairs, pairs_by_split
from artlib.pairs.runs import FrozenFeatures, train_siamese


def _image_splits(table):
    """The images split first (stratified by artist), so that no test pair shares an image with training."""
    from artlib.data.splits import stratified_split

    return stratified_split(table, (0.7, 0.15, 0.15), ("train", "val", "test"), stratify="artist").tables


@pytest.fixture(scope="module")
def paired(fixture_paths):
    table = verify_images(load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))).table
    splits = pairs_by_split(_image_splits(table), k=4, seed=0)
    frozen = FrozenFeatures({name: t for name, (t, _) in splits.items()}, image_size=32)
    return splits, frozen, make_pairs(splits["train"][0], "artist", 4, 1.75, 0)


def _cfg(monkeypatch, tmp_path, head_epochs=1):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    return settings(epochs=1, pretrained_epochs=1, image_size=32, batch_size=16, head_epochs=head_epochs)


@pytest.mark.parametrize(
    "spec", ["simple_cnn_tiny:concat:scratch", "efficientnet_lite0:all:pretrained", "efficientnet_lite0:all:frozen"]
)
def test_a_spec_trains_and_scores_every_test_pair(paired, spec, monkeypatch, tmp_path):
    splits, frozen, frozen_pairs = paired
    run = train_siamese(spec, splits, frozen, frozen_pairs, _cfg(monkeypatch, tmp_path))
    test_pairs = splits["test"][1]
    assert run.scores.shape == (len(test_pairs),) and np.all((run.scores >= 0) & (run.scores <= 1))
    assert len(run.history) == 1 and (run.head is not None) == spec.endswith("frozen")
    assert (tmp_path / "checkpoints" / f"siamese_{spec.replace(':', '_')}" / "best.pt").is_file()
    if run.head is not None:  # the scaler a saved head needs comes with the features
        assert frozen.scaler("efficientnet_lite0").mean_.shape == (
            frozen.features("efficientnet_lite0")["train"].shape[1],
        )


def test_weights_that_cannot_be_had_offline_stop_before_training(paired, monkeypatch, tmp_path):
    import torchvision

    def offline(*args, **kwargs):
        if kwargs.get("weights"):
            raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")
        return real(*args, **kwargs)

    real = torchvision.models.get_model
    monkeypatch.setattr(torchvision.models, "get_model", offline)
    splits, frozen, frozen_pairs = paired
    with pytest.raises(WeightsUnavailableError, match="resnet18"):
        train_siamese("tv_resnet18:all:pretrained", splits, frozen, frozen_pairs, _cfg(monkeypatch, tmp_path))
    assert not (tmp_path / "checkpoints").exists()


def test_without_validation_pairs_it_trains_without_early_stopping(paired, monkeypatch, tmp_path, caplog):
    splits, frozen, frozen_pairs = paired
    no_val = {**splits, "val": (splits["val"][0], splits["val"][1].iloc[:0])}
    cfg = _cfg(monkeypatch, tmp_path, head_epochs=2)
    run = train_siamese("efficientnet_lite0:all:frozen", no_val, frozen, frozen_pairs, cfg)
    assert "no validation pairs" in caplog.text and "val_loss" not in run.history and len(run.history) == 2
    assert run.scores.shape == (len(splits["test"][1]),)


def test_the_saved_head_is_chosen_on_validation_pairs_never_on_test():
    """Two heads: one separates the validation pairs, the other inverts them; validation decides."""
    import pandas as pd
    import torch

    from artlib.pairs.runs import SiameseRun, best_head_on_validation

    class Head:  # P(same) grows (or shrinks) with the product of the pair's first features
        def __init__(self, sign: float) -> None:
            self.sign = sign

        def same_probability(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.sign * a[:, 0] * b[:, 0])

    class Features:  # FrozenFeatures' interface
        def features(self, backbone: str) -> dict:
            return {"val": x}

    val_pairs = pd.DataFrame({"a": np.arange(0, 20), "b": np.arange(20, 40), "same": np.arange(20) % 2 == 0})
    x = np.ones((40, 4), dtype=np.float32)
    x[val_pairs["a"], 0] = np.where(val_pairs["same"], 2.0, -2.0)
    runs = {
        name: SiameseRun(name, "b", pd.DataFrame(), np.zeros(0), head=Head(sign))  # type: ignore[arg-type]
        for name, sign in (("good on validation", 1.0), ("bad on validation", -1.0))
    }
    best, aucs = best_head_on_validation(runs, Features(), val_pairs)  # type: ignore[arg-type]
    assert best is runs["good on validation"] and aucs == {"good on validation": 1.0, "bad on validation": 0.0}
    assert best_head_on_validation(runs, Features(), val_pairs.iloc[:0]) == (None, {})  # type: ignore[arg-type]
