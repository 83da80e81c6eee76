import numpy as np
import pytest
import torch

from artlib.data import load_wikiart, stratified_split
from artlib.data.dataset import ArtDataset, verify_images
from artlib.data.device_augment import DeviceAugment, decode_size, decode_transform, device_transforms
from artlib.data.loaders import make_loaders
from artlib.data.transforms import INCEPTION, eval_transform
from artlib.models import create_model
from artlib.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def table(fixture_paths):
    return verify_images(load_wikiart(fixture_paths.wikiart_csv, image_root=fixture_paths.wikiart_images)).table


def test_loader_decodes_to_fixed_size_uint8(table):
    image, _ = ArtDataset(table, decode_transform(32))[0]
    assert image.dtype == torch.uint8 and tuple(image.shape) == (3, decode_size(32), decode_size(32))
    batch = next(iter(make_loaders({"train": table}, 32, batch_size=8, device_augment=True)["train"]))
    assert batch[0].dtype == torch.uint8 and tuple(batch[0].shape) == (8, 3, decode_size(32), decode_size(32))


def test_device_eval_equals_the_cpu_eval_transform(table):
    raw, _ = ArtDataset(table, decode_transform(32))[0]
    cpu, _ = ArtDataset(table, eval_transform(32, normalization=INCEPTION))[0]
    on_device = DeviceAugment(32, normalization=INCEPTION, train=False)(raw[None])[0]
    assert on_device.shape == cpu.shape
    assert (on_device - cpu).abs().max() < 2 / 255 * 2  # the same pixels up to rounding (std 0.5)


def test_train_augmentation_is_random_per_sample_and_normalised():
    torch.manual_seed(0)
    same = torch.randint(0, 256, (1, 3, 40, 40), dtype=torch.uint8).repeat(8, 1, 1, 1)
    out = DeviceAugment(32, strength=1.0)(same)
    assert out.shape == (8, 3, 32, 32) and out.dtype == torch.float32
    assert not torch.allclose(out[0], out[1])  # each sample draws its own crop / flip / colour
    zero = DeviceAugment(32, strength=0.0)(torch.full((2, 3, 32, 32), 255, dtype=torch.uint8))
    assert torch.allclose(
        zero,
        ((1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225]))
        .view(1, 3, 1, 1)
        .expand_as(zero),
        atol=1e-4,
    )
    with pytest.raises(ValueError, match="strength"):
        DeviceAugment(32, strength=2.0)
    with pytest.raises(ValueError, match="B, 3, H, W"):
        DeviceAugment(32)(torch.zeros(3, 32, 32))


def test_trainer_applies_batch_transforms(table):
    splits = stratified_split(table, (0.8, 0.2), ("train", "val"), stratify="style", seed=0)
    loaders = make_loaders(splits.tables, 32, batch_size=16, device_augment=True)
    seen = {"train": 0, "eval": 0}

    def counting(stage, transform):
        def run(images):
            assert images.dtype == torch.uint8
            seen[stage] += len(images)
            return transform(images)

        return run

    tf = device_transforms(32)
    model = create_model("simple_cnn", splits["train"].num_classes, widths=(4, 8))
    trainer = Trainer(
        model,
        TrainConfig(epochs=1, progress=False, monitor="val_loss"),
        batch_transforms={k: counting(k, t) for k, t in tf.items()},
    )
    history = trainer.fit(loaders["train"], loaders["val"])
    assert np.isfinite(history["val_loss"]).all()
    assert seen["train"] == len(loaders["train"]) * 16 and seen["eval"] == len(splits["val"])
    with pytest.raises(ValueError, match="batch_transforms"):
        Trainer(model, batch_transforms={"test": tf["eval"]})
