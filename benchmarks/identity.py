"""Who painted it, for painters the model never saw: the painter-disjoint identity benchmark on the WikiArt sample.

    python benchmarks/identity.py                 # -> outputs/benchmarks/identity.json

The sample's splits (notebook 00's, the ArtGAN lists) are regrouped by painter (:mod:`artlib.identity.protocol`):
the 15 known artists, other painters seen in training, and 20 % of the other painters held out with every one of
their paintings, half for validation (every choice and fit), half for test (every figure). Side by side on the
same held-out test pairs: the frozen Lite0 features' cosine, a Siamese head on them (notebook 12's), the identity
embedding's cosine and a Siamese head on it. Strangers: the held-out test painters, and cnpaint (2,700 Chinese
paintings, none by a known artist) as a far-away collection. Intervals resample painters (pairs) or paintings.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from records import ROOT, SAMPLE, load_cnpaint, write_result


def siamese_head_scores(
    train: np.ndarray,
    painters: np.ndarray,
    pairs: list[tuple[np.ndarray, np.ndarray]],
    val: tuple[np.ndarray, np.ndarray],
    seed: int,
    epochs: int,
) -> list[np.ndarray]:
    """A Siamese head (notebook 12's "all" head) on standardised ``train`` features of random training pairs,
    early-stopped on validation pairs; its P(same) of each ``(a, b)`` pair set of raw feature rows."""
    import torch

    from artlib.data.table import ArtTable
    from artlib.models.siamese import siamese_on_features
    from artlib.pairs import make_pairs
    from artlib.pairs.dataset import feature_pair_loaders
    from artlib.train import TrainConfig, Trainer

    mean, scale = train.mean(0), np.maximum(train.std(0), 1e-6)
    table = ArtTable(
        pd.DataFrame({"path": [""] * len(train), "painter": painters}),
        {"painter": [str(i) for i in range(int(painters.max()) + 1)]},
    )
    val_feats, val_painters = val
    val_table = ArtTable(pd.DataFrame({"path": [""] * len(val_feats), "painter": val_painters}), table.classes)
    loaders = feature_pair_loaders(
        {"train": ((train - mean) / scale).astype(np.float32), "val": ((val_feats - mean) / scale).astype(np.float32)},
        {
            "train": make_pairs(table, "painter", 12, 1.75, seed),
            "val": make_pairs(val_table, "painter", 12, 1.75, seed),
        },
    )
    head = siamese_on_features(train.shape[1], "all")
    import tempfile

    config = TrainConfig.from_recipe("pair_head", epochs=epochs, seed=seed, progress=False)
    trainer = Trainer(head, config, checkpoint_dir=tempfile.mkdtemp(prefix="identity-bench-"))
    trainer.fit(loaders["train"], loaders["val"])
    trainer.load_best()
    head.eval()
    out = []
    with torch.no_grad():
        for a, b in pairs:
            za = head.embed(torch.as_tensor(((a - mean) / scale).astype(np.float32)))
            zb = head.embed(torch.as_tensor(((b - mean) / scale).astype(np.float32)))
            out.append(head.same_probability(za, zb).numpy())
    return out


def strangers(model, root: str, cache: str) -> dict:
    """Share of a collection by none of the known artists that the model accepts / names with >= 50 %."""
    from artlib.identity.evaluation import NAMED_AT
    from artlib.identity.features import view_features
    from artlib.trust.evaluation import put_interval, share_interval

    parts = load_cnpaint(root)
    table = parts["train"].concat(parts["test"])
    card = model.card
    feats = view_features(card.backbone, {"all": table}, card.views, card.image_size, card.detail, cache=cache)
    full = model.full_probs(feats["all"])
    known = full.argmax(1) < len(card.known)
    out: dict = {"paintings": len(table)}
    put_interval(out, "accepted", share_interval(known))
    put_interval(out, "named", share_interval(known & (full.max(1) >= NAMED_AT)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=None, help="identity head epochs (default: the cpu profile's)")
    parser.add_argument("--head-epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    import torch

    from artlib.config import settings
    from artlib.data.prepare import get_splits
    from artlib.identity.evaluation import same_artist_report
    from artlib.identity.run import identity_figures, run_identity
    from artlib.trust.calibration import binary_ece
    from artlib.trust.evaluation import put_interval, rows_interval

    torch.set_num_threads(args.threads)
    cfg = settings(**({"identity_epochs": args.epochs} if args.epochs else {}))
    started = time.time()
    run = run_identity(cfg, get_splits(cfg))
    trained = time.time() - started
    figures = identity_figures(run)
    frames = {s: run.split.tables[s].frame for s in ("train", "val", "test")}
    pool = {n: np.concatenate([e[s] for s in frames]) for n, e in run.embeddings.items()}
    sets = [figures[f"{label}_rows"] for label in ("random_pairs", "neighbour_pairs")]
    val_held = frames["val"]["role"].to_numpy() == "held_out"
    heads = {}
    for name in ("frozen", "identity"):  # notebook 12's Siamese head, on each embedding
        emb = run.embeddings[name]
        heads[f"{name} + Siamese head"] = siamese_head_scores(
            emb["train"],
            frames["train"]["painter"].to_numpy(),
            [(pool[name][rows["a"]], pool[name][rows["b"]]) for rows in sets],
            (emb["val"][val_held], frames["val"]["painter"].to_numpy()[val_held]),
            cfg.seed,
            args.head_epochs,
        )
    values = {}
    for i, label in enumerate(("random_pairs", "neighbour_pairs")):
        rows = sets[i]
        extra = {name: scores[i] for name, scores in heads.items()}
        figures[label] = pd.concat([figures[label], same_artist_report(extra, rows, rows["painter"].to_numpy())])
        value = run.model.same_artist(pool["identity"][rows["a"]], pool["identity"][rows["b"]])
        same = rows["same"].to_numpy()
        values[label] = {
            "mean_same": round(float(value[same].mean()), 4),
            "mean_different": round(float(value[~same].mean()), 4),
            "same_share": round(same.mean(), 4),
        }
        ece = rows_interval(lambda r, v=value, y=same: binary_ece(v[r], y[r]), len(same))
        put_interval(values[label], "positive_ece", ece)
    cnpaint = strangers(run.model, str(ROOT.parent / "shared" / "data" / "cnpaint"), str(cfg.feature_cache))
    result = {
        "protocol": run.split.how,
        "counts": {
            f"{measure} {split} {role}": int(value)
            for (measure, split), column in run.split.counts().items()
            for role, value in column.items()
        },
        "identity_card": {k: v for k, v in run.model.card.to_dict().items() if k != "test"},
        "history": run.history.round(4).reset_index().to_dict("records"),
        "who_painted_it": figures["open_set"].round(4).to_dict("records")[0],
        "operating_point_90_known_recall": figures["operating_point"].round(4).to_dict("records")[0],
        "random_pairs": figures["random_pairs"].round(4).to_dict("index"),
        "neighbour_pairs": figures["neighbour_pairs"].round(4).to_dict("index"),
        "same_artist_value": values,
        "cnpaint_strangers": cnpaint,
        "seconds": {"features_and_training": round(trained, 1), "total": round(time.time() - started, 1)},
    }
    write_result("identity", result)


if __name__ == "__main__":
    main()
