import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader
from toy_problems import _model, _tiny_problem

from artlib.data.loaders import make_loaders
from artlib.models import create_model
from artlib.train import (
    TrainConfig,
    Trainer,
    inverse_frequency_weights,
    load_checkpoint,
)


def test_trainer_beats_chance_on_fixture(splits, tmp_path):
    torch.manual_seed(0)
    loaders = make_loaders(splits.tables, image_size=48, batch_size=32)
    model = create_model("simple_cnn", splits.train.num_classes, widths=(16, 32, 64, 128))
    trainer = Trainer(
        model,
        TrainConfig(epochs=8, lr=3e-3, monitor="val_macro_f1", mode="max", progress=False),
        class_weights=inverse_frequency_weights(splits.train),
        checkpoint_dir=tmp_path,
    )
    history = trainer.fit(loaders["train"], loaders["val"])
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    trainer.load_best()
    results = trainer.evaluate(loaders["val"])
    for task, n in splits.train.num_classes.items():
        assert results.loc[task, "accuracy"] > 1.5 / n, results
    assert (tmp_path / "history.csv").is_file()
    best = load_checkpoint(tmp_path / "best.pt")  # weights_only=True load
    assert best["value"] == pytest.approx(history["val_macro_f1"].max())


def test_resume_equals_uninterrupted(tmp_path):
    loader = _tiny_problem()
    cfg = TrainConfig(epochs=4, lr=1e-2, monitor="train_loss", progress=False, patience=None)
    straight = Trainer(_model(), cfg)
    straight.fit(loader)

    interrupted = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    interrupted.fit(loader, until_epoch=2)  # as if the job died after epoch 2
    assert interrupted.epoch == 2
    resumed = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    history = resumed.fit(loader, resume_from=tmp_path / "last.pt")
    assert list(history["epoch"]) == [1, 2, 3, 4]
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_monitor_without_validation_is_a_clear_error():
    trainer = Trainer(_model(), TrainConfig(epochs=1, monitor="val_loss", progress=False))
    with pytest.raises(ValueError, match="val_loader"):
        trainer.fit(_tiny_problem())


def test_flip_tta_averages_the_mirror_image():
    loader = _tiny_problem()
    trainer = Trainer(_model(), TrainConfig(epochs=1, progress=False))
    plain = trainer.predict(DataLoader(loader.dataset, batch_size=16))
    tta = trainer.predict(DataLoader(loader.dataset, batch_size=16), flip_tta=True)
    images = torch.stack([loader.dataset[i][0] for i in range(len(loader.dataset))])
    trainer.model.eval()
    with torch.no_grad():
        mirrored = torch.softmax(trainer.model(torch.flip(images, dims=[-1]))["label"], 1).numpy()
    assert np.allclose(tta.probs["label"], (plain.probs["label"] + mirrored) / 2, atol=1e-5)
    assert not np.allclose(tta.probs["label"], plain.probs["label"])
    assert trainer.evaluate(DataLoader(loader.dataset, batch_size=16), top_k=(), flip_tta=True).loc[
        "label", "accuracy"
    ] == pytest.approx((tta.probs["label"].argmax(1) == tta.labels["label"]).mean())


def test_multiview_batches_average_the_views():
    loader = _tiny_problem()
    trainer = Trainer(_model(), TrainConfig(epochs=1, progress=False))
    images = torch.stack([loader.dataset[i][0] for i in range(len(loader.dataset))])
    labels = torch.stack([loader.dataset[i][1]["label"] for i in range(len(loader.dataset))])

    class TwoViews(torch.utils.data.Dataset):  # the image and its negative, as one (2, C, H, W) item
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            return torch.stack([images[i], -images[i]]), {"label": labels[i]}

    both = trainer.predict(DataLoader(TwoViews(), batch_size=16), multi_view=True)
    trainer.model.eval()
    with torch.no_grad():
        expected = (
            torch.softmax(trainer.model(images)["label"], 1) + torch.softmax(trainer.model(-images)["label"], 1)
        ) / 2
    assert both.probs["label"].shape == (64, 2)
    assert np.allclose(both.probs["label"], expected.numpy(), atol=1e-5)
    from artlib.train.validation import predict_with_loss

    _, loss = predict_with_loss(trainer, DataLoader(TwoViews(), batch_size=16), with_loss=True, multi_view=True)
    nll = torch.nn.functional.nll_loss(expected.log(), labels)
    assert loss == pytest.approx(float(nll), rel=1e-4)
    embedded = trainer.predict(DataLoader(TwoViews(), batch_size=16), embed=True, multi_view=True)
    assert embedded.embeddings.shape[0] == 64
    with pytest.raises(ValueError, match="multi_view"):
        trainer.predict(DataLoader(loader.dataset, batch_size=16), multi_view=True)


