import hashlib
import time

import pytest

from artlib.fixtures import make_fixture


def _digest(root):
    h = hashlib.sha1()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "fixture.json":
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_fixture_is_fast_and_seeded(tmp_path):
    start = time.perf_counter()
    a = make_fixture(tmp_path / "a", seed=5)
    assert time.perf_counter() - start < 10
    make_fixture(tmp_path / "b", seed=5)
    make_fixture(tmp_path / "c", seed=6)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    for path in (
        a.wikiart_csv,
        a.pbn_csv,
        a.nga / "objects.csv",
        a.nga / "published_images.csv",
        a.nga / "objects_terms.csv",
        a.wga_csv,
        a.imagefolder,
    ):
        assert path.exists(), path


def test_fixture_is_reused(tmp_path):
    make_fixture(tmp_path, n_works=40)
    marker = (tmp_path / "fixture.json").stat().st_mtime_ns
    make_fixture(tmp_path, n_works=40)
    assert (tmp_path / "fixture.json").stat().st_mtime_ns == marker
    make_fixture(tmp_path, n_works=41)
    assert (tmp_path / "fixture.json").stat().st_mtime_ns != marker


def test_clean_fixture_has_no_defects(tmp_path):
    from artlib.data import load_wikiart
    from artlib.data.dataset import verify_images

    fx = make_fixture(tmp_path, n_works=60, defects=False)
    report = verify_images(load_wikiart(fx.wikiart_csv, image_root=fx.wikiart_images))
    assert len(report.bad) == 0


def test_defects_include_a_sideways_photo_and_a_colour_profile(tmp_path, caplog):
    import numpy as np
    import pandas as pd
    from PIL import Image

    from artlib.data.images import image_size, load_rgb

    fx = make_fixture(tmp_path, n_works=60)
    cat = pd.read_csv(tmp_path / "catalogue.csv")
    rotated, tagged = [], []
    for row in cat.itertuples():
        path = fx.wikiart_images / row.style / row.file
        if not path.is_file():
            continue
        with Image.open(path) as img:
            if img.getexif().get(0x0112) == 6:
                rotated.append((row, path, img.size))
            if img.info.get("icc_profile"):
                tagged.append(path)
    assert len(rotated) == 1 and len(tagged) == 1
    row, path, stored = rotated[0]
    assert stored == (row.height, row.width)  # stored sideways
    assert image_size(path) == (row.width, row.height)  # shown upright
    assert load_rgb(path).shape == (row.height, row.width, 3)
    with caplog.at_level("WARNING", logger="artlib.data.images"):
        managed = load_rgb(tagged[0])
    assert "ICC" not in caplog.text  # the profile was read and applied
    assert np.abs(managed.astype(int) - load_rgb(tagged[0], color_manage=False)).max() <= 3


def test_make_fixture_never_deletes_a_folder_that_is_not_a_fixture(tmp_path):
    import pytest

    from artlib.fixtures import make_fixture

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError, match="holds no fixture"):
        make_fixture(tmp_path / "mine", n_works=40, overwrite=True)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "years of work"
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        make_fixture(tmp_path / "file", n_works=40)


@pytest.mark.parametrize("n_works", [0, 5, 9])
def test_too_few_works_is_a_clear_error(tmp_path, n_works, capsys):
    from artlib.fixtures import main

    with pytest.raises(ValueError, match=f"n_works={n_works}: the fixture needs at least 10 paintings"):
        make_fixture(tmp_path / "fx", n_works=n_works)
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "fx"), "--n-works", str(n_works)])
    assert exit_.value.code == 2 and "--n-works must be at least 10" in capsys.readouterr().err
    make_fixture(tmp_path / "ten", n_works=10)  # the floor itself works
