"""How far apart are the cnpaint runs really, and where does the 95 % target stand?

    python benchmarks/cnpaint_significance.py                      # every run with saved test probabilities
    python benchmarks/cnpaint_significance.py lite1_cnpaint_letterbox_refit lite2_cnpaint_letterbox_refit

Reads the test probabilities that benchmarks/pretrained_lite.py saved (outputs/benchmarks/<run>_test_probs.npz;
multi-view TTA where a run has it, else mirror TTA) and scores each run and each ensemble
(``--ensemble NAME=RUN+RUN``; by default the ensembles the README reports) with
``artlib.evaluation.significance.compare_classifiers``: accuracy with its Wilson 95 % interval, macro-F1
with a bootstrap interval, an exact McNemar test against the most accurate run, and the exact one-sided binomial p-value
that the run's true accuracy is below the target (``--target``, 0.95).

It also splits the test images by how they are framed (``artlib.data.margin_stats``: the share of the
letterboxed input the painting fills, and the painting's elongation) and gives each group's error rate,
averaged over the runs. Results: outputs/benchmarks/cnpaint_significance.csv, cnpaint_error_by_framing.csv
and cnpaint_significance.json, the intervals drawn in cnpaint_significance.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from artlib.data import margin_stats
from artlib.evaluation.significance import compare_classifiers
from artlib.plots import plot_intervals, save_figure

from records import PRETRAINED_PROBS, RESULTS, ROOT, load_cnpaint, write_result

REPORTED_ENSEMBLES = {
    "ensemble: Lite1 + Lite2 (seed 0)": "lite1_cnpaint_letterbox_refit+lite2_cnpaint_letterbox_refit",
    "ensemble: Lite1 + Lite2 + Lite1 MixUp/CutMix": (
        "lite1_cnpaint_letterbox_refit+lite2_cnpaint_letterbox_refit+lite1_cnpaint_letterbox_refit_mix0.2-1-p0.5"
    ),
}
COVER_BINS = [0.0, 0.3, 0.5, 0.7, 1.0]
ASPECT_BINS = [1.0, 1.2, 1.6, 2.5, np.inf]


def load_probs(run: str, paths: list[str]) -> np.ndarray:
    """A run's saved test probabilities (multi-view TTA, else mirror), checked against the test folder's order."""
    saved = PRETRAINED_PROBS.load(run, "views", paths, fallback="mirror")
    if saved is None:
        raise SystemExit(f"no saved test probabilities for {run}: run benchmarks/pretrained_lite.py for it first")
    (probs,) = saved.probs.values()
    return probs


def framing_table(framing: pd.DataFrame, wrong: np.ndarray) -> pd.DataFrame:
    """Error rate (mean over runs) and image count per square-cover and per elongation group."""
    frame = framing.assign(error_rate=wrong.mean(0))
    groups = [
        ("share of the input the painting fills", pd.cut(frame["square_cover"], COVER_BINS)),
        ("painting long side / short side", pd.cut(frame["content_aspect"], ASPECT_BINS, right=False)),
    ]
    tables = [
        frame.groupby(bins, observed=False)["error_rate"]
        .agg(["count", "mean"])
        .rename(columns={"count": "images", "mean": "error_rate"})
        .rename_axis("group")
        .reset_index()
        .assign(measure=name, group=lambda t: t["group"].astype(str))
        for name, bins in groups
    ]
    return pd.concat(tables)[["measure", "group", "images", "error_rate"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", help="run names (default: every cnpaint run with saved probabilities)")
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument(
        "--ensemble",
        action="append",
        default=None,
        metavar="NAME=RUN+RUN",
        help="also score the mean probabilities of these runs (default: the README's ensembles)",
    )
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--resamples", type=int, default=5000, help="bootstrap resamples for the macro-F1 interval")
    args = parser.parse_args()
    test = load_cnpaint(args.data_root)["test"]
    task = test.tasks[0]
    paths = list(test.frame["path"])
    runs = args.runs or [run for run in PRETRAINED_PROBS.runs() if "cnpaint" in run]
    probs = {run: load_probs(run, paths) for run in runs}
    ensembles = (
        dict(item.split("=", 1) for item in args.ensemble)
        if args.ensemble
        else {
            name: members
            for name, members in REPORTED_ENSEMBLES.items()
            if all(run in runs for run in members.split("+"))
        }
    )
    scored = dict(probs)
    for name, members in ensembles.items():
        scored[name] = np.mean(
            [probs[run] if run in probs else load_probs(run, paths) for run in members.split("+")], axis=0
        )
    labels = test.frame[task].to_numpy()
    table = compare_classifiers(labels, scored, target=args.target, n_resamples=args.resamples)
    table = table.sort_values("accuracy", ascending=False)
    table.round(4).to_csv(RESULTS / "cnpaint_significance.csv")
    save_figure(
        plot_intervals(table, target=args.target, title=f"cnpaint test accuracy ({len(test)} images)"),
        RESULTS / "cnpaint_significance.png",
    )

    wrong = np.stack([p.argmax(1) != labels for p in probs.values()])
    framing = margin_stats(test, sample=None).set_index("row").reindex(np.arange(len(test)))
    by_framing = framing_table(framing, wrong)
    by_framing.round(4).to_csv(RESULTS / "cnpaint_error_by_framing.csv", index=False)
    n = len(labels)
    allowed = int(np.floor(n * (1 - args.target) + 1e-9))
    best_group_rate = by_framing["error_rate"].min()
    write_result(
        "cnpaint_significance",
        {
            "test_images": n,
            "target_accuracy": args.target,
            "errors_allowed_at_target": allowed,
            "reference": table.attrs["reference"],
            "runs": runs,
            "ensembles": ensembles,
            "fewest_errors": int(table["errors"].min()),
            "best_accuracy_low": round(float(table["accuracy_low"].iloc[0]), 4),
            "best_accuracy_high": round(float(table["accuracy_high"].iloc[0]), 4),
            "largest_p_below_target": round(float(table["p_below_target"].max()), 5),
            "runs_different_from_reference_at_0.05_after_BH": int((table["mcnemar_p_adjusted"] < 0.05).sum()),
            "wrong_in_every_run": int(wrong.all(0).sum()),
            "wrong_in_some_run": int(wrong.any(0).sum()),
            "mean_error_rate_over_runs": round(float(wrong.mean()), 4),
            "error_rate_if_every_framing_group_did_as_well_as_the_best": round(float(best_group_rate), 4),
            "accuracy_at_that_error_rate": round(1 - float(best_group_rate), 4),
            "binomial_p_best_run_at_target": round(float(table["p_below_target"].iloc[0]), 5),  # sorted: best first
        },
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(
            table[
                [
                    "errors",
                    "accuracy",
                    "accuracy_low",
                    "accuracy_high",
                    "macro_f1",
                    "mcnemar_p",
                    "mcnemar_p_adjusted",
                    "p_below_target",
                ]
            ]
            .round(4)
            .to_string()
        )
        print(by_framing.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
