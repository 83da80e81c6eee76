"""One Optuna worker: add trials to a shared study. Start as many as you like, anywhere.

    python -m artlib.studies.hpo_worker --study classifier-wikiart --storage outputs/hpo/studies.db --trials 10
    python -m artlib.studies.hpo_worker --study metric-style --objective metric --task style \\
        --storage postgresql://user:pw@host/artlib --trials 10

Data and profile come from the ``ARTLIB_*`` variables (see :mod:`artlib.config`); the study's name is keyed
by the data (``--study classifier-wikiart`` becomes ``classifier-wikiart@<signature>``), so workers on the
same data share it and trials on other data never mix in.
"""

from __future__ import annotations

import argparse

import optuna

from ..config import settings
from ..data.prepare import get_splits
from ..store.artifacts import data_record
from .hpo import classifier_objective, create_study, describe_best, metric_objective


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", required=True)
    parser.add_argument("--storage", required=True, help="SQLAlchemy URL or a SQLite file path")
    parser.add_argument("--objective", choices=["classifier", "metric"], default="classifier")
    parser.add_argument("--task", help="task for --objective metric (default: the first)")
    parser.add_argument("--model", default="simple_cnn")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0, help="sampler seed; give each worker its own")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error(f"--trials must be at least 1 (got {args.trials})")
    cfg = settings()
    splits = get_splits(cfg)
    epochs = args.epochs or (3 if cfg.profile == "ci" else 12)
    small = {"widths": (8, 16, 32, 64)} if cfg.profile == "ci" and args.model == "simple_cnn" else {}
    if args.objective == "classifier":
        objective = classifier_objective(splits, args.model, small, epochs, cfg.image_size, cfg.num_workers, cfg.seed)
    else:
        objective = metric_objective(
            splits, args.task or splits["train"].tasks[0], args.model, small, epochs, cfg.image_size, cfg.seed
        )
    study = create_study(args.study, args.storage, seed=args.seed, data=data_record(cfg))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=args.trials)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    print(f"study {study.study_name}: {len(study.trials)} trials ({len(done)} complete); {describe_best(study)}")


if __name__ == "__main__":
    main()
