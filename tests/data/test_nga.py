import pytest

from artlib.data import load_nga
from artlib.data.nga import first_terms, read_nga_csv


def test_nga_fixture(fixture_paths):
    table = load_nga(fixture_paths.nga)
    assert len(table) == fixture_paths.n_works  # the 3 prints are filtered out
    assert set(table.classes["style"]) == {"Impressionist", "Cubist", "Realist"}
    assert table.frame["iiifurl"].str.startswith("https://").all()
    assert table.frame["title"].str.len().gt(0).all()
    assert all(p.is_file() for p in table.image_paths())
    with pytest.raises(KeyError, match="unknown NGA task"):
        load_nga(fixture_paths.nga, tasks=("colour",))


def test_nga_real_term_tables(shared):
    terms = read_nga_csv(shared / "metadata" / "nga", "objects_terms", ["termid", "objectid", "termtype", "term"])
    styles = first_terms(terms, "Style")
    assert styles.index.is_unique and len(styles) > 1000
    assert "Impressionist" in set(styles)
