"""Artefacts saved and loaded by name: models rebuilt from their cards, indexes with items, params, tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from artlib.config import settings
from artlib.inference import ModelCard
from artlib.models import create_model
from artlib.store import artifacts


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    for name in ("ARTLIB_DATA", "ARTLIB_OUTPUTS", "ARTLIB_TASKS", "ARTLIB_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return settings(outputs=tmp_path)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("simple_cnn_small", {}),
        ("rla_resnet_compact", {"attention": "se"}),
        ("metric_embedding", {"backbone": "simple_cnn_tiny", "dim": 16}),
    ],
)
def test_a_model_is_rebuilt_from_its_card_without_the_notebook(cfg, name, kwargs):
    torch.manual_seed(0)
    classes = {"style": ["a", "b", "c"]}
    model = create_model(name, {"style": 3}, **kwargs).eval()
    card = ModelCard.for_model(
        model, name, classes, 32, scores=pd.DataFrame({"accuracy": [0.5]}, index=["style"]), **kwargs
    )
    artifacts.save_model(cfg, "m", model, card)
    loaded, loaded_card = artifacts.load_model(cfg.outputs, "m")
    x = torch.randn(2, 3, 32, 32)
    out, ref = loaded(x), model(x)
    ref, out = (ref["style"], out["style"]) if isinstance(ref, dict) else (ref, out)
    assert torch.allclose(out, ref)
    assert loaded_card.scores == {"style": {"accuracy": 0.5}}
    assert loaded_card.data["label"] == "generated fixture" and loaded_card.made_by
    assert json.loads((cfg.outputs / "artifacts" / "models" / "m.json").read_text())["model"] == name


def test_compact_recipes_are_the_widths_the_notebooks_used():
    small = create_model("simple_cnn_small", {"a": 2})
    assert small.feature_dim == 128 and create_model("simple_cnn_tiny", {"a": 2}).feature_dim == 64
    reference = create_model("rla_resnet", {"a": 2}, layers=(1, 1, 1, 1), base_width=16, rla_channel=16)
    compact = create_model("rla_resnet_compact", {"a": 2})
    assert [p.shape for p in compact.parameters()] == [p.shape for p in reference.parameters()]


def test_a_missing_artefact_names_the_notebook_that_makes_it(cfg):
    with pytest.raises(artifacts.ArtifactNotFoundError, match="08_efficientnet"):
        artifacts.load_classifier(cfg, "classifier")
    with pytest.raises(artifacts.ArtifactNotFoundError, match="10_metric_learning"):
        artifacts.load_model(cfg, "metric_style")
    with pytest.raises(artifacts.ArtifactNotFoundError, match="04_hpo"):
        artifacts.load_params(cfg, "hpo_params")
    with pytest.raises(artifacts.ArtifactNotFoundError, match="14_similarity"):
        artifacts.load_index(cfg, "image_index")
    # the command it gives runs that notebook alone: "--only 11" would run 11 and 11b
    with pytest.raises(artifacts.ArtifactNotFoundError, match=r"11b_identity \(python -m artlib.runner --only 11b,"):
        artifacts.load_identity(cfg)
    with pytest.raises(ValueError, match="plain file name"):
        artifacts.load_params(cfg, "../elsewhere")


def test_artefacts_of_other_data_are_refused_when_asked(cfg, tmp_path):
    artifacts.save_params(cfg, "hpo_params", {"lr": 0.1})
    assert artifacts.load_params(cfg, "hpo_params", data=artifacts.data_record(cfg)) == {"lr": 0.1}
    other = settings(outputs=tmp_path, tasks=["style"])
    with pytest.raises(artifacts.ArtifactNotFoundError, match="was made from generated fixture"):
        artifacts.load_params(cfg, "hpo_params", data=artifacts.data_record(other))


def test_a_damaged_card_or_file_names_the_file(cfg):
    model = create_model("simple_cnn_tiny", {"a": 2})
    path = artifacts.save_model(cfg, "m", model, ModelCard.for_model(model, "simple_cnn_tiny", {"a": ["x", "y"]}, 32))
    state = torch.load(path, weights_only=True)
    state["card"]["image_size"] = None
    state["card"].pop("classes")
    torch.save(state, path)
    with pytest.raises(ValueError, match="model card in .*m.pt is damaged"):
        artifacts.load_model(cfg, "m")


def test_an_index_comes_back_with_its_items_and_features(cfg):
    from artlib.retrieval import SimilarityIndex

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(6, 4)).astype(np.float32)
    items = pd.DataFrame({"id": list("abcdef"), "path": [f"{c}.jpg" for c in "abcdef"], "style": ["x", "y"] * 3})
    artifacts.save_index(
        cfg,
        "image_index",
        SimilarityIndex(vectors, items["id"]),
        items,
        cfg.outputs,
        {"model": "m", "image_size": 8},
        tasks=["style"],
        features=vectors,
    )
    loaded = artifacts.load_index(cfg.outputs, "image_index")
    assert loaded.items["style"].tolist() == ["x", "y"] * 3 and loaded.tasks == ["style"]
    np.testing.assert_allclose(loaded.features, vectors)
    assert loaded.index.query_id("a", 1)["id"].iloc[0] in set("bcdef")
    (cfg.outputs / "artifacts" / "index" / "image_index" / "items.csv").write_text("id,path\nz,z.jpg\n")
    with pytest.raises(ValueError, match="does not list the index's ids"):
        artifacts.load_index(cfg.outputs, "image_index")
    with pytest.raises(ValueError, match="do not list the index's"):
        artifacts.save_index(cfg, "other", SimilarityIndex(vectors, items["id"]), items.iloc[::-1], cfg.outputs, {})


def test_tables_and_the_listing(cfg):
    artifacts.save_frame(cfg, "suspects", pd.DataFrame({"path": ["a.jpg"], "score": [0.9]}), task="genre")
    frame, meta = artifacts.load_frame(cfg, "suspects")
    assert frame["score"].tolist() == [0.9] and meta["info"] == {"task": "genre"} and meta["rows"] == 1
    listing = artifacts.list_artifacts(cfg)
    assert listing[["kind", "name"]].values.tolist() == [["tables", "suspects"]]
    assert listing["data"].tolist() == ["generated fixture"]


def test_a_standardised_siamese_head_scores_raw_features_as_the_trained_one_scored_standardised():
    from artlib.models.siamese import siamese_on_features, standardized_head

    torch.manual_seed(0)
    head = siamese_on_features(8).eval()
    mean, scale = torch.randn(8), torch.rand(8) + 0.5
    saved = standardized_head(head, mean.numpy(), scale.numpy())
    a, b = torch.randn(5, 8), torch.randn(5, 8)
    expected = head.same_probability((a - mean) / scale, (b - mean) / scale)
    assert torch.allclose(saved.same_probability(saved.embed(a), saved.embed(b)), expected, atol=1e-6)


@pytest.mark.parametrize("suffix", [".pth", ".ckpt", ".pkl"])
def test_another_librarys_model_file_is_named_as_such(tmp_path, suffix):
    from artlib.store.artifacts import load_classifier, load_identity

    path = tmp_path / f"x{suffix}"
    path.write_bytes(b"\x80\x04weights")
    for load in (load_classifier, load_identity):
        with pytest.raises(ValueError, match="not an artlib model file"):
            load(path)
    with pytest.raises(ValueError, match="not an artlib model file"):  # even when it is not there
        load_classifier(tmp_path / f"missing{suffix}")
