import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from artlib.data import load_wikiart
from artlib.data.dataset import ArtDataset, collate_skip_none, verify_images
from artlib.data.io import load_table, save_table
from artlib.data.loaders import make_loaders
from artlib.data.transforms import eval_transform, train_transform
from artlib.data.upsample import upsample_minority


def _wikiart(fx):
    return load_wikiart(fx.wikiart_csv, image_root=fx.wikiart_images)


def test_verify_reports_the_damaged_files(fixture_paths):
    report = verify_images(_wikiart(fixture_paths))
    assert len(report.bad) == 2
    assert report.bad["error"].str.contains("not found").sum() == 1
    assert report.bad["error"].str.contains("cannot decode").sum() == 1
    header_only = verify_images(_wikiart(fixture_paths), decode=False)
    assert len(header_only.bad) == 1  # a truncated file has a valid header


def test_dataset_items(fixture_paths):
    table = verify_images(_wikiart(fixture_paths)).table
    ds = ArtDataset(table, eval_transform(48))
    image, labels = ds[0]
    assert image.shape == (3, 48, 48) and image.dtype == torch.float32
    assert set(labels) == {"artist", "genre", "style"}
    assert int(labels["style"]) == table.frame["style"].iloc[0]
    batch = next(iter(DataLoader(ds, batch_size=8)))
    assert batch[0].shape == (8, 3, 48, 48) and batch[1]["genre"].shape == (8,)


def test_unreadable_images_raise_or_skip(fixture_paths):
    table = _wikiart(fixture_paths)
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


def test_loaders_drop_bad_samples(fixture_paths):
    loaders = make_loaders({"train": _wikiart(fixture_paths)}, image_size=32, batch_size=64)
    seen = sum(b[0].shape[0] for b in loaders["train"] if b is not None)
    assert seen >= len(_wikiart(fixture_paths)) - 2 - 64  # drop_last may cut one partial batch


def test_table_io_roundtrip(fixture_paths, tmp_path):
    table = _wikiart(fixture_paths)
    save_table(table, tmp_path / "t")
    back = load_table(tmp_path / "t")
    assert back.classes == table.classes and back.root == table.root
    assert back.frame[["path", "artist", "genre", "style"]].equals(table.frame[["path", "artist", "genre", "style"]])


def test_upsampling_balances_and_writes(fixture_paths, tmp_path):
    table = verify_images(_wikiart(fixture_paths)).table
    before = table.counts("genre")
    out = upsample_minority(table, "genre", tmp_path, seed=0)
    after = out.counts("genre")
    assert (after == before.max()).all()
    new = out.frame[out.frame["augmented_from"] != ""]
    assert len(new) == (before.max() - before).sum()
    assert all(p.is_file() for p in out.image_paths()[len(table) :])
    assert (out.frame["style"].iloc[len(table) :].to_numpy() >= 0).all()  # other labels carried over


def test_large_jpegs_decode_at_reduced_scale(tmp_path):
    import pandas as pd
    from PIL import Image

    from artlib.data import ArtTable
    from artlib.data.images import load_rgb

    scan = np.zeros((1200, 1600, 3), dtype=np.uint8)
    scan[:600] = (200, 30, 30)  # red top half, black bottom half
    Image.fromarray(scan).save(tmp_path / "scan.jpg", quality=95)
    Image.fromarray(scan).save(tmp_path / "scan.png")
    assert load_rgb(tmp_path / "scan.jpg").shape == (1200, 1600, 3)
    reduced = load_rgb(tmp_path / "scan.jpg", reduce_to=256)
    assert reduced.shape == (300, 400, 3)  # 1/4 scale: the shorter side stays >= 256
    assert abs(int(reduced[:140, :, 0].mean()) - 200) < 8 and reduced[160:, :, 0].mean() < 10
    assert load_rgb(tmp_path / "scan.jpg", reduce_to=700).shape == (1200, 1600, 3)  # 1/2 would go below 700
    assert load_rgb(tmp_path / "scan.png", reduce_to=256).shape == (1200, 1600, 3)  # only JPEGs are reduced
    table = ArtTable(pd.DataFrame({"path": ["scan.jpg"], "style": [0]}), {"style": ["a"]}, root=tmp_path)
    assert ArtDataset(table, decode_side=256)[0][0].shape == (3, 300, 400)
    assert ArtDataset(table)[0][0].shape == (3, 1200, 1600)


