import multiprocessing as mp

import numpy as np
import optuna
import pytest

from artlib.data import load_image_folder, stratified_split
from artlib.studies.hpo import OptunaPruning, classifier_objective, create_study, storage_url

TOY = {"label": "a toy function", "signature": {"dataset": "toy"}}


def _worker(storage: str, seed: int) -> None:
    study = create_study("shared", storage, seed=seed, n_startup_trials=1, data=TOY)
    study.optimize(lambda t: -((t.suggest_float("x", -3, 3) - 1) ** 2), n_trials=4)


@pytest.fixture(scope="module")
def genre_splits(fixture_paths):
    return stratified_split(load_image_folder(fixture_paths.imagefolder, task="genre"), (0.7, 0.3), ("train", "val"))


def test_two_processes_share_one_study(tmp_path):
    storage = storage_url(tmp_path / "hpo" / "study.db")
    create_study("shared", storage, data=TOY)  # create the schema once
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(storage, s)) for s in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    study = create_study("shared", storage, data=TOY)  # resumes
    assert len(study.trials) == 8
    assert abs(study.best_params["x"] - 1) < 1.5


def test_pruning_callback_stops_a_bad_trial():
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=0.5))
    trial = study.ask()
    cb = OptunaPruning(trial, monitor="val_macro_f1")
    with pytest.raises(optuna.TrialPruned):
        cb.on_epoch_end(None, {"epoch": 1, "val_macro_f1": 0.1})
    good = OptunaPruning(study.ask(), monitor="val_macro_f1")
    good.on_epoch_end(None, {"epoch": 1, "val_macro_f1": 0.9})  # no exception


def test_classifier_objective_trains_with_the_suggested_mixing(genre_splits):
    objective = classifier_objective(genre_splits.tables, model_kwargs={"widths": (8, 16)}, epochs=2, image_size=32)
    params = {"lr": 3e-3, "batch_size": 16, "weight_decay": 1e-4, "aug_strength": 0.5}
    for mix_prob in (0.0, 1.0):  # FixedTrial raises if the objective asks for a parameter not given
        value = objective(optuna.trial.FixedTrial({**params, "mix_prob": mix_prob}))
        assert 0.0 <= value <= 1.0


def test_a_study_is_keyed_by_its_data(tmp_path):
    storage = storage_url(tmp_path / "studies.db")
    data_a = {"label": "wikiart: /a", "signature": {"dataset": "wikiart", "data": "/a", "seed": 0}}  # data_record
    data_b = {"label": "csv: /b", "signature": {"dataset": "csv", "data": "/b", "seed": 0}}
    first = create_study("classifier-wikiart-ci", storage, data=data_a)
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    other = create_study("classifier-wikiart-ci", storage, data=data_b)  # same name, other data
    assert other.study_name != first.study_name and len(other.trials) == 0
    assert len(create_study("classifier-wikiart-ci", storage, data=data_a).trials) == 2  # the same data resumes
    clash = optuna.create_study(study_name=first.study_name, storage=storage, load_if_exists=True)
    clash.set_user_attr("data", data_b)  # a study whose stored data disagrees with its key
    with pytest.raises(ValueError, match="holds trials on other data"):
        create_study("classifier-wikiart-ci", storage, data=data_a)
    with pytest.raises(ValueError, match=r"needs data=artifacts.data_record\(cfg\)"):
        create_study("classifier-wikiart-ci", storage, data={})  # (and data= is keyword-only and required)
    with pytest.raises(TypeError, match="data"):
        create_study("classifier-wikiart-ci", storage)  # type: ignore[call-arg]


def test_hpo_batches_fit_a_small_training_split():
    from artlib.studies.hpo import batch_choices

    assert batch_choices(213) == [16, 32, 64] and batch_choices(100) == [16, 32] and batch_choices(20) == [10]


def test_metric_objective_runs_on_a_split_smaller_than_its_largest_batch(genre_splits):
    from artlib.studies.hpo import metric_objective

    rows = np.random.default_rng(0).permutation(len(genre_splits.train))[:30]
    small = {"train": genre_splits.train.subset(rows), "val": genre_splits.val}
    objective = metric_objective(small, "genre", "simple_cnn", {"widths": (8, 16)}, epochs=1, image_size=32)
    value = objective(
        optuna.trial.FixedTrial(
            {"lr": 1e-3, "weight_decay": 1e-4, "margin": 0.2, "dim": 32, "m": 8, "aug_strength": 0.0}
        )
    )
    assert 0.0 <= value <= 1.0


def test_hpo_worker_refuses_zero_trials(tmp_path, capsys):
    from artlib.studies.hpo_worker import main

    with pytest.raises(SystemExit) as exit_:
        main(["--study", "s", "--storage", str(tmp_path / "s.db"), "--trials", "0"])
    assert exit_.value.code == 2 and "--trials must be at least 1 (got 0)" in capsys.readouterr().err


def test_a_study_without_a_complete_trial_keeps_the_defaults(caplog):
    from artlib.studies.hpo import best_params, describe_best

    study = optuna.create_study(direction="maximize")
    study.optimize(lambda t: float("nan") if t.suggest_float("x", 0, 1) >= 0 else 0.0, n_trials=2)
    assert best_params(study) == {} and "no trial completed (2 fail)" in caplog.text
    assert "the defaults are kept" in describe_best(study, "val MAP@R")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert set(best_params(study)) == {"x"} and describe_best(study, "val MAP@R").startswith("best val MAP@R: ")
