"""How far to trust an answer, measured on the WikiArt sample: calibration, "none of these", prediction sets and
the same-artist value, before and after, each with a 95 % interval.

    bash benchmarks/wikiart_series.sh --only 00 08 12     # the classifier and the same-artist head of the sample
    python benchmarks/trust.py                            # -> outputs/benchmarks/trust.json

*Before* is what the artefacts gave a person until the trust layer: raw softmax values, a top-3 without sets,
every painting named as one of the 15 artists, the Siamese head's raw probability. *After* is what
``artlib.trust`` fits on the validation split: a temperature per task, 90 % split-conformal sets, the open-set
rule of the artist task chosen on validation paintings by other artists, and Platt scaling of the same-artist
head on pairs drawn as the Similar page draws them. Every number is measured on the test split (the ArtGAN
validation list), which the fit never sees.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from artlib.config import settings
from artlib.data.derived import same_artist_tables
from artlib.data.prepare import get_splits
from artlib.pairs.runs import FrozenFeatures
from artlib.store import artifacts
from artlib.trust import classifier_trust_report, fit_classifier_trust, split_predictions
from artlib.trust.evaluation import auroc_interval
from artlib.trust.pair_calibration import calibrate_same_artist

from records import SAMPLE, write_result


def _plain(table) -> dict:
    return {
        task: {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for task, row in table.to_dict(orient="index").items()
    }


def classifier_part(cfg, workers: int) -> dict:
    classifier = artifacts.load_classifier(cfg, "classifier", device="cpu")
    card, splits = classifier.card, get_splits(cfg)
    preds = {
        name: split_predictions(classifier.model, splits[name], card, num_workers=workers, flip=name != "train")
        for name in ("train", "val", "test")
    }
    bank = fit_classifier_trust(card, preds["val"], preds["train"])
    report = classifier_trust_report(card, preds["test"], bank)
    rules = {task: t["open_set"] for task, t in card.trust.items() if t.get("open_set")}
    return {
        "unseen_painters": unseen_painters(card, preds, splits, bank),
        "model": f"{card.model} at {card.image_size} px, views {list(card.views)} + mirror (notebook 08)",
        "fitted": {task: {k: v for k, v in t.items() if k != "test"} for task, t in card.trust.items()},
        "open_set_rules": rules,
        "test": _plain(report),
    }


def unseen_painters(card, preds, splits, bank) -> dict:
    """The artist rule on test paintings by painters that no training painting is by (file-name artist slugs)."""
    if "artist" not in card.trust or "artist_slug" not in splits["test"].frame:
        return {}
    trust = card.task_trust("artist")
    labels, probs = preds["test"].labels["artist"], trust.calibrate(preds["test"].probs["artist"])
    scores = trust.open_set.scores(probs, preds["test"].embeddings, bank)
    seen = set(splits["train"].frame["artist_slug"].astype(str))
    unseen = (labels < 0) & ~splits["test"].frame["artist_slug"].astype(str).isin(seen).to_numpy()
    rows = (labels >= 0) | unseen
    interval = auroc_interval((labels >= 0)[rows], scores[rows])
    return {
        "paintings": int(unseen.sum()),
        "auroc": interval.estimate,
        "auroc_low": interval.low,
        "auroc_high": interval.high,
        "accepted": float((scores[unseen] >= trust.open_set.threshold).mean()),
    }


def same_artist_part(cfg, workers: int, k: int) -> dict:
    head, card = artifacts.load_model(cfg, "same_artist")
    tables, how = same_artist_tables(get_splits(cfg), min_works=cfg.min_artist_works)
    if tables is None:
        return {"skipped": how}
    frozen = FrozenFeatures(tables, card.image_size, workers, cache=cfg.feature_cache)
    scaler = frozen.scaler(card.features_from)
    raw = {name: scaler.inverse_transform(f) for name, f in frozen.features(card.features_from).items()}
    artists = {name: t.frame["artist"].to_numpy() for name, t in tables.items()}
    trust, _ = calibrate_same_artist(head, raw, artists, k=k, seed=cfg.seed)
    return {
        "head": f"siamese_head on {card.features_from} features (notebook 12)",
        "artists": how,
        "neighbours_k": k,
        "platt": {"temperature": trust.temperature, "bias": trust.bias},
        "test": trust.test,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--neighbours", type=int, default=8, help="neighbours per painting, as the Similar page")
    args = parser.parse_args(argv)
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    cfg = settings()
    start = time.perf_counter()
    result = {
        "data": cfg.source_label,
        "classifier": classifier_part(cfg, args.workers),
        "same_artist": same_artist_part(cfg, args.workers, args.neighbours),
    }
    result["seconds"] = round(time.perf_counter() - start, 1)
    write_result("trust", result)


if __name__ == "__main__":
    main()
