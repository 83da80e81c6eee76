"""Artefacts for the explorer app, made from the generated fixture in seconds (no notebook run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch


def build_artifacts(
    outputs, fixture_paths, n: int = 48, titles: bool = True, same_artist: bool = True, identity: bool = True
) -> dict:
    """Save every artefact the app reads, as the notebooks do, for ``n`` readable fixture paintings."""
    from artlib.config import settings
    from artlib.data import load_wikiart
    from artlib.data.dataset import verify_images
    from artlib.evaluation.results import task_scores
    from artlib.features import pca_2d, table_features
    from artlib.inference import Classifier, ModelCard
    from artlib.models import create_backbone, create_model
    from artlib.models.siamese import siamese_on_features
    from artlib.retrieval import SimilarityIndex, embed_titles, load_title_encoder
    from artlib.store import artifacts

    torch.manual_seed(0)
    cfg = settings(outputs=outputs)
    table = load_wikiart(fixture_paths.wikiart_csv, "train", image_root=fixture_paths.wikiart_images)
    table = verify_images(table).table.subset(np.arange(n))
    classifier = create_model("simple_cnn_tiny", table.num_classes).eval()
    card = ModelCard.for_model(classifier, "simple_cnn_tiny", table.classes, 48, flip_tta=False)
    probs = [
        Classifier(classifier, card, "cpu").probabilities(img)
        for img in [__import__("artlib").data.load_rgb(p) for p in table.image_paths()[:12]]
    ]
    card.scores = task_scores(
        {t: table.frame[t].to_numpy()[:12] for t in table.tasks},
        {t: np.stack([p[t] for p in probs]) for t in table.tasks},
        n_resamples=50,
    ).to_dict("index")
    from artlib.trust import OpenSetRule, TaskTrust

    # calibrated, with sets; the artist task says "none of these" for every painting (a threshold above 1)
    card.trust = {t: TaskTrust(temperature=1.5, set_threshold=0.8).to_dict() for t in table.tasks}
    if "artist" in card.trust:
        card.trust["artist"]["open_set"] = OpenSetRule("max_probability", 1.1, "artist").to_dict()
    artifacts.save_model(cfg, "classifier", classifier, card)

    extractor = create_backbone("efficientnet_lite0", pretrained=True)
    features = table_features(extractor, {"all": table}, 64)["all"]
    ids = table.frame["path"].astype(str).tolist()
    title_index = None
    if titles:
        title_emb = embed_titles(table.frame["title"].fillna("untitled").tolist(), load_title_encoder())
        title_index = SimilarityIndex(title_emb, ids)
    artifacts.save_collection(
        cfg,
        table,
        ids,
        SimilarityIndex(features, ids),
        features,
        "efficientnet_lite0",
        64,
        extractor.backbone.input_normalization,
        title_index,
    )
    if same_artist:
        from sklearn.preprocessing import StandardScaler

        head = siamese_on_features(features.shape[1]).eval()
        artifacts.save_siamese_head(
            cfg,
            "same_artist",
            head,
            "efficientnet_lite0",
            StandardScaler().fit(features),
            64,
            {"roc_auc": 0.5},
            trust=TaskTrust(temperature=2.0, bias=[0.0, -1.0]),
        )
    if identity:
        save_identity(cfg, fixture_paths)
    xy = pca_2d(features)  # (notebook 14 uses UMAP; the first two features of a pretrained net can be constant)
    artifacts.save_frame(cfg, "map", pd.DataFrame({"id": ids, "x": xy[:, 0], "y": xy[:, 1]}))
    save_suspects(cfg, table, features, ids)
    return {"cfg": cfg, "table": table, "ids": ids}


def save_identity(cfg, fixture_paths) -> None:
    """Notebook 11b's identity model, made from every readable fixture painting (split 70/15/15 by row) at 64 px
    with a one-epoch head: the app's artist answers and same-painter values come from it."""
    from artlib.data import load_wikiart
    from artlib.data.dataset import verify_images
    from artlib.identity import IdentityCard, fit_identity, painter_disjoint
    from artlib.identity.embedding import IdentityRecipe, train_identity_head
    from artlib.identity.features import view_features
    from artlib.identity.views import VIEWS
    from artlib.store import artifacts

    table = verify_images(
        load_wikiart(fixture_paths.wikiart_csv, "train", image_root=fixture_paths.wikiart_images)
    ).table
    order = np.random.default_rng(0).permutation(len(table))
    cut = [int(0.7 * len(table)), int(0.85 * len(table))]
    parts = np.split(order, cut)
    tables = {name: table.subset(np.sort(rows)) for name, rows in zip(("train", "val", "test"), parts, strict=True)}
    split = painter_disjoint(tables, 0.4, 2, seed=0)
    feats = view_features("efficientnet_lite0", split.tables, VIEWS, 64, 32)
    frames = {name: t.frame for name, t in split.tables.items()}
    head, _ = train_identity_head(
        feats["train"], frames["train"]["painter"].to_numpy(), recipe=IdentityRecipe(epochs=1, dim=16, hidden=32)
    )
    model = fit_identity(head, IdentityCard("efficientnet_lite0", 64, 32, VIEWS, split.known), feats, split.tables)
    model.items = {
        "paths": [str(p.resolve()) for t in split.tables.values() for p in t.image_paths()],
        "embeddings": np.concatenate([model.embed(feats[name]) for name in split.tables]),
    }
    artifacts.save_identity(cfg, "identity", model)


def save_suspects(cfg, table, features, ids) -> None:
    """Rank the paintings as notebook 13 does (calibrated out-of-fold probabilities, then the signals), for the
    best-labelled task that has two classes of two paintings."""
    from artlib.errors import NotEnoughDataError
    from artlib.store import artifacts
    from artlib.trust.outliers import rank_suspects

    for task in sorted(table.tasks, key=lambda t: -(table.frame[t] >= 0).sum()):
        labelled = table.frame[task].to_numpy() >= 0
        y = table.frame[task].to_numpy()[labelled]
        try:
            suspects, calibration = rank_suspects(features[labelled], y, table.classes[task], np.asarray(ids)[labelled])
        except NotEnoughDataError:
            continue
        artifacts.save_frame(cfg, "suspects", suspects, task=task, root=str(table.root), calibration=calibration)
        return


@pytest.fixture(scope="session")
def app_outputs(tmp_path_factory, fixture_paths):
    """An outputs folder with every artefact the app reads."""
    outputs = tmp_path_factory.mktemp("app_outputs")
    build_artifacts(outputs, fixture_paths)
    return outputs


@pytest.fixture(scope="session")
def scale_outputs(tmp_path_factory):
    """An outputs folder with only notebook 15's collection on disk: 6,000 clustered paintings."""
    pytest.importorskip("faiss")
    from large_collections import make_collection

    outputs = tmp_path_factory.mktemp("scale_outputs")
    make_collection(outputs / "collection", n=6000)
    return outputs
