import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from artlib.data.dataset import ArtDataset, verify_images
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
        img = Image.fromarray(np.asarray(img.convert("L"), dtype=np.uint16) * 257)
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


def _swapped_primaries_profile() -> bytes:
    """An RGB ICC profile whose red and blue primaries are swapped (pure red in it is sRGB blue)."""
    import struct

    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    entries = {}
    for i in range(struct.unpack(">I", profile[128:132])[0]):
        sig, offset, size = struct.unpack(">4sII", profile[132 + 12 * i : 144 + 12 * i])
        entries[sig] = (i, offset, size)
    (r, r_off, r_size), (b, b_off, b_size) = entries[b"rXYZ"], entries[b"bXYZ"]
    struct.pack_into(">4sII", profile, 132 + 12 * r, b"rXYZ", b_off, b_size)
    struct.pack_into(">4sII", profile, 132 + 12 * b, b"bXYZ", r_off, r_size)
    return bytes(profile)


def _solid(colour, size=(12, 8)):
    return Image.new("RGB", size, colour)


def test_embedded_icc_profile_is_converted_to_srgb(tmp_path):
    _solid((255, 0, 0)).save(tmp_path / "tagged.png", icc_profile=_swapped_primaries_profile())
    managed = load_rgb(tmp_path / "tagged.png")[0, 0].astype(int)
    assert managed[2] > 200 and managed[0] < 60  # shown as the profile means it: blue
    assert tuple(load_rgb(tmp_path / "tagged.png", color_manage=False)[0, 0]) == (255, 0, 0)


def test_srgb_profile_changes_little(tmp_path):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(_rgb()).save(tmp_path / "s.png", icc_profile=srgb)
    diff = np.abs(load_rgb(tmp_path / "s.png").astype(int) - _rgb().astype(int))
    assert diff.max() <= 2


def test_unusable_icc_profile_is_logged_and_ignored(tmp_path, caplog):
    _solid((10, 200, 30)).save(tmp_path / "bad.png", icc_profile=b"not a profile at all" * 8)
    with caplog.at_level("WARNING", logger="artlib.data.images"):
        arr = load_rgb(tmp_path / "bad.png")
    assert tuple(arr[0, 0]) == (10, 200, 30)
    assert "ICC profile" in caplog.text


@pytest.mark.parametrize("orientation, shape", [(1, (8, 12, 3)), (3, (8, 12, 3)), (6, (12, 8, 3)), (8, (12, 8, 3))])
def test_exif_orientation_is_applied(tmp_path, orientation, shape):
    img = _solid((0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 4, 4))  # a white corner, top left as stored
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(tmp_path / "o.jpg", exif=exif, quality=95)
    arr = load_rgb(tmp_path / "o.jpg")
    assert arr.shape == shape
    assert image_size(tmp_path / "o.jpg") == (shape[1], shape[0])
    corners = {"tl": arr[1, 1], "tr": arr[1, -2], "bl": arr[-2, 1], "br": arr[-2, -2]}
    white = {k for k, v in corners.items() if v.mean() > 200}
    assert white == {1: {"tl"}, 3: {"br"}, 6: {"tr"}, 8: {"bl"}}[orientation]


def test_exif_orientation_and_icc_profile_together(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    _solid((255, 0, 0)).save(tmp_path / "both.png", exif=exif, icc_profile=_swapped_primaries_profile())
    arr = load_rgb(tmp_path / "both.png")
    assert arr.shape == (12, 8, 3) and arr[0, 0, 2] > 200


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header claims ``width x height`` (no pixel data): a decompression bomb to Pillow."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def test_oversized_image_is_reported_by_header_only_verification(tmp_path):
    import pandas as pd

    from artlib.data import ArtTable

    Image.fromarray(_rgb()).save(tmp_path / "ok.png")
    _png_header_only(tmp_path / "bomb.png", 20_000, 10_000)  # 200 MP: above Pillow's hard limit
    with pytest.raises(ImageLoadError, match="too large"):
        image_size(tmp_path / "bomb.png")
    with pytest.raises(ImageLoadError, match="too large"):
        load_rgb(tmp_path / "bomb.png")
    table = ArtTable(pd.DataFrame({"path": ["ok.png", "bomb.png"], "label": [0, 0]}), {"label": ["a"]}, tmp_path)
    report = verify_images(table, decode=False)
    assert list(report.table.frame["path"]) == ["ok.png"]
    assert report.bad["path"].tolist() == ["bomb.png"] and "too large" in report.bad["error"].iloc[0]


def test_float_tiff_in_unit_range_keeps_its_brightness(tmp_path):
    values = np.full((8, 8), 0.5, dtype=np.float32)
    Image.fromarray(values, mode="F").save(tmp_path / "unit.tif")
    assert abs(int(load_rgb(tmp_path / "unit.tif")[0, 0, 0]) - 128) <= 1
    Image.fromarray(values * 200, mode="F").save(tmp_path / "byte_range.tif")
    assert load_rgb(tmp_path / "byte_range.tif")[0, 0, 0] == 100


def test_decode_rgb_reads_bytes_and_names_the_upload_in_errors():
    import io

    from PIL import Image

    from artlib.data.images import ImageLoadError, decode_rgb

    buffer = io.BytesIO()
    Image.new("CMYK", (20, 10), (0, 200, 200, 0)).save(buffer, "JPEG")
    rgb = decode_rgb(buffer.getvalue(), "scan.jpg")
    assert rgb.shape == (10, 20, 3) and rgb.dtype == np.uint8 and rgb[..., 0].mean() > 200
    for data, message in ((b"", "empty"), (b"plain text", "cannot decode"), (buffer.getvalue()[:200], "cannot decode")):
        with pytest.raises(ImageLoadError, match=f"{message}.*" if message == "empty" else f"{message} image scan.jpg"):
            decode_rgb(data, "scan.jpg")
    with pytest.raises(ImageLoadError, match="too large"):
        decode_rgb(buffer.getvalue(), "scan.jpg", max_pixels=100)


def test_a_file_name_too_long_for_the_file_system_is_an_image_load_error(tmp_path):
    from artlib.data.table import ArtTable

    with pytest.raises(ImageLoadError, match=r"File name too long \(300-character file name\); rename the file"):
        load_rgb(tmp_path / ("a" * 296 + ".jpg"))
    Image.new("RGB", (8, 8)).save(tmp_path / "ok.jpg")
    table = ArtTable(
        pd.DataFrame({"path": ["ok.jpg", "a" * 296 + ".jpg"], "label": [0, 0]}), {"label": ["x"]}, tmp_path
    )
    assert verify_images(table).table.frame["path"].tolist() == ["ok.jpg"]  # one error row, not an abort


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


def test_an_image_too_small_to_show_anything_is_not_answered():
    from artlib.app.explorer import Explorer
    from artlib.data.images import MIN_ANSWER_SIDE, ImageLoadError, check_answerable

    ok = np.zeros((MIN_ANSWER_SIDE, 200, 3), np.uint8)
    assert check_answerable(ok) is ok
    with pytest.raises(ImageLoadError, match="1x1 px: too small"):
        check_answerable(np.zeros((1, 1, 3), np.uint8))
    buffer = io.BytesIO()
    Image.new("RGB", (12, 300), "white").save(buffer, "PNG")
    with pytest.raises(ImageLoadError, match="12x300 px: too small"):
        Explorer.decode_upload(buffer.getvalue(), "strip.png")
