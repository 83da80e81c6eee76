"""Average the test probabilities of several fine-tuned runs of benchmarks/pretrained_lite.py.

    python benchmarks/ensemble_lite.py lite0_cnpaint lite0_cnpaint_letterbox

A run's test probabilities come from outputs/benchmarks/pretrained_lite_test_probs.npz (an
:class:`artlib.evaluation.ensembles.ProbabilityStore`), which pretrained_lite.py writes (``--kind views``:
letterbox + long-side squares with mirror TTA, ``mirror``: its one view with mirror TTA); a run without stored
probabilities is scored again from its best checkpoint (outputs/checkpoints/<run>/best.pt) with its own input
(letterbox when the run name contains ``_letterbox``) and mirror TTA. The ensemble averages the probabilities.
No choice is made on the test set. The images every run gets wrong are listed (the candidates for wrong test
labels). Results: a row of outputs/benchmarks/cnpaint_ensembles.csv and the full record in
outputs/runs/ensembles/ensemble_<runs>.json (``--name``, or a short hashed name when the run names joined are
too long for a file name).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from artlib.data import ArtTable, load_split_folders
from artlib.data.loaders import make_loader
from artlib.evaluation.metrics import label_metrics
from artlib.evaluation.significance import accuracy_interval
from artlib.models import create_model, input_normalization
from artlib.train import Trainer, load_weights

from records import PRETRAINED_PROBS, ROOT, upsert_row, write_result


def run_probabilities(run: str, test: ArtTable, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """A run's stored test probabilities of ``--kind`` (else its mirror ones), or, when it stored none, its best
    checkpoint scored again with mirror TTA: probabilities, labels and the kind read."""
    saved = PRETRAINED_PROBS.load(run, args.kind, list(test.frame["path"]), fallback="mirror")
    task = test.tasks[0]
    if saved is not None:
        return saved.probs[task], saved.labels[task], saved.kind
    model = load_weights(
        create_model("efficientnet_" + run.split("_")[0], test.num_classes),
        ROOT / "outputs" / "checkpoints" / run / "best.pt",
    )
    loader = make_loader(
        test,
        train=False,
        image_size=args.image_size,
        num_workers=args.workers,
        letterbox="_letterbox" in run,
        normalization=input_normalization(model),
    )
    preds = Trainer(model).predict(loader, flip_tta=True)
    return preds.probs[task], preds.labels[task], "mirror"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run names: outputs/checkpoints/<run>/best.pt")
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--kind",
        choices=["views", "mirror"],
        default="views",
        help="which saved test probabilities to average (falls back to mirror)",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="result name (outputs/benchmarks/ensemble_<name>.json); default: the run names joined",
    )
    args = parser.parse_args()
    test = load_split_folders(args.data_root)["test"]
    probs, labels, out = [], None, {"dataset": "cnpaint", "runs": {}}
    for run in args.runs:
        run_probs, run_labels, kind = run_probabilities(run, test, args)
        if labels is not None and not np.array_equal(labels, run_labels):
            raise RuntimeError("runs scored the test images in different orders")
        labels = run_labels
        probs.append(run_probs)
        metrics = label_metrics(labels, run_probs.argmax(1))
        out["runs"][run] = {"scored": kind, **{k: round(v, 4) for k, v in metrics.items()}}
    predicted = np.mean(probs, 0).argmax(1)
    interval = accuracy_interval(predicted == labels)
    out["ensemble"] = {k: round(v, 4) for k, v in label_metrics(labels, predicted).items()}
    out["ensemble"].update(accuracy_low=round(interval.low, 4), accuracy_high=round(interval.high, 4))
    wrong = np.stack([p.argmax(1) != labels for p in probs])
    names = test.classes[test.tasks[0]]
    out["wrong_in_every_run"] = [
        f"{path} ({names[g]} -> {names[p]})"
        for path, g, p, w in zip(test.frame["path"], labels, predicted, wrong.all(0), strict=True)
        if w
    ]
    out["wrong_in_some_run"] = int(wrong.any(0).sum())
    out["kind"] = args.kind
    name = result_name(args.runs, args.kind, args.name)
    write_result(name, out, folder=ROOT / "outputs" / "runs" / "ensembles")  # the full record, not committed
    upsert_row(
        ROOT / "outputs" / "benchmarks" / "cnpaint_ensembles.csv",
        {
            "name": name[len("ensemble_") :] if name.startswith("ensemble_") else name,
            "members": " + ".join(args.runs),
            "kind": args.kind,
            **{key: out["ensemble"][key] for key in ("accuracy", "macro_f1", "accuracy_low", "accuracy_high")},
            "wrong_in_every_run": len(out["wrong_in_every_run"]),
            "wrong_in_some_run": out["wrong_in_some_run"],
        },
    )


def result_name(runs: list[str], kind: str, name: str | None = None) -> str:
    """``ensemble_<run>+<run>...``, or ``ensemble_<name>`` when given or when the joined names would be too
    long for a file name (the runs are listed inside the file either way)."""
    suffix = "" if kind == "views" else f"_{kind}"
    joined = "+".join(runs)
    if name is None and len(joined) > 180:
        name = f"{len(runs)}runs_" + hashlib.sha1(joined.encode()).hexdigest()[:10]
    return f"ensemble_{name or joined}{suffix}"


if __name__ == "__main__":
    main()
