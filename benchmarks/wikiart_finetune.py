"""Fine-tune a pretrained EfficientNet-Lite on real WikiArt (artist, genre and style at once) for longer than the
notebook series' `cpu` profile affords, and score the official test split with 95 % intervals.

    python benchmarks/wikiart_finetune.py                              # Lite0, 224 px, 12 epochs: 95 min on 2 cores
    python benchmarks/wikiart_finetune.py --epochs 6 --image-size 224          # 29 min (160 px: 14)
    python benchmarks/wikiart_finetune.py --model efficientnet_lite1 --epochs 8 --image-size 224 --workers 8  # a GPU

The data is the sample in ../shared (`--data`, `--meta`: any ArtGAN-layout WikiArt), split as notebook 00
splits it (ArtGAN train for training and validation, ArtGAN val as the test set; `artlib.data.prepare.get_splits`).
Progressive unfreezing over the first half of the run (`artlib.train.fine_tuning_trainer`), label smoothing, the
best epoch by validation macro-F1. ``--protocol intersection``: seed 000's split instead (only the images labelled
for all three tasks, 80/10/10; result in outputs/benchmarks/wikiart_intersection_lite_runs.json).
Result: the run ``wikiart_<model>_<size>px_<epochs>ep`` in outputs/benchmarks/wikiart_finetune_runs.json
(one view, + mirror, and four views + mirror; per task: accuracy with its Wilson interval, top-3, macro-F1 with
a bootstrap interval); its test probabilities in wikiart_finetune_test_probs.npz, so that

    python benchmarks/wikiart_finetune.py --ensemble RUN RUN [--kind "+ mirror"]

scores the mean of stored runs (an ensemble) without training.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from artlib.config import portable_path, settings
from artlib.data import ArtTable
from artlib.data.loaders import make_loader
from artlib.data.prepare import get_splits
from artlib.evaluation.ensembles import EnsembleError, ProbabilityStore, ensemble_scores
from artlib.evaluation.results import task_scores
from artlib.models import input_normalization
from artlib.train import (
    Predictions,
    TrainConfig,
    Trainer,
    fine_tuning_trainer,
    inverse_frequency_weights,
    unfreezing_of,
)
from artlib.utils import seed_everything

from records import RESULTS, ROOT, pretrained_and_loaders, write_run

SHARED = ROOT.parent / "shared"


#: The multi-view test-time augmentation scored beside one view and its mirror.
TTA_VIEWS = ("crop", "letterbox", "start", "end")
#: Every run's test probabilities (float16), keys ``<run>/path``, ``<run>/<task>/label``, ``<run>/<task>/<kind>``.
TEST_PROBS = ProbabilityStore(RESULTS / "wikiart_finetune_test_probs.npz")


def save_probs(run: str, test: ArtTable, scored: dict[str, Predictions]) -> None:
    """Keep ``run``'s test probabilities, so that runs can be ensembled later (``--ensemble``)."""
    first = next(iter(scored.values()))
    TEST_PROBS.save(
        run,
        [str(p) for p in test.frame["path"]],  # relative to the data folder: the same on every machine
        labels=first.labels,
        probs={kind: predictions.probs for kind, predictions in scored.items()},
    )


