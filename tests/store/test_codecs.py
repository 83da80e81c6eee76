from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from artlib.data.transforms import IMAGENET
from artlib.inference.card import ModelCard
from artlib.models import create_model
from artlib.store.codecs import CODECS, IndexArtifact, ModelCodec, ParamsCodec, SavedModel, TableCodec
from artlib.trust.open_set import OpenSetBank


def test_every_kind_has_one_codec_with_its_record():
    assert set(CODECS) == {"models", "index", "params", "tables"}
    assert CODECS["models"].record(Path("m/a.pt")).name == "a.json"
    assert CODECS["index"].record(Path("i/a")).name == "artifact.json"
    assert CODECS["params"].record(Path("p/a.json")).name == "a.json"


def test_a_model_round_trips_with_its_card_and_bank(tmp_path):
    torch.manual_seed(0)
    model = create_model("simple_cnn_tiny", {"style": 3}).eval()
    card = ModelCard("simple_cnn_tiny", {"style": ["a", "b", "c"]}, 32, IMAGENET)
    bank = OpenSetBank(np.eye(4, model.feature_dim, dtype=np.float32), {"style": np.array([1, 0, 1, 1], bool)})
    path = ModelCodec().write(tmp_path / "m.pt", SavedModel(model, card, bank))
    back = ModelCodec().read(path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(back.model(x)["style"], model(x)["style"])
    assert back.card.classes == card.classes and back.bank.known["style"].tolist() == [1, 0, 1, 1]
    torch.save({"model": model.state_dict()}, tmp_path / "weights_only.pt")
    with pytest.raises(ValueError, match="no model card"):
        ModelCodec().read(tmp_path / "weights_only.pt")
    with pytest.raises(ValueError, match="does not match its card"):
        ModelCodec().write(tmp_path / "x.pt", SavedModel(create_model("simple_cnn_tiny", {"genre": 3}), card))


def test_an_index_round_trips_and_refuses_mismatched_files(tmp_path):
    from artlib.retrieval.index import SimilarityIndex

    vectors = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    index = SimilarityIndex(vectors, ids=[f"p{i}" for i in range(5)])
    items = pd.DataFrame({"id": index.ids, "path": [f"{i}.jpg" for i in range(5)]})
    codec = CODECS["index"]
    codec.write(tmp_path / "ix", IndexArtifact(index, items, {"root": str(tmp_path)}, vectors))
    back = codec.read(tmp_path / "ix")
    assert back.items["id"].tolist() == index.ids and np.allclose(back.features, vectors)
    with pytest.raises(ValueError, match="do not list the index's 5 ids"):
        codec.write(tmp_path / "iy", IndexArtifact(index, items.iloc[::-1], {}, None))
    (tmp_path / "ix" / "artifact.json").unlink()
    with pytest.raises(ValueError, match="interrupted save"):
        codec.read(tmp_path / "ix")


def test_params_and_tables_round_trip_and_damage_is_named(tmp_path):
    ParamsCodec().write(tmp_path / "p.json", {"params": {"lr": 0.1}})
    assert ParamsCodec().read(tmp_path / "p.json")["params"] == {"lr": 0.1}
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a JSON object"):
        ParamsCodec().read(tmp_path / "bad.json")
    frame = pd.DataFrame({"a": ["x", ""], "b": [1, 2]})
    TableCodec().write(tmp_path / "t.csv", frame)
    assert TableCodec().read(tmp_path / "t.csv")["a"].isna().tolist() == [False, True]
