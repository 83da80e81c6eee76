import numpy as np
import pytest
from PIL import Image

from artlib.data.images import ImageLoadError, image_size, load_rgb


def _rgb(h=20, w=30):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_rgb_jpeg_roundtrip(tmp_path):
    Image.fromarray(_rgb()).save(tmp_path / "a.jpg")
    arr = load_rgb(tmp_path / "a.jpg")
    assert arr.shape == (20, 30, 3) and arr.dtype == np.uint8


@pytest.mark.parametrize("mode", ["CMYK", "L", "P", "1", "I;16", "LA", "RGBA"])
def test_every_mode_becomes_rgb(tmp_path, mode):
    img = Image.fromarray(_rgb())
    if mode == "I;16":
        img = Image.fromarray((np.asarray(img.convert("L"), dtype=np.uint16) * 257))
    else:
        img = img.convert(mode)
    path = tmp_path / ("x.jpg" if mode in ("CMYK", "L") else "x.png")
    img.save(path)
    arr = load_rgb(path)
    assert arr.shape == (20, 30, 3) and arr.dtype == np.uint8


def test_sixteen_bit_is_scaled_not_clipped(tmp_path):
    gray = np.full((8, 8), 40000, dtype=np.uint16)
    Image.fromarray(gray).save(tmp_path / "g16.png")
    arr = load_rgb(tmp_path / "g16.png")
    assert abs(int(arr[0, 0, 0]) - round(40000 / 65535 * 255)) <= 1


def test_transparency_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # fully transparent black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    assert (load_rgb(tmp_path / "t.png") == 255).all()


def test_cmyk_colour_is_preserved(tmp_path):
    red = np.zeros((16, 16, 3), dtype=np.uint8)
    red[..., 0] = 255
    Image.fromarray(red).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    arr = load_rgb(tmp_path / "c.jpg").astype(int)
    assert arr[..., 0].mean() > 200 and arr[..., 1].mean() < 60


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="not found"):
        load_rgb(tmp_path / "nope.jpg")


def test_truncated_jpeg_fails_loudly(tmp_path):
    path = tmp_path / "t.jpg"
    Image.fromarray(_rgb(200, 200)).save(path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="cannot decode"):
        load_rgb(path)


def test_not_an_image(tmp_path):
    path = tmp_path / "x.jpg"
    path.write_text("<html>404</html>")
    with pytest.raises(ImageLoadError):
        load_rgb(path)
    with pytest.raises(ImageLoadError):
        image_size(path)


def test_huge_image_refused_before_decoding(tmp_path):
    Image.fromarray(_rgb(100, 100)).save(tmp_path / "big.png")
    with pytest.raises(ImageLoadError, match="too large"):
        load_rgb(tmp_path / "big.png", max_pixels=5000)
    assert image_size(tmp_path / "big.png") == (100, 100)
