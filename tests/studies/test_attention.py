"""RLA with and without attention, trained alike (notebook 06's study), and resumed from its checkpoints."""

import pytest

from artlib.config import settings
from artlib.data.loaders import make_loaders
from artlib.data.prepare import get_splits
from artlib.studies import attention as attention_runs
from artlib.train import Trainer


@pytest.fixture
def study(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    for name in ("ARTLIB_DATA", "ARTLIB_DATASET", "ARTLIB_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    cfg = settings(epochs=1, image_size=32, batch_size=32)
    splits = get_splits(cfg)
    return cfg, splits, make_loaders(splits, cfg.image_size, cfg.batch_size, seed=cfg.seed)


def test_variants_are_trained_scored_and_compared_with_plain_rla(study):
    cfg, splits, loaders = study
    runs = attention_runs.train_attention_variants(cfg, splits, loaders, attentions=(None, "se"))
    assert list(runs) == ["RLA", "RLA + SE"] and runs["RLA + SE"].params > runs["RLA"].params
    tasks = set(splits["train"].num_classes)
    table = attention_runs.comparison_table(runs)
    assert len(table) == 2 * len(tasks) and table["accuracy"].between(0, 1).all()
    significance = attention_runs.attention_significance(runs, seed=0)
    assert set(significance.index.get_level_values("task")) == tasks
    assert "mcnemar_p_adjusted" in significance.columns
    scores = attention_runs.per_model_scores(runs)
    assert {f"RLA + SE / {task}" for task in tasks} <= set(scores.index) and "accuracy_low" in scores.columns


def test_resume_does_not_retrain_a_finished_variant(study, monkeypatch):
    cfg, splits, loaders = study
    first = attention_runs.train_attention_variants(cfg, splits, loaders, attentions=("eca",))

    def no_training(*args, **kwargs):
        raise AssertionError("a finished variant was trained again")

    monkeypatch.setattr(Trainer, "fit", no_training)
    again = attention_runs.train_attention_variants(cfg, splits, loaders, attentions=("eca",), resume=True)
    for task, probs in first["RLA + ECA"].predictions.probs.items():  # the same best checkpoint, reloaded
        assert (abs(again["RLA + ECA"].predictions.probs[task] - probs) < 1e-5).all()
    with pytest.raises(AssertionError, match="trained again"):  # without resume, a run trains afresh
        attention_runs.train_attention_variants(cfg, splits, loaders, attentions=("eca",))
