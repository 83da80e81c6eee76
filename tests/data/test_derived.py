import numpy as np
import pandas as pd

from artlib.data import ArtTable
from artlib.data.derived import same_artist_tables, titles


def _table(codes, names, **columns):
    frame = pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(codes))], "style": codes, **columns})
    return ArtTable(frame, {"style": names})


def test_same_artist_tables_come_from_what_the_data_has():
    slugs = ["monet"] * 12 + ["degas"] * 11 + ["rare"] * 3
    table = _table([0] * len(slugs), ["x", "y"], artist_slug=slugs)
    half = len(slugs) // 2
    tables = {"train": table.subset(np.arange(half)), "test": table.subset(np.arange(half, len(slugs)))}
    out, how = same_artist_tables(tables, min_works=10)
    assert out["train"].classes == {"artist": ["degas", "monet"]} and "2 artists" in how and "artist_slug" in how
    assert sum(len(t) for t in out.values()) == 23  # the rare artist is left out
    none, why = same_artist_tables({"train": _table([0, 1], ["x", "y"])})
    assert none is None and "no artist label" in why


def test_titles_are_found_or_explained():
    values, how = titles(_table([0, 1], ["x", "y"], title=["Sea", "Sky"]))
    assert values.tolist() == ["Sea", "Sky"] and "2 titled" in how
    values, why = titles(_table([0, 1], ["x", "y"]))
    assert values is None and "no 'title' column" in why