def _one_batch_problem():
    loader = _tiny_problem()
    return DataLoader(torch.utils.data.Subset(loader.dataset, range(16)), batch_size=16, shuffle=True)


def test_ema_follows_timm_warmup_and_is_what_gets_evaluated(tmp_path):
    loader = _one_batch_problem()  # one optimizer step per epoch
    cfg = TrainConfig(epochs=2, lr=1e-2, monitor="train_loss", progress=False, patience=None, ema_decay=0.999)
    trainer = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    trainer.fit(loader, until_epoch=1)
    w1 = {k: v.clone() for k, v in trainer.model.named_parameters()}
    for k, v in trainer.ema.module.named_parameters():  # step 1: timm copies the weights
        assert torch.equal(v, w1[k])
    ema1 = {k: v.clone() for k, v in trainer.ema.module.state_dict().items()}
    best = load_checkpoint(tmp_path / "best.pt")["model"]  # epoch 1 is always the best so far
    assert all(torch.equal(best[k], v) for k, v in ema1.items())
    trainer.fit(loader)
    decay = 1 - 2**-0.75  # timm's warm-up at step 2, below ema_decay
    for (k, ema), (_, w2) in zip(trainer.ema.module.named_parameters(), trainer.model.named_parameters(), strict=True):
        assert torch.allclose(ema, decay * w1[k] + (1 - decay) * w2, atol=1e-6)
    pairs = zip(trainer.ema.module.parameters(), trainer.model.parameters(), strict=True)
    assert any(not torch.equal(a, b) for a, b in pairs)
    # predictions come from the EMA weights, and best.pt holds them
    got = trainer.predict(DataLoader(loader.dataset, batch_size=16)).probs["label"]
    x = torch.stack([loader.dataset[i][0] for i in range(16)])
    with torch.no_grad():
        expected = torch.softmax(trainer.ema.module.eval()(x)["label"], 1).numpy()
    assert np.allclose(got, expected, atol=1e-5)


