import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from artlib.collection.catalogue import ROWS_PER_GROUP, Catalogue, mapped_copy, write_catalogue  # noqa: E402


def _items(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"/art/p{i}.jpg" for i in range(n)],
            "title": [f"Still life {i}" if i % 3 else f"Water lilies {i}" for i in range(n)],
            "artist_name": rng.choice(["Claude Monet", "Berthe Morisot", None], n),
            "accession": rng.integers(0, 10**6, n),  # an extra column is kept
        }
    )


@pytest.mark.parametrize("seed", range(4))
def test_rows_come_back_in_the_order_asked_across_row_groups(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3 * ROWS_PER_GROUP))
    items = _items(n, seed)
    catalogue = Catalogue.open(write_catalogue(tmp_path / "c.parquet", items))
    assert len(catalogue) == n and "accession" in catalogue.columns and "title" in catalogue.text_columns
    wanted = rng.integers(0, n, int(rng.integers(1, 30)))  # repeats and any order
    rows = catalogue.rows(wanted)
    assert rows["position"].tolist() == wanted.tolist()
    assert rows["id"].tolist() == items["id"].iloc[wanted].tolist()
    assert rows["accession"].tolist() == items["accession"].iloc[wanted].tolist()
    assert catalogue.rows(wanted, columns=["id"]).columns.tolist() == ["id"]
    with pytest.raises(IndexError, match="positions must lie"):
        catalogue.rows([n])
    catalogue._mapped = False  # the Parquet row groups, as in a read-only folder: the same rows and types
    pd.testing.assert_frame_equal(catalogue.rows(wanted), rows)


@pytest.mark.parametrize("damage", ["remove", "garbage", "stale", "other_rows"])
def test_a_missing_damaged_or_stale_copy_is_written_again(tmp_path, damage):
    path = write_catalogue(tmp_path / "c.parquet", _items(50))
    copy = mapped_copy(path)
    assert copy.is_file()  # written with the catalogue
    if damage == "remove":
        copy.unlink()
    elif damage == "garbage":
        copy.write_bytes(b"ARROW1 but not really")
    else:  # the Parquet file replaced by another tool, its copy left behind: of the same length, or not
        import shutil

        saved = tmp_path / "saved.arrow"
        shutil.copy(copy, saved)
        other = _items(50 if damage == "stale" else 70, seed=1).assign(id=lambda f: "other" + f["id"])
        write_catalogue(path, other)
        shutil.copy(saved, copy)
    rows = Catalogue.open(path).rows([3, 1])
    want = pd.read_parquet(path).iloc[[3, 1]].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, want)


def test_rows_are_read_from_the_parquet_file_where_no_copy_can_be_written(tmp_path, caplog, monkeypatch):
    import artlib.collection.catalogue as module

    path = write_catalogue(tmp_path / "c.parquet", _items(40))
    mapped_copy(path).unlink()

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(module, "write_one_batch", refuse)
    rows = Catalogue.open(path).rows([39, 0])
    assert rows["id"].tolist() == ["/art/p39.jpg", "/art/p0.jpg"]
    assert "no copy can be written" in caplog.text


def test_find_needs_every_word_in_title_artist_or_id(tmp_path):
    catalogue = Catalogue.open(write_catalogue(tmp_path / "c.parquet", _items(300)))
    found = catalogue.find("water LILIES 2", limit=500)
    assert len(found) and found["title"].str.lower().str.contains("water lilies").all()
    assert found["title"].str.contains("2").all() and found["position"].is_monotonic_increasing
    assert len(catalogue.find("lilies", limit=5)) == 5
    assert catalogue.find("p17.jpg")["id"].tolist() == ["/art/p17.jpg"]
    assert catalogue.find("no such painting").empty
    assert catalogue.position_of("/art/p42.jpg") == 42 and catalogue.position_of("nope") is None
    with pytest.raises(ValueError, match="a few words"):
        catalogue.find("   ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(st.text(alphabet="ab%_\\' .", min_size=0, max_size=6), min_size=1, max_size=8),
    word=st.text(alphabet="ab%_\\'.", min_size=1, max_size=3),
)
def test_find_matches_the_words_as_typed_wildcards_included(tmp_path, titles, word):
    """``%`` and ``_`` used to act as SQL wildcards: "%" found every painting, "a_b" found "axb"."""
    items = pd.DataFrame({"id": [f"p{i}" for i in range(len(titles))], "title": titles})
    catalogue = Catalogue.open(write_catalogue(tmp_path / "w.parquet", items))
    expected = [i for i, title in enumerate(titles) if word.lower() in f"{title} p{i}".lower()]
    assert catalogue.find(word, limit=100)["position"].tolist() == expected


def test_damaged_or_foreign_catalogues_are_named(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        write_catalogue(tmp_path / "d.parquet", pd.DataFrame({"id": ["a", "a"]}))
    with pytest.raises(ValueError, match="'id' column"):
        write_catalogue(tmp_path / "d.parquet", pd.DataFrame({"name": ["a"]}))
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="not a readable Parquet"):
        Catalogue.open(tmp_path / "bad.parquet")
    pd.DataFrame({"id": ["a"]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(ValueError, match="no \\['position'\\] column"):
        Catalogue.open(tmp_path / "plain.parquet")
    with pytest.raises(FileNotFoundError, match="no catalogue"):
        Catalogue.open(tmp_path / "missing.parquet")
    catalogue = Catalogue.open(write_catalogue(tmp_path / "c.parquet", _items(10)))
    with pytest.raises(KeyError, match="no \\['x'\\] column"):
        catalogue.columns_of(["x"])
