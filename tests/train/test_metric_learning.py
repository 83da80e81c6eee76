import numpy as np
import pytest
import torch

from artlib.data import load_image_folder, stratified_split
from artlib.data.loaders import make_loaders
from artlib.data.transforms import train_transform
from artlib.errors import NotEnoughDataError
from artlib.features import extract_features
from artlib.models import create_model
from artlib.train.metric_learning import EmbeddingNet, fit_metric, m_per_class_loader, metric_batch, retrieval_metrics


@pytest.fixture(scope="module")
def genre_splits(fixture_paths):
    return stratified_split(load_image_folder(fixture_paths.imagefolder, task="genre"), (0.7, 0.3), ("train", "val"))


def _recipe(**changes):
    from artlib.train import TrainConfig

    return TrainConfig.from_recipe("metric", progress=False, **changes)


def test_m_per_class_loader_checks_its_pitfalls(genre_splits):
    tf = train_transform(32)
    with pytest.raises(ValueError, match="multiple of m"):
        m_per_class_loader(genre_splits.train, "genre", tf, m=4, batch_size=30)
    loader = m_per_class_loader(genre_splits.train, "genre", tf, m=2, batch_size=16)  # 4 classes x 2 < 16
    assert (loader.batch_size, loader.sampler.m_per_class) == (8, 2)  # the batch shrinks to the classes there are
    loader = m_per_class_loader(genre_splits.train, "genre", tf, m=4, batch_size=16)
    images, labels = next(iter(loader))
    counts = np.bincount(labels["genre"].numpy())
    assert images.shape[0] == 16 and set(counts[counts > 0]) == {4}
    assert len(loader) == len(genre_splits.train) // 16


def test_metric_batch_sizes_to_the_data():
    assert metric_batch(1000, 23, 8) == (8, 64) and metric_batch(40, 23, 8) == (8, 40)
    assert metric_batch(10, 5, 8) == (5, 10)  # m shrinks so that 2 classes fit
    assert metric_batch(26, 2, 4, max_classes=16) == (4, 8)
    with pytest.raises(NotEnoughDataError, match="3 labelled training image"):
        metric_batch(3, 2, 4)


