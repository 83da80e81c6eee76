"""Average the test probabilities of several fine-tuned runs of benchmarks/pretrained_lite.py.

    python benchmarks/ensemble_lite.py lite0_cnpaint lite0_cnpaint_letterbox

Each run is scored with its own best checkpoint (outputs/checkpoints/<run>/best.pt) and its own input
(letterbox when the run name contains ``_letterbox``), with mirror TTA; the ensemble averages the
probabilities. No choice is made on the test set. Results: outputs/benchmarks/ensemble_<runs>.json.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from results import write_result
from artlib.data import load_split_folders
from artlib.data.loaders import make_loaders
from artlib.features import scores
from artlib.models import create_model, input_normalization
from artlib.train import Trainer, load_weights

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run names: outputs/checkpoints/<run>/best.pt")
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    test = load_split_folders(args.data_root)["test"]
    task = test.tasks[0]
    probs, labels, out = [], None, {"dataset": "cnpaint", "runs": {}}
    for run in args.runs:
        model_name = "efficientnet_" + run.split("_")[0]
        model = load_weights(create_model(model_name, test.num_classes), ROOT / "outputs" / "checkpoints" / run / "best.pt")
        loader = make_loaders({"test": test}, args.image_size, 64, args.workers, letterbox="_letterbox" in run,
                              normalization=input_normalization(model))["test"]
        preds = Trainer(model).predict(loader, flip_tta=True)
        if labels is not None and not np.array_equal(labels, preds.labels[task]):
            raise RuntimeError("runs scored the test images in different orders")
        labels = preds.labels[task]
        probs.append(preds.probs[task])
        out["runs"][run] = {k: round(v, 4) for k, v in scores(labels, probs[-1].argmax(1)).items()}
    out["ensemble"] = {k: round(v, 4) for k, v in scores(labels, np.mean(probs, 0).argmax(1)).items()}
    write_result("ensemble_" + "+".join(args.runs), out)


if __name__ == "__main__":
    main()