def ensemble(runs: list[str], kind: str) -> None:
    """Score the mean of ``runs``' stored test probabilities (``kind``: one view, + mirror, or the views)."""
    try:
        table = ensemble_scores(TEST_PROBS, runs, kind).round(4)
    except EnsembleError as exc:
        raise SystemExit(f"--ensemble: {exc}") from None
    print(table.to_string())
    write_run(
        "wikiart_finetune",
        "ensemble: " + " + ".join(runs) + f" ({kind})",
        {"runs": runs, "kind": kind, "test": {kind: table.reset_index().to_dict(orient="records")}},
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--model", choices=[f"efficientnet_lite{i}" for i in range(3)], default="efficientnet_lite0")
    add("--data", type=Path, default=SHARED / "data" / "wikiart_sample")
    add("--meta", type=Path, default=SHARED / "metadata" / "wikiart_artgan")
    add(
        "--outputs",
        type=Path,
        default=None,
        help="where notebook 00's splits of this data are (made there when missing); default "
        "outputs/wikiart_sample, outputs/wikiart_intersection with --protocol intersection",
    )
    add("--epochs", type=int, default=12, help="12: the best measured in 2 h on 2 cores (2026-12-02)")
    add("--image-size", type=int, default=224)
    add("--batch-size", type=int, default=32)
    add("--lr", type=float, default=1e-3)
    add("--label-smoothing", type=float, default=0.1)
    add("--strength", type=float, default=0.7, help="augmentation strength in [0, 1]")
    add("--workers", type=int, default=2)
    add("--seed", type=int, default=0)
    add(
        "--protocol",
        choices=["official", "intersection"],
        default="official",
        help="official: ArtGAN's split; intersection: seed 000's (images with all three labels, 80/10/10)",
    )
    add("--ensemble", nargs="+", metavar="RUN", help="score the mean of stored runs; trains nothing")
    add("--kind", default="+ mirror", help="which stored probabilities --ensemble averages")
    args = parser.parse_args(argv)
    if args.outputs is None:  # the intersection protocol keeps its own splits, beside the official ones
        args.outputs = ROOT / "outputs" / ("wikiart_sample" if args.protocol == "official" else "wikiart_intersection")
    return args


def fine_tune(args: argparse.Namespace, splits: dict[str, ArtTable], run: str) -> tuple[Trainer, pd.DataFrame, float]:
    """Fine-tune with progressive unfreezing; the trainer holds the best weights by validation macro-F1."""
    model, loaders = pretrained_and_loaders(args, {name: splits[name] for name in ("train", "val")})
    config = TrainConfig.from_recipe(
        "fine_tune_all_epochs", epochs=args.epochs, lr=args.lr, label_smoothing=args.label_smoothing, seed=args.seed
    )
    trainer = fine_tuning_trainer(
        model,
        config,
        class_weights=inverse_frequency_weights(splits["train"]),
        checkpoint_dir=args.outputs / "checkpoints" / run,
        log_dir=args.outputs / "runs" / run,
        class_names=splits["train"].classes,
    )
    start = time.perf_counter()
    history = trainer.fit(loaders["train"], loaders["val"])
    seconds = time.perf_counter() - start
    trainer.load_best()
    return trainer, history, seconds


def score(trainer: Trainer, test: ArtTable, args: argparse.Namespace) -> dict[str, Predictions]:
    """The test split scored in one view, with its mirror, and over :data:`TTA_VIEWS` with their mirrors."""
    options = dict(
        train=False,
        image_size=args.image_size,
        batch_size=args.batch_size,
        num_workers=args.workers,
        normalization=input_normalization(trainer.eval_model),
    )
    one_view, views = make_loader(test, **options), make_loader(test, tta_views=TTA_VIEWS, **options)
    return {
        "one view": trainer.predict(one_view),
        "+ mirror": trainer.predict(one_view, flip_tta=True),
        f"{' + '.join(TTA_VIEWS)} + mirror": trainer.predict(views, flip_tta=True),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.ensemble:
        ensemble(args.ensemble, args.kind)
        return
    for path in (args.data, args.meta):
        if not path.exists():
            raise SystemExit(f"{path} does not exist: pass --data (ArtGAN-layout images) and --meta (its CSV folder)")
    cfg = settings(
        profile="cpu",
        dataset="wikiart",
        data=args.data,
        meta=args.meta,
        outputs=args.outputs,
        seed=args.seed,
        protocol=args.protocol,
    )
    seed_everything(args.seed)
    splits = get_splits(cfg)
    run = f"wikiart_{args.model.removeprefix('efficientnet_')}_{args.image_size}px_{args.epochs}ep" + (
        f"_seed{args.seed}" if args.seed else ""
    )
    trainer, history, seconds = fine_tune(args, splits, run)
    scored = score(trainer, splits["test"], args)
    save_probs(run, splits["test"], scored)
    tables = {kind: task_scores(p.labels, p.probs).round(4) for kind, p in scored.items()}
    print(history.round(4).to_string())
    for kind, table in tables.items():
        print(kind, table.to_string(), sep="\n")
    official = args.protocol == "official"
    write_run(
        "wikiart_finetune" if official else "wikiart_intersection_lite",
        run,
        {
            "data": portable_path(args.data),
            "split": "ArtGAN train (training, validation) / ArtGAN val (test)"
            if official
            else "images labelled for artist, genre and style, 80/10/10 stratified on artist (seed 000's protocol)",
            "classes": {task: len(names) for task, names in splits["train"].classes.items()},
            "images": {k: len(v) for k, v in splits.items()},
            "model": f"{args.model} (ImageNet weights)",
            "image_size": args.image_size,
            **{key: getattr(args, key) for key in ("epochs", "lr")},
            "unfreeze_at": unfreezing_of(trainer),
            "label_smoothing": args.label_smoothing,
            "augmentation_strength": args.strength,
            "seed": args.seed,
            "best_epoch": int(history.loc[history["val_macro_f1"].idxmax(), "epoch"]),
            "val_macro_f1": [round(float(v), 4) for v in history["val_macro_f1"]],
            "test": {kind: table.reset_index().to_dict(orient="records") for kind, table in tables.items()},
            "train_seconds": round(seconds, 1),
        },
    )


if __name__ == "__main__":
    main()
