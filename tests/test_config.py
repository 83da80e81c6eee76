import pytest

from artlib.config import get_splits, prepare_splits, settings


def test_defaults_use_fixture_and_ci_profile(monkeypatch, tmp_path):
    for var in ("ARTLIB_DATA", "ARTLIB_PROFILE", "ARTLIB_EPOCHS", "ARTLIB_DATASET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    s = settings()
    assert s.is_fixture and s.profile == "ci" and s.image_size == 64 and s.outputs == tmp_path


def test_env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_PROFILE", "full")
    monkeypatch.setenv("ARTLIB_EPOCHS", "3")
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    s = settings(batch_size=7)
    assert s.profile == "full" and s.epochs == 3 and s.image_size == 224 and s.batch_size == 7


def test_bad_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_PROFILE", "huge")
    with pytest.raises(ValueError, match="ARTLIB_PROFILE"):
        settings()
    monkeypatch.setenv("ARTLIB_PROFILE", "ci")
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="ARTLIB_DATA"):
        settings()


def test_prepare_splits_on_real_split_folders(monkeypatch, tmp_path, shared):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_DATA", str(shared / "data" / "cnpaint"))
    monkeypatch.setenv("ARTLIB_DATASET", "imagefolder")
    s = settings()
    splits = prepare_splits(s, verify=False)
    assert len(splits.test) == 300  # the given test split is kept as is
    assert len(splits.train) + len(splits.val) == 2399  # the train copy of a test image is removed
    assert (tmp_path / "splits" / "removed_test_copies.csv").is_file()
    loaded = get_splits(s)
    assert loaded["train"].frame["path"].tolist() == splits.train.frame["path"].tolist()
