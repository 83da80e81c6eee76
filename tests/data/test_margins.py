"""Uniform margins: found on padded paintings (JPEG noise included), left alone elsewhere."""

import cv2
import numpy as np
import pytest

from artlib.data import TrimMargins, content_box, trim_margins
from artlib.data.loaders import make_loaders
from artlib.data.transforms import eval_transform, train_transform
from artlib.data.tta import MultiView

PLAIN = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


def painting(h: int = 60, w: int = 40, seed: int = 0) -> np.ndarray:
    """Smooth random colours: no row or column of it is uniform."""
    small = np.random.default_rng(seed).integers(0, 256, (6, 4, 3), dtype=np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def padded(image: np.ndarray, top: int, bottom: int, left: int, right: int, colour=(240, 240, 240)) -> np.ndarray:
    return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=colour)


def test_content_box_finds_the_padding_on_each_side():
    art = painting()
    assert content_box(padded(art, 20, 20, 0, 0)) == (20, 80, 0, 40)
    assert content_box(padded(art, 0, 0, 30, 10, colour=(0, 0, 0))) == (0, 60, 30, 70)
    assert content_box(padded(art, 5, 0, 0, 12, colour=(255, 250, 230))) == (5, 65, 0, 40)
    assert np.array_equal(trim_margins(padded(art, 7, 3, 2, 9)), art)


def test_content_box_survives_jpeg_noise():
    image = padded(painting(120, 80), 40, 40, 0, 0)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    noisy = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    top, bottom, left, right = content_box(noisy)
    assert abs(top - 40) <= 2 and abs(bottom - 160) <= 2
    assert (left, right) == (0, 80)


def test_unpadded_and_near_blank_images_stay_whole():
    art = painting()
    assert content_box(art) == (0, 60, 0, 40)
    blank = np.full((100, 100, 3), 245, np.uint8)
    blank[50, 50] = 0  # one dot of ink on empty paper: trimming would keep 1 % of each axis
    assert content_box(blank) == (0, 100, 0, 100)
    assert content_box(np.full((10, 10, 3), 7, np.uint8)) == (0, 10, 0, 10)


def test_content_box_takes_grayscale_and_rejects_other_shapes():
    gray = padded(painting(), 10, 10, 0, 0)[..., 0]
    assert content_box(gray) == (10, 70, 0, 40)
    with pytest.raises(ValueError, match="HxWxC"):
        content_box(np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="HxWxC"):
        content_box(np.zeros((0, 3, 3), np.uint8))


def test_trimmed_pipelines_see_padded_and_unpadded_copies_alike():
    art = painting(64, 32)
    copy = padded(art, 0, 0, 16, 16)  # the same painting padded to a square, as crawled sets have it
    for fit in ("letterbox", "crop"):
        plain = eval_transform(32, normalization=PLAIN, fit=fit, trim_margins=True)
        assert np.allclose(plain(image=art)["image"], plain(image=copy)["image"])
    untrimmed = eval_transform(32, normalization=PLAIN, fit="crop")
    assert not np.allclose(untrimmed(image=art)["image"], untrimmed(image=copy)["image"])
    views = MultiView(("letterbox", "start", "end"), 16, PLAIN, trim_margins=True)
    assert np.allclose(views(image=art)["image"], views(image=copy)["image"])
    assert train_transform(32, trim_margins=True)(image=copy)["image"].shape == (3, 32, 32)
    assert TrimMargins()(image=copy)["image"].shape == art.shape


def test_trim_margins_is_refused_with_device_augment():
    with pytest.raises(ValueError, match="trim_margins"):
        make_loaders({}, 32, device_augment=True, trim_margins=True)


def test_margin_stats_per_image_with_labels(tmp_path, caplog):
    from artlib.data import load_image_folder, margin_stats

    for folder, name, image in [
        ("fans", "padded.png", padded(painting(), 20, 20, 0, 0)),
        ("scrolls", "whole.png", painting()),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / folder / name), image)
    (tmp_path / "scrolls" / "broken.png").write_bytes(b"\x89PNG not really")
    table = load_image_folder(tmp_path)
    stats = margin_stats(table).set_index("row")
    assert len(stats) == 2 and "unreadable" in caplog.text
    padded_row = int(np.flatnonzero(table.frame["path"].str.contains("padded"))[0])
    whole_row = int(np.flatnonzero(table.frame["path"].str.contains("whole"))[0])
    task = table.tasks[0]
    assert stats.loc[padded_row, "trimmed"] and stats.loc[padded_row, "kept"] == pytest.approx(0.6)
    assert not stats.loc[whole_row, "trimmed"] and stats.loc[whole_row, "kept"] == 1.0
    assert (stats.loc[padded_row, task], stats.loc[whole_row, task]) == ("fans", "scrolls")
    # a 60 x 40 painting fills 2400 / 100**2 of the letterboxed square of its padded 100 x 40 copy
    assert stats.loc[padded_row, "square_cover"] == pytest.approx(0.24)
    assert stats.loc[whole_row, "square_cover"] == pytest.approx(2400 / 60**2)
    assert stats.loc[padded_row, "content_aspect"] == stats.loc[whole_row, "content_aspect"] == pytest.approx(1.5)


def test_large_images_are_searched_downscaled():
    art = cv2.resize(painting(), (400, 600), interpolation=cv2.INTER_CUBIC)
    big = padded(art, 301, 299, 0, 0, colour=(250, 250, 250))  # 1200 x 400, searched at 300 x 100
    top, bottom, left, right = content_box(big, max_side=300)
    assert 297 <= top <= 301 and 901 <= bottom <= 905 and (left, right) == (0, 400)  # never cuts the painting
    assert content_box(big, max_side=2000) == (301, 901, 0, 400)  # the full-size search is exact
