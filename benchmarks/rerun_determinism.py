"""Does fine-tuning give the same model twice? Trains the pretrained EfficientNet-Lite0 the way notebook 08 does
(progressive unfreezing, class weights, the series' seeded loaders) on a slice of the real WikiArt training split,
several times, each in a fresh process, and compares the weights and validation probabilities bit for bit:
twice with the same thread count, then with other thread counts.

    python benchmarks/rerun_determinism.py                       # 512 images, 2 epochs at 128 px, threads 2 2 1
    python benchmarks/rerun_determinism.py --threads 2 2 --images 256

Result: outputs/benchmarks/rerun_determinism.json (per run: the weights' and probabilities' SHA-256, validation
accuracy; whether runs with equal threads agree, and how far the others drift).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from artlib.config import settings
from artlib.data.prepare import get_splits
from artlib.train import TrainConfig, fine_tuning_trainer, inverse_frequency_weights
from artlib.utils import seed_everything

from records import ROOT, pretrained_and_loaders, write_result

SHARED = ROOT.parent / "shared"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--data", type=Path, default=SHARED / "data" / "wikiart_sample")
    add("--meta", type=Path, default=SHARED / "metadata" / "wikiart_artgan")
    add("--outputs", type=Path, default=ROOT / "outputs" / "wikiart_sample", help="notebook 00's splits")
    add("--images", type=int, default=512, help="training images (a seeded sample of the training split)")
    add("--epochs", type=int, default=2)
    add("--image-size", type=int, default=128)
    add("--batch-size", type=int, default=32)
    add("--workers", type=int, default=2)
    add("--threads", type=int, nargs="+", default=[2, 2, 1], help="torch threads of each run, in order")
    add("--seed", type=int, default=0)
    add("--child", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # notebook 08's model and loader settings (records.pretrained_and_loaders reads these)
    args.model, args.strength = "efficientnet_lite0", 0.7
    return args


def digest(arrays: list[np.ndarray]) -> str:
    sha = hashlib.sha256()
    for a in arrays:
        sha.update(np.ascontiguousarray(a).tobytes())
    return sha.hexdigest()[:16]


def train_once(args: argparse.Namespace, threads: int) -> dict:
    """One fine-tuning run in this process with ``threads`` torch threads: what identifies its result."""
    torch.set_num_threads(threads)
    cfg = settings(profile="cpu", dataset="wikiart", data=args.data, meta=args.meta, outputs=args.outputs)
    seed_everything(args.seed)
    splits = get_splits(cfg)
    rows = np.random.default_rng(args.seed).choice(len(splits["train"]), args.images, replace=False)
    train = splits["train"].subset(np.sort(rows))
    val = splits["val"].subset(np.arange(min(len(splits["val"]), 256)))
    model, loaders = pretrained_and_loaders(args, {"train": train, "val": val})
    config = TrainConfig.from_recipe("fine_tune", epochs=args.epochs, patience=None, progress=False)
    trainer = fine_tuning_trainer(model, config, class_weights=inverse_frequency_weights(train))
    start = time.perf_counter()
    trainer.fit(loaders["train"], loaders["val"])
    seconds = time.perf_counter() - start
    preds = trainer.predict(loaders["val"])
    weights = [p.detach().numpy() for p in trainer.model.state_dict().values()]
    probs = [preds.probs[t] for t in sorted(preds.probs)]
    return {
        "threads": threads,
        "weights_sha256": digest(weights),
        "val_probs_sha256": digest(probs),
        "val_probs": [p.tolist() for p in probs],
        "val_accuracy": {t: round(float(v), 4) for t, v in preds.metrics(top_k=())["accuracy"].items()},
        "train_seconds": round(seconds, 1),
    }


def run_child(args: argparse.Namespace, threads: int, argv: list[str]) -> dict:
    cmd = [sys.executable, __file__, *argv, "--child", str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"run with {threads} threads failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(runs: list[dict]) -> dict:
    """Whether runs with the same thread count agree bit for bit, and the largest probability gap to run 0."""
    first = runs[0]
    gaps = [
        max(
            float(np.abs(np.asarray(a) - np.asarray(b)).max())
            for a, b in zip(r["val_probs"], first["val_probs"], strict=True)
        )
        for r in runs
    ]
    same_threads = [r for r in runs if r["threads"] == first["threads"]]
    return {
        "same_threads_identical": len({r["weights_sha256"] for r in same_threads}) == 1,
        "all_identical": len({r["weights_sha256"] for r in runs}) == 1,
        "max_val_prob_gap_to_run_0": [round(g, 6) for g in gaps],
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(train_once(args, args.child)))
        return
    runs = [run_child(args, threads, argv) for threads in args.threads]
    verdict = compare(runs)
    for r in runs:
        del r["val_probs"]
    write_result(
        "rerun_determinism",
        {
            "what": f"efficientnet_lite0 fine-tuned as notebook 08 ({args.images} WikiArt training images, "
            f"{args.epochs} epochs at {args.image_size} px, {args.workers} loader workers), each run a fresh process",
            **verdict,
            "runs": runs,
        },
        device="cpu",
    )


if __name__ == "__main__":
    main()
