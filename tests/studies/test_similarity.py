import pytest

from artlib.config import settings
from artlib.data.prepare import get_splits
from artlib.errors import NotEnoughDataError
from artlib.studies.similarity import searchable_collection


def test_the_collection_searches_by_image_file_and_title_and_says_when_titles_are_missing(tmp_path, monkeypatch):
    cfg = settings(outputs=tmp_path, pretrained_size=32)
    splits = get_splits(cfg)
    collection = searchable_collection(cfg, splits["test"])
    result = collection.image_index.query_id(collection.ids[0], k=3)  # its neighbours, itself excluded
    assert collection.ids[0] not in set(result["id"]) and len(collection.results(result)) == 3
    assert collection.results(result)["caption"].str.len().min() > 0
    vector = collection.embed_file(collection.table.image_paths()[0])
    assert collection.image_index.query(vector, k=1)["similarity"].iloc[0] == pytest.approx(1.0, abs=1e-3)
    assert collection.has_titles and collection.title_index is not None
    assert list(collection.embeddings()) == ["image (Lite0)", "title (MiniLM)"]
    quality = collection.neighbour_quality(2)
    rows = collection.image_rows(2)
    assert "title proxy" in quality and set(rows) == {
        f"image -> image, {t}" for t in collection.table.tasks if f"{t} precision@2" in quality
    }
    for name, row in rows.items():  # the precision of neighbour_quality's table, with its interval and chance
        task = name.removeprefix("image -> image, ")
        assert row["score"] == pytest.approx(quality.loc[collection.image_name, f"{task} precision@2"])
        assert row["low"] <= row["score"] <= row["high"] and 0 < row["chance"] < 1
    collection.title_emb = None  # data without titles: a banner's error, naming why
    with pytest.raises(NotEnoughDataError, match="no titles"):
        collection.embed_text("a river")
