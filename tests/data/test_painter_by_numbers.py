import numpy as np
import pytest

from artlib.data import load_painter_by_numbers, parse_year


@pytest.mark.parametrize(
    "raw,year", [("1913", 1913), ("1955.0", 1955), ("c.1895", 1895), ("", np.nan), ("unknown", np.nan)]
)
def test_parse_year(raw, year):
    got = parse_year(raw)
    assert (np.isnan(got) and np.isnan(year)) or got == year


def test_pbn_fixture(fixture_paths):
    table = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist", "style", "genre", "date"))
    assert len(table) == fixture_paths.n_works
    from artlib.fixtures.formats import ARTISTS, OTHER_ARTISTS

    assert table.num_classes["artist"] == len(ARTISTS) + len(OTHER_ARTISTS) and table.num_classes["style"] == 3
    assert (table.frame["genre"] == -1).sum() > 0 and (table.frame["date"] == -1).sum() > 0
    assert all(p.is_file() for p in table.image_paths())


def test_pbn_real(shared):
    table = load_painter_by_numbers(
        shared / "metadata" / "painter_by_numbers" / "train_info.csv", tasks=("artist", "style", "genre")
    )
    assert len(table) == 79433 and table.num_classes["artist"] == 1584
    assert (table.frame["style"] == -1).sum() == 765
    frequent = load_painter_by_numbers(
        shared / "metadata" / "painter_by_numbers" / "train_info.csv", tasks=("artist",), min_images=300
    )
    assert 0 < (frequent.frame["artist"] >= 0).sum() < len(frequent)
    assert frequent.counts("artist").min() >= 300


def test_pbn_wrong_file(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(KeyError, match="not a PbN"):
        load_painter_by_numbers(tmp_path / "x.csv")
