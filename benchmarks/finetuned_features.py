"""Seed 001's feature pipeline: classifiers on the features of the *fine-tuned* direct classifier.

    python benchmarks/finetuned_features.py --outputs outputs/wikiart_sample     # after notebooks 00 and 08 ran there

The study fine-tuned a CNN, then trained gradient boosting on its penultimate features (direct 0.77, boosting
0.75, metric learning 0.68 macro-F1). This script does the same with the classifier notebook 08 saved
(``classifier`` artefact: Lite0 fine-tuned on the three tasks): one pass over the training and test splits gives
its own test predictions and its features (the card's views, no mirror); logistic regression and gradient
boosting are fitted on the training features of each task and scored on the test split (Wilson intervals for
accuracy, bootstrap for macro-F1). Notebook 11's rows on frozen ImageNet features, from the same splits, are
copied beside them when its result file exists.

Result: outputs/benchmarks/wikiart_finetuned_features.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from artlib.data.io import load_table
from artlib.data.loaders import make_loaders
from artlib.evaluation.results import task_scores
from artlib.features import fit_frozen_classifier
from artlib.inference import predict
from artlib.store import artifacts

from records import ROOT, write_result


def class_probabilities(model, x: np.ndarray, n_classes: int) -> np.ndarray:
    """``predict_proba`` spread over every class (a class absent from training gets probability 0)."""
    probs = np.zeros((len(x), n_classes))
    probs[:, model.classes_] = model.predict_proba(x)
    return probs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outputs", type=Path, default=ROOT / "outputs" / "wikiart_sample")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    classifier = artifacts.load_classifier(args.outputs, "classifier", device="cpu")
    card = classifier.card
    tables = {name: load_table(args.outputs / "splits" / name) for name in ("train", "test")}
    loaders = make_loaders(
        {f"features:{name}": table for name, table in tables.items()},
        card.image_size,
        64,
        args.workers,
        return_index=True,
        **card.loader_options(),
    )
    preds = {name: predict(classifier.model, loaders[f"features:{name}"], embed=True) for name in tables}
    seconds_features = time.perf_counter() - start
    rows = []
    for task, names in card.classes.items():
        test_labels = preds["test"].labels[task]
        rows.append(
            {
                "task": task,
                "model": "fine-tuned Lite0, direct",
                **task_scores({task: test_labels}, {task: preds["test"].probs[task]}).loc[task].to_dict(),
            }
        )
        for method in ("logistic_regression", "gradient_boosting"):
            fitted = fit_frozen_classifier(method, preds["train"].embeddings, preds["train"].labels[task], seed=0)
            probs = class_probabilities(fitted, preds["test"].embeddings, len(names))
            label = f"fine-tuned features + {method.replace('_', ' ')}"
            rows.append({"task": task, "model": label, **task_scores({task: test_labels}, {task: probs}).loc[task]})
    frozen = args.outputs / "results" / "11_style_comparison.json"
    if not frozen.is_file():
        frozen = ROOT / "outputs" / "results" / "wikiart_sample" / "11_style_comparison.json"
    if frozen.is_file():
        for row in json.loads(frozen.read_text())["rows"]:
            if row["model"].startswith("Lite0 features"):
                rows.append({"task": "style", **row, "model": row["model"].replace("Lite0", "frozen ImageNet Lite0")})
    table = pd.DataFrame(rows)
    result = {
        "what": "classifiers on the features of notebook 08's fine-tuned Lite0 vs its own predictions (test split)",
        "classifier": {
            "model": card.model,
            "image_size": card.image_size,
            "views": list(card.views),
            "made_by": card.made_by,
            "data": card.data.get("label"),
        },
        "train_images": len(tables["train"]),
        "test_images": len(tables["test"]),
        "minutes": round((time.perf_counter() - start) / 60, 1),
        "feature_minutes": round(seconds_features / 60, 1),
        "rows": json.loads(table.round(4).to_json(orient="records")),
    }
    write_result("wikiart_finetuned_features", result)


if __name__ == "__main__":
    main()