def test_m_per_class_loader_fits_a_split_smaller_than_one_batch(genre_splits):
    """A museum split whose labelled rows do not fill one batch of 64 (the notebook's upper bound) still trains."""
    small = genre_splits.train.subset(np.arange(0, len(genre_splits.train), len(genre_splits.train) // 12)[:12])
    loader = m_per_class_loader(small, "genre", train_transform(32), m=8, batch_size=64)
    images, labels = next(iter(loader))
    assert len(loader) >= 1 and images.shape[0] == loader.batch_size <= 12
    assert len(np.unique(labels["genre"].numpy())) >= 2
    with pytest.raises(NotEnoughDataError, match="2 classes x 2 images"):
        m_per_class_loader(small.subset(np.arange(1)), "genre", train_transform(32), m=4, batch_size=16)


def test_metric_learning_improves_retrieval(genre_splits):
    torch.manual_seed(0)
    tf = train_transform(32, 0.3)
    loader = m_per_class_loader(genre_splits.train, "genre", tf, m=8, batch_size=32)
    val = make_loaders({"val": genre_splits.val}, 32, 64)["val"]
    backbone = create_model("simple_cnn", {"genre": 4}, widths=(8, 16, 32, 64))
    model = EmbeddingNet(backbone.backbone, backbone.feature_dim, 32)
    emb, labels = extract_features(model, val, torch.device("cpu"))
    before = retrieval_metrics(emb, labels["genre"])
    history = fit_metric(model, loader, "genre", _recipe(epochs=5, lr=3e-3), val_loader=val)
    assert {"val_precision_at_1", "val_mean_average_precision_at_r"} <= set(history.columns)
    assert history["val_mean_average_precision_at_r"].iloc[-1] > before["mean_average_precision_at_r"]
    emb = model.embed(torch.randn(3, 3, 32, 32))
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(3))


def test_retrieval_metrics_on_perfect_clusters():
    emb = np.array([[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    m = retrieval_metrics(emb, labels)
    assert m["precision_at_1"] == 1 and m["mean_average_precision_at_r"] == 1


def test_metric_learning_trains_through_the_trainer_with_checkpoints_and_callbacks(genre_splits, tmp_path):
    from artlib.train import load_weights

    loader = m_per_class_loader(genre_splits.train, "genre", train_transform(32, 0.3), m=8, batch_size=32)
    val = make_loaders({"val": genre_splits.val}, 32, 64)["val"]
    seen = []

    class Record:  # the Trainer's callback protocol, as OptunaPruning uses it
        def on_epoch_end(self, trainer, row):
            seen.append((trainer.epoch, row["val_mean_average_precision_at_r"]))

    def build():
        backbone = create_model("simple_cnn", {"genre": 4}, widths=(8, 16, 32, 64))
        return EmbeddingNet(backbone.backbone, backbone.feature_dim, 16)

    model = build()
    history = fit_metric(
        model, loader, "genre", _recipe(epochs=2), val_loader=val, callbacks=[Record()], checkpoint_dir=tmp_path
    )
    assert [epoch for epoch, _ in seen] == [1, 2] and (history["triplets_per_batch"] >= 0).all()
    assert {"best.pt", "last.pt", "history.csv"} <= {p.name for p in tmp_path.iterdir()}
    best = int(history["val_mean_average_precision_at_r"].idxmax())
    rebuilt = build()
    load_weights(rebuilt, tmp_path / "best.pt")  # the best epoch's weights, as for a classifier
    torch.testing.assert_close(rebuilt.state_dict(), model.state_dict())  # fit_metric reloaded the best epoch
    assert best in (0, 1)


def test_fit_metric_keeps_the_last_weights_when_validation_cannot_measure(genre_splits, tmp_path, caplog):
    """A validation split of one image per class gives MAP@R = NaN every epoch: no best.pt, the last weights."""
    frame = genre_splits.val.frame
    singletons = genre_splits.val.subset(np.flatnonzero(~frame.duplicated("genre").to_numpy()))
    val = make_loaders({"val": singletons}, 32, 64)["val"]
    loader = m_per_class_loader(genre_splits.train, "genre", train_transform(32), m=4, batch_size=16)
    backbone = create_model("simple_cnn", {"genre": 4}, widths=(8, 16, 32, 64))
    model = EmbeddingNet(backbone.backbone, backbone.feature_dim, 16)
    with caplog.at_level("WARNING"):
        history = fit_metric(model, loader, "genre", _recipe(epochs=2), val_loader=val, checkpoint_dir=tmp_path)
    assert history["val_mean_average_precision_at_r"].isna().all() and len(history) == 2
    assert not (tmp_path / "best.pt").exists() and (tmp_path / "last.pt").exists()
    assert "NaN in all 2 epochs" in caplog.text


def test_without_validation_the_run_watches_the_training_loss(genre_splits, tmp_path):
    """The metric recipe monitors validation MAP@R; with no validation loader fit_metric watches the training loss
    (no early stopping) rather than a column that never appears."""
    loader = m_per_class_loader(genre_splits.train, "genre", train_transform(32), m=4, batch_size=16)
    backbone = create_model("simple_cnn", {"genre": 4}, widths=(8, 16, 32, 64))
    model = EmbeddingNet(backbone.backbone, backbone.feature_dim, 16)
    history = fit_metric(model, loader, "genre", _recipe(epochs=2), checkpoint_dir=tmp_path)
    assert (
        len(history) == 2 and "val_mean_average_precision_at_r" not in history and history["train_loss"].notna().all()
    )
    assert (tmp_path / "last.pt").is_file()
