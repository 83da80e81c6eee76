import pytest
import torch
from toy_problems import wikiart_of

from artlib.data import load_wikiart
from artlib.data.dataset import verify_images
from artlib.data.loaders import LoaderOptions, make_loader, make_loaders


@pytest.fixture
def table(fixture_paths):
    raw = load_wikiart(fixture_paths.wikiart_csv, image_root=fixture_paths.wikiart_images)
    return verify_images(raw).table.subset(range(12))


def _first_batch(loader):
    return next(iter(loader))[0]


def test_a_loader_says_whether_it_trains_whatever_the_tables_are_called(table):
    loaders = make_loaders({"train": table, "gallery": table}, 32, 4, train=())  # e.g. a retrieval gallery
    assert all(loader.sampler.__class__.__name__ == "SequentialSampler" for loader in loaders.values())
    torch.testing.assert_close(_first_batch(loaders["train"]), _first_batch(loaders["gallery"]))
    trained = make_loaders({"pool": table, "test": table}, 32, 4, train=("pool",))
    assert trained["pool"].drop_last and not trained["test"].drop_last
    assert make_loaders({"train": table}, 32, 4)["train"].drop_last  # by default "train" trains
    with pytest.raises(ValueError, match="training tables"):
        make_loaders({"train": table}, 32, 4, train=("trian",))
    with pytest.raises(ValueError, match="training tables"):
        make_loaders({"train": table}, 32, 4, train="train")  # a string, not a collection of names


def test_one_loader_and_shared_options(table):
    options = LoaderOptions(image_size=32, batch_size=3)
    loader = make_loader(table, train=False, options=options, return_index=True)
    images, _, index = next(iter(loader))
    assert images.shape == (3, 3, 32, 32) and index.tolist() == [0, 1, 2]
    with pytest.raises(TypeError):
        make_loader(table, train=False, image_sise=32)  # a typo is not ignored
    with pytest.raises(ValueError, match="device_augment"):
        LoaderOptions(device_augment=True, letterbox=True)


def test_loaders_drop_bad_samples(fixture_paths):
    loaders = make_loaders({"train": wikiart_of(fixture_paths)}, image_size=32, batch_size=64)
    seen = sum(b[0].shape[0] for b in loaders["train"] if b is not None)
    assert seen >= len(wikiart_of(fixture_paths)) - 2 - 64  # drop_last may cut one partial batch


def test_loaders_with_tta_views_yield_every_view(fixture_paths):
    table = verify_images(wikiart_of(fixture_paths)).table  # a shuffled corrupt image would shrink a batch
    loaders = make_loaders({"train": table, "test": table}, 32, batch_size=4, tta_views=("letterbox", "end"))
    images, labels = next(iter(loaders["test"]))
    assert images.shape == (4, 2, 3, 32, 32)
    assert next(iter(loaders["train"]))[0].shape == (4, 3, 32, 32)  # training keeps single random crops
    with pytest.raises(ValueError, match="device_augment"):
        make_loaders({}, 32, device_augment=True, tta_views=("letterbox",))
