"""Notebook 08's study: the test-time views are chosen on validation, and the test split only reports them."""

import logging

import numpy as np
import pandas as pd
import pytest

from artlib.config import settings
from artlib.data.prepare import get_splits
from artlib.studies import efficientnet as study


def _table(ways, validation, test):
    columns = pd.MultiIndex.from_tuples([("validation", "style"), ("test", "style")])
    return pd.DataFrame(np.c_[validation, test], index=[w.name for w in ways], columns=columns)


def test_the_way_is_chosen_on_validation_cheapest_first_and_never_on_test(caplog):
    cfg = settings(tta_views=("letterbox", "start"))
    ways = study.candidate_ways(cfg)
    assert [w.name for w in ways] == ["one view", "+ mirror", "letterbox + start, + mirror"]
    rng = np.random.default_rng(0)
    for _ in range(50):  # drawn tables: the choice follows validation, whatever test says
        validation, test = rng.choice([0.5, 0.6, 0.7], size=3), rng.random(3)
        chosen = study.best_on_validation(_table(ways, validation, test), ways)
        assert chosen == ways[int(np.flatnonzero(validation == validation.max())[0])]
    assert study.best_on_validation(_table(ways, [0.6, 0.6, 0.6], [0.1, 0.2, 0.9]), ways) == ways[0]
    with caplog.at_level(logging.WARNING):
        assert study.best_on_validation(_table(ways, [np.nan] * 3, [0.1, 0.2, 0.9]), ways) == ways[0]
    assert "no labelled validation painting" in caplog.text
    assert len(study.candidate_ways(settings(tta_views=("crop",)))) == 2  # the same way is not scored twice


def test_choose_views_scores_every_way_on_both_splits_and_keeps_the_chosen_predictions(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    for name in ("ARTLIB_DATA", "ARTLIB_DATASET", "ARTLIB_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    cfg = settings(epochs=1, image_size=32, batch_size=32, train_fraction=0.3, tta_views=("letterbox",))
    splits = get_splits(cfg)
    run = study.train_efficientnet(cfg, splits, "efficientnet_b0", pretrained=False)
    passes = []
    predict = run.trainer.predict
    monkeypatch.setattr(run.trainer, "predict", lambda loader, **kw: passes.append(kw) or predict(loader, **kw))
    views = study.choose_views(cfg, run, splits["val"], splits["test"])
    # three ways on two splits, the run's own test pass standing for the one view on test (it was predicted again)
    assert len(passes) == 5
    for task in splits["train"].num_classes:
        assert views.table.loc["one view", ("test", task)] == pytest.approx(run.scores.loc[task, "accuracy"])
    from artlib.data.loaders import make_loader
    from artlib.models import input_normalization

    loader = make_loader(splits["test"], train=False, image_size=run.image_size, batch_size=cfg.batch_size,
                         num_workers=cfg.num_workers, normalization=input_normalization(run.trainer.model),
                         tta_views=("crop",))  # fmt: skip
    fresh = predict(loader, embed=True)  # the reused pass is what a fresh one-view pass gives, features included
    assert np.array_equal(fresh.embeddings, run.preds.embeddings)
    assert all(np.array_equal(fresh.probs[t], run.preds.probs[t]) for t in fresh.probs)
    tasks = list(splits["train"].num_classes)
    assert list(views.table.index) == ["one view", "+ mirror", "letterbox, + mirror"]
    for split in ("validation", "test"):
        assert set(views.table[split].columns) == set(tasks)
        assert views.table[split].stack().between(0, 1).all()
    assert views.table["chosen"].sum() == 1 and views.table.loc[views.chosen.name, "chosen"]
    assert views.chosen == study.best_on_validation(views.table, study.candidate_ways(cfg))
    for preds, table in ((views.validation, splits["val"]), (views.test, splits["test"])):
        assert preds.embeddings is not None and len(preds.embeddings) == len(table)
    chosen_test = views.table.loc[views.chosen.name, "test"]
    for task in tasks:  # the returned test predictions are the chosen way's
        labels, probs = views.test.labels[task], views.test.probs[task]
        kept = labels >= 0
        assert (probs[kept].argmax(1) == labels[kept]).mean() == pytest.approx(chosen_test[task])
    assert (tmp_path / "tables" / "08_lite0_tta.csv").exists()
