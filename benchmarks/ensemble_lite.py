"""Average the test probabilities of several fine-tuned runs of benchmarks/pretrained_lite.py.

    python benchmarks/ensemble_lite.py lite0_cnpaint lite0_cnpaint_letterbox

A run's test probabilities come from outputs/benchmarks/pretrained_lite_test_probs.npz (an
:class:`artlib.evaluation.ensembles.ProbabilityStore`), which pretrained_lite.py writes (``--kind views``:
letterbox + long-side squares with mirror TTA, ``mirror``: its one view with mirror TTA). A run that stored none
is scored again from the model file and card it saved (outputs/checkpoints/<run>/classifier.pt: the architecture,
input size, views and mirror averaging are the card's) and stored. The ensemble is the library's mean
(:func:`artlib.evaluation.ensembles.ensemble_scores`, with its 95 % intervals). No choice is made on the test set.
The images every run gets wrong are listed (the candidates for wrong test labels). Results: a row of
outputs/benchmarks/cnpaint_ensembles.csv and the full record in outputs/runs/ensembles/ensemble_<runs>.json
(``--name``, or a short hashed name when the run names joined are too long for a file name).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from artlib.config import settings
from artlib.data import ArtTable
from artlib.data.loaders import make_loader
from artlib.data.prepare import load_source
from artlib.evaluation.ensembles import mean_probabilities
from artlib.evaluation.metrics import label_metrics
from artlib.evaluation.significance import accuracy_interval
from artlib.inference import predict
from artlib.store.artifacts import load_model_file

from records import PRETRAINED_PROBS, ROOT, upsert_row, write_result


def score_from_card(run: str, test: ArtTable, workers: int) -> None:
    """Score ``run``'s saved model on ``test`` as its card says, and keep the probabilities in the store."""
    path = ROOT / "outputs" / "checkpoints" / run / "classifier.pt"
    if not path.is_file():
        raise SystemExit(f"{run}: no stored test probabilities and no model file {path}: run pretrained_lite.py again")
    model, card, _ = load_model_file(path)
    loader = make_loader(
        test, train=False, image_size=card.image_size, num_workers=workers, return_index=True, **card.loader_options()
    )
    preds = predict(model, loader, flip=card.flip_tta)
    paths = [str(test.frame["path"].iloc[i]) for i in preds.indices]
    if paths != [str(p) for p in test.frame["path"]]:
        raise SystemExit(f"{run}: some test images could not be read; an ensemble needs every one")
    kind = "views" if len(card.views) > 1 else "mirror"
    PRETRAINED_PROBS.save(run, paths, preds.labels, {kind: preds.probs}, test.classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run names: outputs/checkpoints/<run>/classifier.pt")
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
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
    test = load_source(settings(dataset="cnpaint", data=args.data_root))["test"]
    for run in args.runs:
        if PRETRAINED_PROBS.load(run, args.kind, list(test.frame["path"]), fallback="mirror") is None:
            score_from_card(run, test, args.workers)
    runs = {run: PRETRAINED_PROBS.load(run, args.kind, fallback="mirror") for run in args.runs}
    mean = mean_probabilities(PRETRAINED_PROBS, args.runs, args.kind, fallback="mirror")
    task = test.tasks[0]
    labels, predicted = mean.labels[task], mean.probs[task].argmax(1)
    out: dict = {"dataset": "cnpaint", "runs": {}}
    for run, stored in runs.items():
        metrics = label_metrics(labels, stored.probs[task].argmax(1))
        out["runs"][run] = {"scored": stored.kind, **{k: round(v, 4) for k, v in metrics.items()}}
    interval = accuracy_interval(predicted == labels)
    out["ensemble"] = {k: round(v, 4) for k, v in label_metrics(labels, predicted).items()}
    out["ensemble"].update(accuracy_low=round(interval.low, 4), accuracy_high=round(interval.high, 4))
    wrong = np.stack([stored.probs[task].argmax(1) != labels for stored in runs.values()])
    names = test.classes[task]
    out["wrong_in_every_run"] = [
        f"{path} ({names[g]} -> {names[p]})"
        for path, g, p, w in zip(mean.paths, labels, predicted, wrong.all(0), strict=True)
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
