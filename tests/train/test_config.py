"""TrainConfig's named recipes: the run's settings read in one place, one field changed at a time."""

from dataclasses import fields

import pytest

from artlib.config import settings
from artlib.train import RECIPES, TrainConfig


@pytest.fixture
def cfg(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    return settings(epochs=4, pretrained_epochs=2, hpo_epochs=3, head_epochs=7, seed=5, progress=True)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_names_real_fields_and_an_epochs_setting(name, cfg):
    recipe = RECIPES[name]
    assert set(recipe.fields) <= {f.name for f in fields(TrainConfig)}
    config = TrainConfig.for_settings(cfg, name)
    assert config.epochs == getattr(cfg, recipe.epochs_setting) and config.seed == 5
    assert config.progress == (recipe.fields.get("progress", True))  # the search's trials stay quiet
    for key, value in recipe.fields.items():
        if key != "progress":
            assert getattr(config, key) == value


def test_each_recipe_takes_its_epochs_from_its_own_setting(cfg):
    assert TrainConfig.for_settings(cfg, "scratch").epochs == 4
    assert TrainConfig.for_settings(cfg, "fine_tune").epochs == 2
    assert TrainConfig.for_settings(cfg, "search").epochs == 3
    assert TrainConfig.for_settings(cfg, "pair_head").epochs == 7


def test_changes_win_over_the_recipe_and_the_settings(cfg):
    config = TrainConfig.for_settings(cfg, "scratch", lr=2e-3, epochs=9)
    assert (config.lr, config.epochs, config.monitor, config.patience) == (2e-3, 9, "val_macro_f1", 8)
    assert TrainConfig.from_recipe("metric", epochs=2).warmup_epochs == 0.0


def test_an_unknown_recipe_or_field_is_named(cfg):
    with pytest.raises(KeyError, match="unknown training recipe 'finetune'; recipes: .*fine_tune"):
        TrainConfig.for_settings(cfg, "finetune")
    with pytest.raises(TypeError, match="learning_rate"):
        TrainConfig.for_settings(cfg, "scratch", learning_rate=1e-3)


def test_a_run_without_validation_watches_the_training_loss(cfg):
    config = TrainConfig.for_settings(cfg, "metric").on_training_loss()
    assert (config.monitor, config.mode, config.patience) == ("train_loss", "min", None)
    assert config.lr == RECIPES["metric"].fields["lr"] and config.epochs == 4  # the rest of the recipe stays
