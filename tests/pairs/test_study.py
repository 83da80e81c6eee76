import pytest

from artlib.config import settings
from artlib.data.derived import same_artist_tables
from artlib.data.prepare import get_splits
from artlib.errors import NotEnoughDataError
from artlib.pairs.study import pair_study


def test_the_study_holds_painters_out_and_never_reuses_a_training_painting(tmp_path):
    cfg = settings(outputs=tmp_path, pretrained_size=32, unseen_artist_share=0.4)
    tables, how = same_artist_tables(get_splits(cfg), min_works=cfg.min_artist_works)
    study = pair_study(cfg, tables, how)
    train = set(study.full_train.frame["path"]) | set(study.splits["train"][0].frame["path"])
    assert not train & set(study.splits["test"][0].frame["path"])
    assert study.unseen and set(study.groups()) <= {"seen", "unseen", "mixed"}
    assert len(study.same) == len(study.test_pairs) and set(study.same) == {0, 1}
    counts = study.counts()
    assert "train (frozen features)" in counts.index


def test_a_split_without_a_same_artist_pair_is_a_banner_not_a_crash(tmp_path):
    cfg = settings(outputs=tmp_path, pretrained_size=32, unseen_artist_share=0.0)
    tables, how = same_artist_tables(get_splits(cfg), min_works=cfg.min_artist_works)
    frame = tables["test"].frame.reset_index(drop=True)
    one_each = frame.drop_duplicates("artist").index.to_numpy()  # one painting per artist: no same pair
    tables["test"] = tables["test"].subset(one_each)
    with pytest.raises(NotEnoughDataError, match="the test split holds"):
        pair_study(cfg, tables, how)