def test_ema_resumes_identically_and_needs_ema_weights(tmp_path):
    loader = _tiny_problem()
    cfg = TrainConfig(epochs=3, lr=1e-2, monitor="train_loss", progress=False, patience=None, ema_decay=0.99)
    straight = Trainer(_model(), cfg)
    straight.fit(loader)
    interrupted = Trainer(_model(), cfg, checkpoint_dir=tmp_path / "ema")
    interrupted.fit(loader, until_epoch=1)
    resumed = Trainer(_model(), cfg)
    resumed.fit(loader, resume_from=tmp_path / "ema" / "last.pt")
    for a, b in zip(straight.ema.module.state_dict().values(), resumed.ema.module.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    plain = Trainer(
        _model(), TrainConfig(epochs=1, monitor="train_loss", progress=False), checkpoint_dir=tmp_path / "p"
    )
    plain.fit(loader)
    with pytest.raises(ValueError, match="no EMA weights"):
        Trainer(_model(), cfg).resume(tmp_path / "p" / "last.pt")


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_with_augmentation_is_bit_exact(splits, tmp_path, workers):
    """Real albumentations augmentation, fresh loaders after the interruption (as in a new process)."""

    def run(checkpoint_dir, until_epoch=None, resume_from=None):
        loaders = make_loaders(splits.tables, image_size=32, batch_size=16, num_workers=workers)
        torch.manual_seed(3)
        model = create_model("simple_cnn", splits.train.num_classes, widths=(8, 16), dropout=0.3)
        trainer = Trainer(
            model, TrainConfig(epochs=3, lr=3e-3, progress=False, patience=None), checkpoint_dir=checkpoint_dir
        )
        history = trainer.fit(loaders["train"], loaders["val"], resume_from=resume_from, until_epoch=until_epoch)
        return trainer, history

    straight, straight_history = run(tmp_path / "a")
    run(tmp_path / "b", until_epoch=1)
    resumed, resumed_history = run(tmp_path / "b", resume_from=tmp_path / "b" / "last.pt")
    assert list(resumed_history["train_loss"]) == list(straight_history["train_loss"])
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_training_augmentation_does_not_depend_on_worker_count(splits):
    batches = []
    for workers in (0, 2):
        torch.manual_seed(5)
        loader = make_loaders({"train": splits.train}, image_size=32, batch_size=8, num_workers=workers)["train"]
        batches.append(next(iter(loader))[0])
    assert torch.equal(*batches)
    torch.manual_seed(6)  # another epoch seed: another order and other crops
    assert not torch.equal(batches[0], next(iter(make_loaders({"train": splits.train}, 32, 8)["train"]))[0])


def test_resume_from_best_or_a_broken_checkpoint_says_what_to_do(tmp_path):
    from artlib.train import CheckpointError

    loader = _tiny_problem()
    cfg = TrainConfig(epochs=2, lr=1e-2, monitor="train_loss", progress=False, patience=None)
    Trainer(_model(), cfg, checkpoint_dir=tmp_path).fit(loader, until_epoch=1)
    with pytest.raises(CheckpointError, match="best.pt.*resume from last.pt"):
        Trainer(_model(), cfg).fit(loader, resume_from=tmp_path / "best.pt")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty.pt is empty \(0 bytes\).*delete it"):
        Trainer(_model(), cfg).fit(loader, resume_from=empty)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes((tmp_path / "last.pt").read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated.pt cannot be read"):
        load_checkpoint(truncated)


def test_an_empty_validation_split_is_refused(splits):
    loaders = make_loaders({"train": splits.train, "val": splits.val.subset([])}, image_size=32, batch_size=16)
    trainer = Trainer(
        create_model("simple_cnn", splits.train.num_classes, widths=(8, 16)), TrainConfig(epochs=1, progress=False)
    )
    with pytest.raises(ValueError, match="validation loader yielded no images"):
        trainer.fit(loaders["train"], loaders["val"])


def test_two_runs_into_one_checkpoint_folder_are_refused(tmp_path):
    from artlib.utils import FolderBusyError

    loader = _tiny_problem()
    cfg = TrainConfig(epochs=2, lr=1e-2, monitor="train_loss", progress=False, patience=None)
    errors = []

    class StartAnotherRun:  # a second training into the same folder while the first is running
        def on_epoch_end(self, trainer, row):
            try:
                Trainer(_model(), cfg, checkpoint_dir=tmp_path).fit(loader)
            except FolderBusyError as exc:
                errors.append(str(exc))

    Trainer(_model(), cfg, checkpoint_dir=tmp_path, callbacks=[StartAnotherRun()]).fit(loader)
    assert len(errors) == 2 and "in use by a training run already running (pid" in errors[0]
    Trainer(_model(), cfg, checkpoint_dir=tmp_path).fit(loader)  # the lock went with the first run


def test_load_best_refuses_the_weights_of_a_later_run(tmp_path):
    from artlib.train import CheckpointError

    loader = _tiny_problem()
    cfg = TrainConfig(epochs=1, lr=1e-2, monitor="train_loss", progress=False, patience=None)
    first = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    first.fit(loader)
    first.load_best()  # its own weights
    Trainer(_model(), cfg, checkpoint_dir=tmp_path).fit(loader)  # another run, later, same folder
    with pytest.raises(CheckpointError, match="written by another training run"):
        first.load_best()
    Trainer(_model(), cfg, checkpoint_dir=tmp_path).load_best()  # a fresh trainer only loading: allowed


def test_a_diverging_run_stops_before_saving_its_weights(tmp_path):
    from artlib.train import TrainingDivergedError

    loader = _tiny_problem()
    cfg = TrainConfig(epochs=3, lr=1e-2, monitor="train_loss", progress=False, patience=None)

    class Explode:  # what a far too high learning rate does, in one step
        def on_epoch_start(self, trainer):
            if trainer.epoch == 1:
                with torch.no_grad():
                    for p in trainer.model.parameters():
                        p.mul_(1e12)

    trainer = Trainer(_model(), cfg, checkpoint_dir=tmp_path, callbacks=[Explode()])
    with pytest.raises(TrainingDivergedError, match="diverged at epoch 2: train_loss.*Lower the learning rate"):
        trainer.fit(loader)
    assert load_checkpoint(tmp_path / "best.pt")["epoch"] == 1  # the last good weights survive
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1


@pytest.mark.parametrize("blow_up", [1e12, float("nan")])
def test_a_run_that_diverges_in_its_first_epoch_saves_nothing_and_names_it(tmp_path, blow_up):
    """An explosion within epoch 1 (val loss 3.5e24 once) met scikit-learn's ROC AUC ("Input contains NaN")
    before any divergence check, and its weights became best.pt."""
    from artlib.train import TrainingDivergedError

    loader = _tiny_problem()
    cfg = TrainConfig(epochs=2, lr=1e-2, monitor="val_macro_f1", mode="max", progress=False, patience=None)
    model = _model()
    calls = []

    def explode_after_the_first_batch(module, inputs):
        calls.append(1)
        if len(calls) == 2 and module.training:
            with torch.no_grad():
                for p in module.parameters():
                    p.mul_(blow_up)

    model.register_forward_pre_hook(explode_after_the_first_batch)
    trainer = Trainer(model, cfg, checkpoint_dir=tmp_path)
    with pytest.raises(TrainingDivergedError, match="diverged at epoch 1: .*untrained model's loss"):
        trainer.fit(loader, loader)
    assert not (tmp_path / "best.pt").exists() and not (tmp_path / "last.pt").exists()


def test_resuming_with_a_changed_learning_rate_warns_that_it_is_not_used(tmp_path):
    loader = _tiny_problem()
    cfg = TrainConfig(epochs=2, lr=1e-2, monitor="train_loss", progress=False, patience=None)
    Trainer(_model(), cfg, checkpoint_dir=tmp_path).fit(loader, until_epoch=1)
    changed = TrainConfig(epochs=2, lr=1e-3, monitor="train_loss", progress=False, patience=None)
    with pytest.warns(UserWarning, match=r"lr: 0.01 -> 0.001.*keep the checkpoint's \['lr'\].*NOT used"):
        Trainer(_model(), changed, checkpoint_dir=tmp_path).fit(loader, resume_from=tmp_path / "last.pt")
    with pytest.warns(UserWarning, match=r"epochs: 2 -> 3.*apply from the next epoch"):
        Trainer(
            _model(),
            TrainConfig(epochs=3, lr=1e-2, monitor="train_loss", progress=False, patience=None),
            checkpoint_dir=tmp_path,
        ).fit(loader, resume_from=tmp_path / "last.pt")


def test_a_full_disk_while_saving_says_so_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    from artlib.train import CheckpointError

    loader = _tiny_problem()
    cfg = TrainConfig(epochs=2, lr=1e-2, monitor="train_loss", progress=False, patience=None)
    trainer = Trainer(_model(), cfg, checkpoint_dir=tmp_path)
    trainer.fit(loader, until_epoch=1)
    before = (tmp_path / "last.pt").read_bytes()

    def full_disk(obj, f, *args, **kwargs):  # what torch's zip writer raises on ENOSPC
        raise RuntimeError(
            "[enforce fail at inline_container.cc:778] . PytorchStreamWriter failed writing file "
            "data/3: file write failed"
        )

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(CheckpointError, match=r"last.pt: the disk is full .*previous last.pt \(if any\) is intact"):
        trainer.fit(loader)
    assert (tmp_path / "last.pt").read_bytes() == before
    assert not list(tmp_path.glob("*.tmp-*"))


def test_train_epoch_works_before_fit():
    """Found by mypy: the schedule was built by fit() only, so train_epoch() alone stepped a None scheduler."""
    trainer = Trainer(_model(), TrainConfig(epochs=2, lr=1e-2, monitor="train_loss", progress=False))
    loss = trainer.train_epoch(_tiny_problem())
    assert math.isfinite(loss) and trainer.scheduler is not None and trainer.scheduler.last_epoch > 0


def test_tensorboard_logs_scalars_hparams_and_confusion(splits, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    loaders = make_loaders(splits.tables, image_size=32, batch_size=16)
    trainer = Trainer(
        create_model("simple_cnn", splits.train.num_classes, widths=(8, 16)),
        TrainConfig(epochs=2, progress=False),
        log_dir=tmp_path / "runs" / "demo",
        class_names=splits.train.classes,
    )
    trainer.fit(loaders["train"], loaders["val"])
    events = EventAccumulator(str(tmp_path / "runs" / "demo"), size_guidance={"images": 0}).Reload()
    scalars = set(events.Tags()["scalars"])
    assert {"loss/train", "loss/val", "lr", "val/macro_f1"} <= scalars
    assert {f"val/{task}_accuracy" for task in splits.train.tasks} <= scalars
    assert len(events.Scalars("loss/train")) == 2
    assert {f"confusion/{task}" for task in splits.train.tasks} <= set(events.Tags()["images"])
    assert events.PluginTagToContent("hparams")  # the run's settings and its best monitored value
