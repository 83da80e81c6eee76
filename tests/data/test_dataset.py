import pytest
import torch
from torch.utils.data import DataLoader
from toy_problems import wikiart_of

from artlib.data.dataset import ArtDataset, collate_skip_none, verify_images
from artlib.data.transforms import eval_transform, train_transform


def test_verify_reports_the_damaged_files(fixture_paths):
    report = verify_images(wikiart_of(fixture_paths))
    assert len(report.bad) == 2
    assert report.bad["error"].str.contains("not found").sum() == 1
    assert report.bad["error"].str.contains("cannot decode").sum() == 1
    header_only = verify_images(wikiart_of(fixture_paths), decode=False)
    assert len(header_only.bad) == 1  # a truncated file has a valid header


def test_dataset_items(fixture_paths):
    table = verify_images(wikiart_of(fixture_paths)).table
    ds = ArtDataset(table, eval_transform(48))
    image, labels = ds[0]
    assert image.shape == (3, 48, 48) and image.dtype == torch.float32
    assert set(labels) == {"artist", "genre", "style"}
    assert int(labels["style"]) == table.frame["style"].iloc[0]
    batch = next(iter(DataLoader(ds, batch_size=8)))
    assert batch[0].shape == (8, 3, 48, 48) and batch[1]["genre"].shape == (8,)


def test_unreadable_images_raise_or_skip(fixture_paths):
    table = wikiart_of(fixture_paths)
    bad = verify_images(table).bad["path"]
    rows = table.frame.index[table.frame["path"].isin(bad)].tolist()
    strict = ArtDataset(table, train_transform(32))
    try:
        strict[rows[0]]
        raise AssertionError("expected an error")
    except Exception as exc:  # noqa: BLE001
        assert str(table.frame["path"][rows[0]]) in str(exc)
    lenient = ArtDataset(table, train_transform(32), on_error="skip")
    assert lenient[rows[0]] is None and len(lenient.skipped) == 1
    batch = collate_skip_none([lenient[rows[0]], lenient[rows[1]], lenient[0]])
    assert batch[0].shape[0] == 1
    assert collate_skip_none([None]) is None


def test_a_transform_is_called_one_way_and_its_own_errors_surface(fixture_paths):
    import albumentations as A

    from artlib.data import load_image_folder
    from artlib.data.dataset import ArtDataset, takes_image_keyword

    table = load_image_folder(fixture_paths.imagefolder)
    assert takes_image_keyword(A.Compose([A.Resize(8, 8)])) and not takes_image_keyword(lambda x: x)

    class Broken:  # an albumentations-style transform with a bug inside
        def __call__(self, *args, **kwargs):
            if kwargs:
                raise TypeError("a bug inside the transform")
            return "a silently wrong sample"  # what the old retry as transform(image) returned

    with pytest.raises(TypeError, match="a bug inside the transform"):  # not retried as transform(image)
        ArtDataset(table, Broken(), on_error="raise")[0]
    positional = ArtDataset(table, lambda x: x.shape)
    assert positional[0][0] == positional.__getitem__(0)[0] and len(positional[0][0]) == 3
