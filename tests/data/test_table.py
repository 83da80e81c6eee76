import pandas as pd
import pytest

from artlib.data import ArtTable, drop_empty_classes


def _table(codes, names, **columns):
    frame = pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(codes))], "style": codes, **columns})
    return ArtTable(frame, {"style": names})


def test_classes_without_images_are_dropped_and_recoded(caplog):
    names = ["a", "b", "c", "d"]
    tables = {"train": _table([0, 2, 2], names), "test": _table([2, 0, -1], names)}
    with caplog.at_level("WARNING"):
        out = drop_empty_classes(tables)
    assert out["train"].classes == {"style": ["a", "c"]}
    assert out["train"].frame["style"].tolist() == [0, 1, 1] and out["test"].frame["style"].tolist() == [1, 0, -1]
    given = out["test"].label_names("style")
    assert given.tolist()[:2] == ["c", "a"] and given.isna().tolist() == [False, False, True]
    assert "2 of 4 classes have no image" in caplog.text and "b, d" in caplog.text
    single = {"train": _table([0, 0], names)}
    with pytest.raises(ValueError, match="no task has images of at least 2 classes"):
        drop_empty_classes(single)