def test_letterbox_keeps_the_whole_scroll():
    from artlib.data.transforms import PAD_FILL, eval_transform, train_transform

    scroll = np.zeros((400, 100, 3), np.uint8)  # a tall black hanging scroll
    scroll[:20] = 255  # white top end: cropped away by a centre crop, kept by the letterbox
    plain = ((0, 0, 0), (1, 1, 1))
    boxed = eval_transform(64, normalization=plain, fit="letterbox")(image=scroll)["image"]
    cropped = eval_transform(64, normalization=plain)(image=scroll)["image"]
    assert boxed.shape == cropped.shape == (3, 64, 64)
    assert torch.allclose(boxed[:, 32, 0], torch.tensor(PAD_FILL) / 255)  # grey margin beside the scroll
    assert boxed[:, 0, 32].min() > 0.9 and cropped[:, 0, 32].max() < 0.1  # the scroll's top survives
    assert torch.allclose(boxed[:, 32, 32], torch.zeros(3))
    assert train_transform(64, letterbox_p=1.0)(image=scroll)["image"].shape == (3, 64, 64)
    with pytest.raises(ValueError, match="fit"):
        eval_transform(64, fit="stretch")
    with pytest.raises(ValueError, match="letterbox_p"):
        train_transform(64, letterbox_p=2)
    with pytest.raises(ValueError, match="device_augment"):
        make_loaders({}, 64, device_augment=True, letterbox=True)


def test_zoom_out_keeps_the_whole_painting_on_a_plain_canvas():
    from artlib.data.transforms import CANVAS_FILLS, zoom_out

    painting = np.zeros((64, 64, 3), np.uint8)
    painting[...] = (0, 255, 0)  # a red square in an 8-pixel green frame: the frame must survive whole
    painting[8:-8, 8:-8] = (200, 0, 0)
    shrink = zoom_out(64, scale=(0.5, 0.5), p=1.0)
    shrink.set_random_seed(0)
    corners, canvases = set(), set()
    for _ in range(12):
        out = shrink(image=painting)["image"]
        assert out.shape == (64, 64, 3)
        inside = ~np.any([(out == fill).all(-1) for fill in CANVAS_FILLS], axis=0)
        rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
        assert len(rows) == len(cols) == 32 and inside.sum() == 32 * 32  # the whole painting, at half size
        assert (out[rows[0], cols[0]] == (0, 255, 0)).all() and (out[rows[-1], cols[-1]] == (0, 255, 0)).all()
        canvas = {tuple(c) for c in out[~inside].reshape(-1, 3)}
        assert len(canvas) == 1 and canvas <= set(CANVAS_FILLS)
        corners.add((rows[0], cols[0]))
        canvases |= canvas
    assert len(corners) > 3 and len(canvases) > 1  # placed at random on random backgrounds
    assert train_transform(64, zoom_out_p=1.0)(image=painting)["image"].shape == (3, 64, 64)
    with pytest.raises(ValueError, match="scale"):
        zoom_out(64, scale=(0.5, 1.2))
    with pytest.raises(ValueError, match="canvas colour"):
        zoom_out(64, fills=())
    with pytest.raises(ValueError, match="zoom_out_p"):
        train_transform(64, zoom_out_p=1.5)
    with pytest.raises(ValueError, match="device_augment"):
        make_loaders({}, 64, device_augment=True, zoom_out=0.5)


def test_multiview_crops_along_the_long_side():
    from artlib.data.tta import MultiView, square_crop

    scroll = np.zeros((300, 100, 3), np.uint8)  # tall: top third white, middle grey, bottom black
    scroll[:100], scroll[100:200] = 255, 128
    assert square_crop(scroll, "start").min() == 255 and square_crop(scroll, "end").max() == 0
    assert (square_crop(scroll, "centre") == 128).all()
    wide = scroll.transpose(1, 0, 2)  # a handscroll: the same squares from left to right
    assert np.array_equal(square_crop(wide, "start"), square_crop(scroll, "start").transpose(1, 0, 2))
    plain = ((0, 0, 0), (1, 1, 1))
    views = MultiView(("letterbox", "start", "centre", "end", "crop"), 32, plain)(image=scroll)["image"]
    assert views.shape == (5, 3, 32, 32)
    means = views.mean((1, 2, 3))
    assert means[1] == pytest.approx(1.0) and means[2] == pytest.approx(128 / 255, abs=1e-3) and means[3] == 0
    with pytest.raises(ValueError, match="views"):
        MultiView(("letterbox", "zoom"))
    with pytest.raises(ValueError, match="where"):
        square_crop(scroll, "middle")


def test_loaders_with_tta_views_yield_every_view(fixture_paths):
    table = verify_images(_wikiart(fixture_paths)).table  # a shuffled corrupt image would shrink a batch
    loaders = make_loaders({"train": table, "test": table}, 32, batch_size=4, tta_views=("letterbox", "end"))
    images, labels = next(iter(loaders["test"]))
    assert images.shape == (4, 2, 3, 32, 32)
    assert next(iter(loaders["train"]))[0].shape == (4, 3, 32, 32)  # training keeps single random crops
    with pytest.raises(ValueError, match="device_augment"):
        make_loaders({}, 32, device_augment=True, tta_views=("letterbox",))


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
