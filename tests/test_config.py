import pytest

from artlib.config import settings


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
    monkeypatch.setenv("ARTLIB_HPO_TRIALS", "1")
    monkeypatch.setenv("ARTLIB_PAIRS_PER_IMAGE", "2")
    monkeypatch.setenv("ARTLIB_PRETRAINED_EPOCHS", "5")
    s = settings(batch_size=7)
    assert s.profile == "full" and s.epochs == 3 and s.image_size == 224 and s.batch_size == 7
    assert s.hpo_trials == 1 and s.pairs_per_image == 2 and s.pretrained_epochs == 5 and s.hpo_epochs == 12


def test_one_epochs_variable_sets_the_pretrained_epochs_and_says_so(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_EPOCHS", "4")
    monkeypatch.delenv("ARTLIB_PRETRAINED_EPOCHS", raising=False)
    with caplog.at_level("INFO", logger="artlib.config"):
        s = settings()
    assert s.epochs == s.pretrained_epochs == 4
    assert "ARTLIB_EPOCHS=4 also sets pretrained_epochs (set ARTLIB_PRETRAINED_EPOCHS to differ)" in caplog.text
    assert settings(unseen_artist_share=0.0).unseen_artist_share == 0.0  # 0 is allowed: no artist held out


def test_the_defaults_are_the_ci_profile_and_profiles_name_only_settings():
    from dataclasses import fields

    from artlib.config import PROFILES, Settings

    names = {f.name for f in fields(Settings)}
    assert PROFILES["ci"] == {}  # the dataclass defaults are the ci profile: one place for every value
    for profile, changes in PROFILES.items():
        assert set(changes) <= names, (profile, set(changes) - names)


def test_every_setting_has_a_variable(monkeypatch, tmp_path):
    from artlib.config import VARIABLES

    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    for name, value in {
        "ARTLIB_SEED": "3",
        "ARTLIB_TRAIN_FRACTION": "0.5",
        "ARTLIB_PROTOCOL": "Intersection",
        "ARTLIB_PRETRAINED_BACKBONES": "yes",
        "ARTLIB_TTA_VIEWS": "letterbox, end",
        "ARTLIB_TASKS": "style,genre",
        "ARTLIB_HEAD_EPOCHS": "2",
        "ARTLIB_UNSEEN_ARTIST_SHARE": "0",
        "ARTLIB_SIAMESE_MODELS": "efficientnet_lite0:all:frozen",
        "ARTLIB_MODEL_SCALE": "full",
    }.items():
        monkeypatch.setenv(name, value)
    s = settings()
    assert (s.seed, s.train_fraction, s.protocol, s.pretrained_backbones) == (3, 0.5, "intersection", True)
    assert s.tta_views == ("letterbox", "end") and s.tasks == ("style", "genre") and s.head_epochs == 2
    assert s.unseen_artist_share == 0 and s.siamese_models == ("efficientnet_lite0:all:frozen",)
    assert (
        s.architecture("rla") == "rla_resnet"
        and "profile" not in VARIABLES
        and VARIABLES["num_workers"] == "ARTLIB_WORKERS"
    )


def test_notebook_overrides_are_checked_and_paths_may_be_text(monkeypatch, tmp_path):
    for var in ("ARTLIB_DATA", "ARTLIB_META", "ARTLIB_PROFILE", "ARTLIB_DATASET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "env"))
    with pytest.raises(TypeError, match="unknown setting.*'epoch'"):
        settings(epoch=3)  # a typo is named, not ignored
    s = settings(data=str(tmp_path), outputs=str(tmp_path / "mine"), tasks=["style"])
    assert s.data == tmp_path and s.outputs == tmp_path / "mine" and s.outputs.is_dir() and s.tasks == ("style",)
    with pytest.raises(KeyError, match="roles"):
        s.architecture("transformer")
    assert settings(profile="cpu").embedding_recipe == ("efficientnet_lite0", 128, 3)
    assert settings().embedding_recipe == ("simple_cnn_small", 64, 6)


def test_bad_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("ARTLIB_PROFILE", "huge")
    with pytest.raises(ValueError, match="ARTLIB_PROFILE"):
        settings()
    monkeypatch.setenv("ARTLIB_PROFILE", "ci")
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="ARTLIB_DATA"):
        settings()


@pytest.mark.parametrize(
    "variables, match",
    [
        ({"ARTLIB_DATASET": "foo"}, "ARTLIB_DATASET must be one of"),
        ({"ARTLIB_DATASET": "csv"}, "ARTLIB_DATASET=csv needs ARTLIB_DATA"),
        ({"ARTLIB_EPOCHS": "abc"}, "ARTLIB_EPOCHS must be an integer >= 1, got 'abc'"),
        ({"ARTLIB_EPOCHS": "0"}, "ARTLIB_EPOCHS must be >= 1, got 0"),
        ({"ARTLIB_EPOCHS": "-3"}, "ARTLIB_EPOCHS must be >= 1"),
        ({"ARTLIB_IMAGE_SIZE": "0"}, "ARTLIB_IMAGE_SIZE must be >= 16"),
        ({"ARTLIB_BATCH_SIZE": "2.5"}, "ARTLIB_BATCH_SIZE must be an integer"),
        ({"ARTLIB_WORKERS": "-1"}, "ARTLIB_WORKERS must be >= 0"),
        ({"ARTLIB_TRAIN_FRACTION": "half"}, "ARTLIB_TRAIN_FRACTION must be a number"),
        ({"ARTLIB_TRAIN_FRACTION": "1.5"}, r"train_fraction must be in \(0, 1\]"),
        ({"ARTLIB_TRAIN_FRACTION": "0"}, r"train_fraction must be in \(0, 1\], got 0.0"),
        ({"ARTLIB_UNSEEN_ARTIST_SHARE": "0.95"}, r"unseen_artist_share must be in \[0, 0.9\]"),
        ({"ARTLIB_UNSEEN_ARTIST_SHARE": "-0.1"}, r"unseen_artist_share must be in \[0, 0.9\]"),
        ({"ARTLIB_PRETRAINED_BACKBONES": "maybe"}, "ARTLIB_PRETRAINED_BACKBONES must be one of"),
        ({"ARTLIB_SEED": "-1"}, "ARTLIB_SEED must be >= 0"),
        ({"ARTLIB_THREADS": "-2"}, "ARTLIB_THREADS must be >= 0"),
        ({"ARTLIB_THREADS": "two"}, "ARTLIB_THREADS must be an integer >= 0, got 'two'"),
        ({"ARTLIB_MODEL_SCALE": "medium"}, "model_scale must be one of"),
        # a network name with a typo was accepted and failed when notebook 12 (or 08, 11-15) first built it
        ({"ARTLIB_FEATURE_BACKBONE": "efficientnet_lite"}, "feature_backbone 'efficientnet_lite' is no registered"),
        ({"ARTLIB_SIAMESE_MODELS": "efficientnet_lite:all:frozen"}, "unknown backbone 'efficientnet_lite'"),
    ],
)
def test_invalid_variables_are_named(monkeypatch, tmp_path, variables, match):
    for var in ("ARTLIB_DATA", "ARTLIB_META", "ARTLIB_PROFILE", "ARTLIB_DATASET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=match):
        settings()


def test_invalid_parameters_cell_values_are_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        settings(epochs=0)
    with pytest.raises(ValueError, match="image_size"):
        settings(image_size="224")
    with pytest.raises(ValueError, match="tta_views"):
        settings(tta_views="letterbox")  # a string is not a sequence of views
    with pytest.raises(ValueError, match="tta_views"):
        settings(tta_views=["letterbox", "diagonal"])
    assert settings(tta_views=["crop", "end"]).tta_views == ("crop", "end")
    assert settings(profile="cpu").tta_views == ("letterbox",)
    monkeypatch.setenv("ARTLIB_META", str(tmp_path / "no_meta"))
    with pytest.raises(FileNotFoundError, match="ARTLIB_META"):
        settings()


@pytest.mark.parametrize("below", ["", "sub"])
def test_outputs_pointing_at_a_file_is_named(monkeypatch, tmp_path, below):
    (tmp_path / "results.txt").write_text("a file")
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "results.txt" / below))
    with pytest.raises(NotADirectoryError, match=r"results.txt is a file, not a folder; point ARTLIB_OUTPUTS"):
        settings()


