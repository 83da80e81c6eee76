import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identity_painters import painter_tables

from artlib.errors import NotEnoughDataError
from artlib.identity.protocol import name_key, painter_disjoint


def test_name_key_folds_spellings_of_one_painter():
    assert name_key("Marc_Chagall") == name_key("marc-chagall") == name_key("Marc  Chagall") == "marc chagall"
    assert name_key("Gérôme") == name_key("gerome")
    assert name_key("Paul_Klee") != name_key("Paul_Cezanne")


def test_known_artists_paintings_get_their_label_from_the_painter_name():
    tables = painter_tables(
        {"claude-monet": 30, "rembrandt": 30, **{f"p{i}": 6 for i in range(10)}}, ["claude-monet", "rembrandt"], seed=1
    )
    unlabelled = sum(
        int(((t.frame["artist"] < 0) & t.frame["artist_slug"].isin(["claude-monet", "rembrandt"])).sum())
        for t in tables.values()
    )
    assert unlabelled > 0  # the generator leaves some labels out
    split = painter_disjoint(tables, 0.4, 2, seed=0)
    assert split.labels_filled == unlabelled
    for table in split.tables.values():
        frame = table.frame
        names = np.array(table.classes["painter"])[frame["painter"]]
        known = np.isin(names, ["Claude_Monet", "Rembrandt"])
        assert (frame.loc[known, "role"] == "known").all() and (frame.loc[known, "artist"] >= 0).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    known=st.integers(0, 4),
    others=st.lists(st.integers(1, 15), min_size=0, max_size=14),
    share=st.sampled_from([0.2, 0.4, 0.6]),
    seed=st.integers(0, 1000),
)
def test_held_out_painters_never_reach_training(known, others, share, seed):
    works = {f"known-{i}": 12 for i in range(known)} | {f"other-{i}": n for i, n in enumerate(others)}
    if not works:
        return
    tables = painter_tables(works, [f"known-{i}" for i in range(known)], seed=seed)
    candidates = sum(1 for n in others if n >= 2)
    try:
        split = painter_disjoint(tables, share, 2, seed=seed)
    except NotEnoughDataError as exc:  # said in words, only when the data cannot give it
        chosen = int(round(share * candidates))
        trained = len(set(tables["train"].frame["artist_slug"]))
        assert chosen < 2 or trained < 2 or "training" in str(exc), exc
        return
    frames = {s: t.frame for s, t in split.tables.items()}
    train_painters = set(frames["train"]["painter"])
    assert len(split.held_out["val"]) >= 1 and len(split.held_out["test"]) >= 1
    assert not set(split.held_out["val"]) & set(split.held_out["test"])
    names = split.painters
    for s in ("val", "test"):
        frame = frames[s]
        held = frame["role"] == "held_out"
        assert not set(frame.loc[held, "painter"]) & train_painters
        assert set(frame.loc[frame["role"] == "seen", "painter"]) <= train_painters
        for painter in split.held_out[s]:
            assert names.index(painter) not in train_painters
            other = "test" if s == "val" else "val"
            assert names.index(painter) not in set(frames[other]["painter"])
    assert (frames["train"]["role"] != "held_out").all()
    for frame in frames.values():
        assert ((frame["role"] == "known") == (frame["artist"] >= 0)).all()
    assert sum(len(f) for f in frames.values()) == sum(works.values())


def test_one_painter_is_a_clear_error_not_a_crash():
    tables = painter_tables({"only-painter": 40}, [], seed=0)
    with pytest.raises(NotEnoughDataError, match="painter"):
        painter_disjoint(tables, 0.2, 2)


def test_share_outside_zero_one_is_refused():
    tables = painter_tables({f"p{i}": 5 for i in range(6)}, [], seed=0)
    with pytest.raises(ValueError, match="held_out_share"):
        painter_disjoint(tables, 1.5, 2)
