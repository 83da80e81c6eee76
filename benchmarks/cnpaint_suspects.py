"""Rank likely mislabelled / non-painting images of ../shared/data/cnpaint from pretrained Lite0 features.

    python benchmarks/cnpaint_suspects.py --image-size 224
    python benchmarks/cnpaint_suspects.py --split train --top 0   # rank the training folder only

Writes outputs/benchmarks/cnpaint_suspects.csv (top 50) and cnpaint_suspects.png (top 12, given vs
predicted genre), and the injected-noise comparison with cleanlab on the same features.
``--split train`` ranks the training folder alone (no test image or label takes part), for
``pretrained_lite.py --exclude-train``; its files end in ``_train``. ``--top 0`` keeps every image.
It also writes cnpaint_cleaning_effect.csv: a logistic regression on the same features, trained on the
training folder (real labels, then 10 % and 20 % flipped on purpose) and scored on the test folder, with
every training image, without the top suspects, and without exactly the flipped ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from artlib.data.images import load_rgb
from artlib.data.loaders import make_loaders
from artlib.features import extract_features
from artlib.models import create_model, input_normalization
from artlib.plots import plot_image_grid, save_figure
from artlib.trust.outliers import cleaning_effect, compare_detectors, rank_suspects

from records import ROOT, load_cnpaint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument(
        "--split",
        choices=["all", "train"],
        default="all",
        help="rank train + test together, or the training folder alone",
    )
    parser.add_argument("--top", type=int, default=50, help="rows written to the CSV (0: all)")
    args = parser.parse_args()
    parts = load_cnpaint(args.data_root)
    table = parts["train"].concat(parts["test"]) if args.split == "all" else parts["train"]
    suffix = "" if args.split == "all" else "_train"
    model = create_model("efficientnet_lite0", {"genre": 3}, pretrained=True)
    loaders = make_loaders(
        {"all": table, "test": parts["test"]},
        args.image_size,
        batch_size=64,
        num_workers=2,
        normalization=input_normalization(model),
    )  # eval transform for both
    feats, labels = extract_features(model, loaders["all"])
    y = labels["label"]
    ranked, calibration = rank_suspects(feats, y, table.classes["label"], table.frame["path"].to_numpy())
    top = ranked.head(args.top) if args.top > 0 else ranked
    out = ROOT / "outputs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    top.round(4).to_csv(out / f"cnpaint_suspects{suffix}.csv", index=False)
    grid = top.head(12)
    fig = plot_image_grid(
        [load_rgb(args.data_root / p) for p in grid["path"]],
        [f"given {g} / pred {p}" for g, p in zip(grid["given"], grid["predicted"], strict=True)],
        cols=6,
        size=2.2,
    )
    save_figure(fig, out / f"cnpaint_suspects{suffix}.png", dpi=80)
    noise = compare_detectors(feats, y, rate=0.05, ks=(25, 100))
    noise.round(4).to_csv(out / f"cnpaint_noise_detection{suffix}.csv")
    summary = {
        "images": len(table),
        "features": int(feats.shape[1]),
        "oof_accuracy": round(float((ranked["predicted"] == ranked["given"]).mean()), 4),
        "oof_calibration": {key: round(float(value), 4) for key, value in calibration.items()},
    }
    if args.split == "train":  # does a classifier on these features gain from leaving the suspects out?
        test_feats, test_labels = extract_features(model, loaders["test"])
        effect = cleaning_effect(feats, y, test_feats, test_labels["label"], rates=(0.0, 0.1, 0.2))
        effect.round(4).to_csv(out / "cnpaint_cleaning_effect.csv")
        print(effect.round(3).to_string())
    (out / f"cnpaint_suspects{suffix}.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(summary)
    print(top.head(12)[["path", "given", "predicted", "score", "isolation"]].to_string())
    print(noise.round(3).to_string())


if __name__ == "__main__":
    main()