def test_results_name_the_data_without_a_machine_path(monkeypatch, tmp_path):
    from artlib.config import portable_path, project_root

    beside = project_root().parent / "shared" / "data" / "wikiart_sample"
    assert portable_path(beside) == "shared/data/wikiart_sample"
    assert portable_path(tmp_path / "datasets" / "wikiart") == ".../datasets/wikiart"
    (tmp_path / "w").mkdir()
    monkeypatch.setenv("ARTLIB_DATA", str(tmp_path / "w"))
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "out"))
    assert settings().source_label == f"wikiart: .../{tmp_path.name}/w"


def test_outputs_with_a_trailing_space_is_the_same_folder(tmp_path, monkeypatch):
    from artlib.config import default_outputs

    monkeypatch.setenv("ARTLIB_OUTPUTS", f"{tmp_path / 'out'} ")
    assert default_outputs() == tmp_path / "out"
    assert not (tmp_path / "out ").exists()


def test_run_dir_is_the_checkpoint_folder_of_a_run(monkeypatch, tmp_path):
    from artlib.config import settings

    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    folder = settings().run_dir("baseline_cnn")
    assert folder == tmp_path / "checkpoints" / "baseline_cnn" and folder.is_dir()


def test_a_task_named_twice_is_kept_once(monkeypatch):
    from artlib.config import settings

    monkeypatch.setenv("ARTLIB_TASKS", "style,style, genre ,style")
    assert settings().tasks == ("style", "genre")
    monkeypatch.delenv("ARTLIB_TASKS")
    assert settings(tasks=["genre", "genre"]).tasks == ("genre",)
