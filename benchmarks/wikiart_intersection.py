"""Seed 000's protocol on the WikiArt sample: RLA-ResNet with and without channel / spatial attention.

    python benchmarks/wikiart_intersection.py --seeds 0 --epochs 12          # 2 cores: about 30 min a seed
    python benchmarks/wikiart_intersection.py --collect                      # rebuild the result from the runs
    python benchmarks/wikiart_intersection.py --finish                       # complete interrupted runs, then that
    python benchmarks/wikiart_finetune.py --protocol intersection --epochs 6  # the pretrained Lite recipe on it

Only the images labelled for artist, genre and style, split 80/10/10 stratified (``ARTLIB_PROTOCOL=intersection``;
any data with several tasks can use it). Each seed runs notebook 06 (RLA, + SE, + ECA, + CBAM, the profile's
compact RLA on a CPU, every training image) on its own split and initialisation, into
``outputs/wikiart_intersection/seed<k>``. The study's claims are tested with the paired tests artlib has: per
seed and task, the accuracy difference to plain RLA with its exact McNemar test (Benjamini-Hochberg adjusted over
the three attention modules). Result: outputs/benchmarks/wikiart_intersection_attention.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from artlib.config import portable_path

from records import ROOT, write_result

SHARED = ROOT.parent / "shared"
RUNS = ROOT / "outputs" / "wikiart_intersection"
CHANNEL = ("RLA + SE", "RLA + ECA")
SPATIAL = ("RLA + CBAM",)
#: Seconds notebook 06's training cell may take (four models in one cell; 2 cores: about 45 min at 12 epochs).
CELL_TIMEOUT = 4 * 3600


def run_seed(seed: int, args: argparse.Namespace) -> float:
    """Notebook 06 under the intersection protocol for one seed; its wall time in seconds."""
    env = {
        **os.environ,
        "ARTLIB_DATASET": "wikiart",
        "ARTLIB_DATA": str(args.data),
        "ARTLIB_META": str(args.meta),
        "ARTLIB_PROFILE": "cpu",
        "ARTLIB_PROTOCOL": "intersection",
        "ARTLIB_SEED": str(seed),
        "ARTLIB_EPOCHS": str(args.epochs),
        "ARTLIB_TRAIN_FRACTION": "1",
        "ARTLIB_OUTPUTS": str(RUNS / f"seed{seed}"),
        "HF_HUB_OFFLINE": "1",
        "MPLBACKEND": "Agg",
    }
    start = time.perf_counter()
    command = [sys.executable, "-m", "artlib.runner", "--only", "06", "--timeout", str(CELL_TIMEOUT)]
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return time.perf_counter() - start


def finish_from_checkpoints(seed: int, args: argparse.Namespace) -> None:
    """Complete an interrupted seed from notebook 06's checkpoints, as the notebook would have: each variant
    resumed from its ``last.pt`` up to ``--epochs`` (a finished one is not retrained), its ``best.pt`` scored on
    the test split; writes the two files :func:`collect` reads."""
    from artlib.config import settings
    from artlib.data.loaders import make_loaders
    from artlib.data.prepare import get_splits
    from artlib.evaluation.results import save_result
    from artlib.studies.attention import attention_significance, per_model_scores, train_attention_variants

    cfg = settings(
        profile="cpu",
        dataset="wikiart",
        data=args.data,
        meta=args.meta,
        protocol="intersection",
        seed=seed,
        epochs=args.epochs,
        train_fraction=1.0,
        outputs=RUNS / f"seed{seed}",
    )
    splits = get_splits(cfg)
    loaders = make_loaders(splits, cfg.image_size, cfg.batch_size, cfg.num_workers, seed=cfg.seed)
    runs = train_attention_variants(cfg, splits, loaders, resume=True)
    attention_significance(runs, seed=cfg.seed).to_csv(cfg.out("tables", "06_attention_significance.csv"))
    save_result(
        cfg,
        "06_rla_attention",
        "RLA-ResNet (from scratch) with and without attention: test",
        per_model_scores(runs),
        architecture=cfg.architecture("rla"),
        image_size=cfg.image_size,
        epochs=cfg.epochs,
        train_images=len(splits["train"]),
    )


def collect(seed: int) -> tuple[dict, pd.DataFrame]:
    """One seed's saved result and its paired comparison against plain RLA."""
    folder = RUNS / f"seed{seed}"
    result = json.loads((folder / "results" / "06_rla_attention.json").read_text())
    paired = pd.read_csv(folder / "tables" / "06_attention_significance.csv")
    return result, paired.assign(seed=seed)


def claims(paired: pd.DataFrame) -> dict:
    """Each study claim as counts over (seed, task) cells: better, significantly better or worse (adjusted p < 0.05)."""
    plain = paired.loc[paired["classifier"] == "RLA", ["seed", "task", "accuracy"]]
    plain = plain.rename(columns={"accuracy": "plain"})
    out = {}
    for label, models in (("channel attention (SE, ECA) improves on RLA", CHANNEL), ("CBAM hurts RLA", SPATIAL)):
        rows = paired[paired["classifier"].isin(models)].merge(plain, on=["seed", "task"])
        rows["difference"] = rows["accuracy"] - rows["plain"]
        significant = rows["mcnemar_p_adjusted"] < 0.05
        out[label] = {
            "cells": len(rows),
            "better": int((rows["difference"] > 0).sum()),
            "worse": int((rows["difference"] < 0).sum()),
            "significantly_better": int((significant & (rows["difference"] > 0)).sum()),
            "significantly_worse": int((significant & (rows["difference"] < 0)).sum()),
            "mean_accuracy_difference": round(float(rows["difference"].mean()), 4),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "data" / "wikiart_sample")
    parser.add_argument("--meta", type=Path, default=SHARED / "metadata" / "wikiart_artgan")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--collect", action="store_true", help="only gather the runs already made")
    parser.add_argument(
        "--finish", action="store_true", help="complete interrupted seeds from their checkpoints, then gather"
    )
    args = parser.parse_args()
    for path in (args.data, args.meta):
        if not path.exists():
            raise SystemExit(f"{path} does not exist: pass --data (ArtGAN-layout images) and --meta (its CSV folder)")
    if args.finish:
        for seed in args.seeds:
            finish_from_checkpoints(seed, args)
    seconds = {} if args.collect or args.finish else {seed: round(run_seed(seed, args), 1) for seed in args.seeds}
    results, paired = zip(*(collect(seed) for seed in args.seeds), strict=True)
    paired_table = pd.concat(paired, ignore_index=True)
    columns = [
        "seed",
        "task",
        "classifier",
        "n",
        "accuracy",
        "accuracy_low",
        "accuracy_high",
        "macro_f1",
        "macro_f1_low",
        "macro_f1_high",
        "only_this_right",
        "only_reference_right",
        "mcnemar_p_adjusted",
    ]
    split = json.loads((RUNS / f"seed{args.seeds[0]}" / "splits" / "source.json").read_text())
    write_result(
        "wikiart_intersection_attention",
        {
            "data": portable_path(args.data),
            "protocol": "images labelled for artist, genre and style, 80/10/10 stratified on the first task",
            "split_source": {k: v for k, v in split.items() if k not in ("data", "meta")},
            "architecture": results[0].get("architecture"),
            "image_size": results[0].get("image_size"),
            "epochs": results[0].get("epochs"),
            "train_images": results[0].get("train_images"),
            "seeds": list(args.seeds),
            "wall_seconds_per_seed": seconds or None,
            "claims": claims(paired_table),
            "paired": paired_table[columns].round(4).to_dict(orient="records"),
        },
    )


if __name__ == "__main__":
    main()
