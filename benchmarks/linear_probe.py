"""Linear probe on frozen pretrained EfficientNet-Lite features: which input normalisation the weights expect.

    python benchmarks/linear_probe.py                      # Lite0, 224 px, both normalisations
    python benchmarks/linear_probe.py --model efficientnet_lite2 --image-size 260

Features of cnpaint's given train and test folders (the one train copy of a test image removed),
centre-crop eval transform, logistic regression (standardised features, C = 1) fitted on train and
scored on test. Results go to outputs/benchmarks/linear_probe_<model>.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from artlib.data.duplicates import drop_overlap
from artlib.data.loaders import make_loaders
from artlib.data.transforms import IMAGENET, INCEPTION
from artlib.evaluation.metrics import label_metrics
from artlib.features import extract_features
from artlib.models import create_model, input_normalization

from records import ROOT, load_cnpaint, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument("--model", choices=[f"efficientnet_lite{i}" for i in range(3)], default="efficientnet_lite0")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    given = load_cnpaint(args.data_root)
    train, _ = drop_overlap(given["train"], given["test"])
    tables = {"train": train, "test": given["test"]}
    model = create_model(args.model, train.num_classes, pretrained=True)
    rows = {}
    for name, norm in (
        ("declared by the model", input_normalization(model)),
        ("imagenet", IMAGENET),
        ("inception [-1, 1]", INCEPTION),
    ):
        if norm in [r["normalization"] for r in rows.values()]:
            continue
        start = time.perf_counter()
        loaders = make_loaders(tables, args.image_size, 64, args.workers, normalization=norm)
        (x_train, y_train), (x_test, y_test) = [
            (f, y["label"]) for f, y in (extract_features(model, loaders[k]) for k in ("train", "test"))
        ]
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000)).fit(x_train, y_train)
        result = label_metrics(y_test, clf.predict(x_test))
        rows[name] = {
            "normalization": norm,
            "test_accuracy": round(result["accuracy"], 4),
            "test_macro_f1": round(result["macro_f1"], 4),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(name, rows[name], flush=True)
    write_result(
        f"linear_probe_{args.model.removeprefix('efficientnet_')}",
        {
            "dataset": "cnpaint",
            "model": args.model,
            "image_size": args.image_size,
            "images": {k: len(v) for k, v in tables.items()},
            "probes": rows,
        },
    )


if __name__ == "__main__":
    main()
