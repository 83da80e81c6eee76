import io
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from identity_painters import clustered_views, painter_tables

from artlib.identity.embedding import IdentityRecipe, train_identity_head
from artlib.identity.model import (
    SOMEONE_ELSE,
    ArtistClassifier,
    IdentityCard,
    answer_labels,
    fit_identity,
    identity_from_state,
    identity_state,
)
from artlib.identity.protocol import painter_disjoint
from artlib.trust.painting_check import NOT_A_PAINTING, UNLIKE_THE_COLLECTION, PaintingCheck


def _fit(known_n: int = 4, others: int = 24, head: bool = True, seed: int = 3, share: float = 0.5):
    known = [f"known-{i}" for i in range(known_n)]
    works = {k: 40 for k in known} | {f"other-{i}": 14 for i in range(others)}
    split = painter_disjoint(painter_tables(works, known, seed=seed), share, 2, seed=0)
    feats = {s: clustered_views(t.frame["painter"].to_numpy(), dim=24, seed=7) for s, t in split.tables.items()}
    frames = {s: t.frame for s, t in split.tables.items()}
    trained = None
    if head:
        held = frames["val"]["role"].to_numpy() == "held_out"
        trained, _ = train_identity_head(
            feats["train"],
            frames["train"]["painter"].to_numpy(),
            feats["val"][held],
            frames["val"]["painter"].to_numpy()[held],
            IdentityRecipe(epochs=6, dim=16, hidden=64),
        )
    card = IdentityCard("efficientnet_lite0", 64, 32, ("whole", "top_left", "bottom_right"), split.known)
    return fit_identity(trained, card, feats, split.tables), split, feats


@pytest.fixture(scope="module")
def fitted():
    return _fit()


def test_answers_name_known_artists_and_say_someone_else_for_strangers(fitted):
    model, split, feats = fitted
    test = split.tables["test"].frame
    answers = model.answer(feats["test"])
    role, labels = test["role"].to_numpy(), answer_labels(test, len(split.known))
    names = model.names
    right = np.array([a.artist == names[y] for a, y in zip(answers, labels, strict=True)])
    assert right[role == "known"].mean() > 0.8 and right[role == "held_out"].mean() > 0.7
    for a in answers:
        if a.known:
            assert a.artist in split.known and 0 < a.probability <= 1 and a.look_alikes == []
            assert not a.prediction_set or a.artist in a.prediction_set  # the set never leaves the answer out
        else:
            verdict = a.verdict()
            assert a.artist == SOMEONE_ELSE and a.probability is None and "%" not in verdict.split(";")[0]
            assert verdict.startswith(SOMEONE_ELSE) and len(a.look_alikes) == 3
            assert set(a.look_alikes) <= set(split.known)
    full = model.full_probs(feats["test"])
    assert np.allclose(full.sum(1), 1) and full.shape[1] == len(split.known) + 1
    fitted_on = model.card.fitted_on
    assert fitted_on["validation_fit"] + fitted_on["validation_sets"] <= len(split.tables["val"])


def test_same_artist_value_separates_painters(fitted):
    model, split, feats = fitted
    painters = split.tables["test"].frame["painter"].to_numpy()
    emb = model.embed(feats["test"])
    a, b = np.triu_indices(len(emb), 1)
    same = painters[a] == painters[b]
    value = model.same_artist(emb[a], emb[b])
    assert ((0 <= value) & (value <= 1)).all()
    assert value[same].mean() > value[~same].mean() + 0.2


def test_no_painter_outside_the_known_artists_means_no_someone_else_learnt(caplog):
    model, split, feats = _fit(known_n=3, others=4, head=False, share=0.99)  # every other painter held out
    assert "cannot be learnt" in caplog.text
    assert model.is_known(feats["test"]).all()


def test_two_known_classes_use_the_binary_form_correctly():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(-2, 1, (50, 4)), rng.normal(2, 1, (50, 4))]
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    clf = ArtistClassifier.fit(x, y)
    z = clf.logits(x, 2)
    from sklearn.linear_model import LogisticRegression

    reference = LogisticRegression(C=0.01, max_iter=500).fit((x - clf.mean) / clf.scale, y)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert np.allclose(p, reference.predict_proba((x - clf.mean) / clf.scale), atol=1e-6)


@pytest.mark.parametrize("head", [True, False])
def test_state_round_trip_gives_the_same_answers(head):
    model, _, feats = _fit(head=head)
    model.items = {"paths": ["a.jpg", "b.jpg"], "embeddings": model.embed(feats["test"][:2])}
    buffer = io.BytesIO()
    torch.save(identity_state(model), buffer)
    buffer.seek(0)
    again = identity_from_state(torch.load(buffer, weights_only=True))
    x = feats["test"]
    assert np.allclose(again.full_probs(x), model.full_probs(x))
    assert [a.verdict() for a in again.answer(x)] == [a.verdict() for a in model.answer(x)]
    assert np.allclose(again.embed(x), model.embed(x), atol=1e-6) and again.items["paths"] == ["a.jpg", "b.jpg"]


DAMAGE = st.sampled_from(
    [
        ("temperature", 0.0),
        ("temperature", -1.0),
        ("temperature", math.inf),
        ("temperature", math.nan),
        ("temperature", "1"),
        ("coverage", 5.0),
        ("coverage", -0.1),
        ("set_threshold", -1.0),
        ("set_threshold", math.nan),
        ("set_threshold", "0.5"),
        ("same_artist", {"slope": math.inf, "intercept": 0}),
        ("same_artist", {"slope": "x", "intercept": 0}),
        ("image_size", 0),
        ("detail", "big"),
        ("known", "Monet"),
        ("painting", {"weights": [], "bias": 0.0, "threshold": 0.0}),
        ("painting", {"weights": [1.0], "bias": 0.0, "threshold": math.nan}),
        ("painting", "yes"),
    ]
)


@settings(max_examples=30, deadline=None)
@given(damage=DAMAGE)
def test_a_damaged_card_is_refused_naming_the_field(fitted, damage):
    model = fitted[0]
    field, value = damage
    state = identity_state(model)
    state["card"] = {**state["card"], field: value}
    with pytest.raises(ValueError, match=field):
        identity_from_state(state)


def test_damaged_classifier_or_foreign_file_is_refused(fitted):
    model = fitted[0]
    state = identity_state(model)
    classifier = dict(state["classifier"])
    classifier["coef"] = classifier["coef"][:, :5]
    with pytest.raises(ValueError, match="classifier is damaged"):
        identity_from_state({**state, "classifier": classifier})
    with pytest.raises(ValueError, match="not an identity model"):
        identity_from_state({"model": {}})
    card = dict(state["card"])
    card.pop("known")
    with pytest.raises(ValueError, match="damaged"):
        identity_from_state({**state, "card": card})


def test_made_up_images_fit_a_painting_check_and_get_no_artist():
    """With made-up non-paintings' features, the model says "not a painting" for images like them (no artist, no
    probability, no set), answers paintings as before, and keeps the check through its saved state."""
    known = [f"known-{i}" for i in range(3)]
    works = {k: 30 for k in known} | {f"other-{i}": 12 for i in range(16)}
    split = painter_disjoint(painter_tables(works, known, seed=1), 0.5, 2, seed=0)
    feats = {s: clustered_views(t.frame["painter"].to_numpy(), dim=24, seed=7) for s, t in split.tables.items()}
    rng = np.random.default_rng(5)
    made_up = rng.normal(6.0, 1.0, (60, 24)).astype(np.float32)  # whole-view features far from every painter
    card = IdentityCard("efficientnet_lite0", 64, 32, ("whole", "top_left", "bottom_right"), split.known)
    model = fit_identity(None, card, feats, split.tables, made_up=made_up)
    assert model.card.painting is not None and model.card.painting["fitted_on"]["made_up"] == 60
    strangers = np.repeat(rng.normal(6.0, 1.0, (10, 1, 24)), 3, axis=1).astype(np.float32)
    for answer in model.answer(strangers):
        assert not answer.painting and answer.artist == NOT_A_PAINTING and answer.probability is None
        assert answer.prediction_set == [] and answer.verdict().startswith("not a painting")
    assert model.is_painting(feats["test"]).mean() > 0.9
    restored = identity_from_state(identity_state(model))
    assert [a.artist for a in restored.answer(strangers)] == [NOT_A_PAINTING] * 10
    without = fit_identity(
        None, IdentityCard("efficientnet_lite0", 64, 32, card.views, split.known), feats, split.tables
    )
    assert without.card.painting is None and without.is_painting(strangers).all()


def test_the_painting_check_refuses_images_far_from_every_training_painting():
    """Features on the paintings' side of the linear rule but far from every training painting (like real
    photographs) are "not a painting" through the nearness rule, also after the model is saved and read again;
    a saved bank of another width is refused."""
    known = [f"known-{i}" for i in range(3)]
    works = {k: 30 for k in known} | {f"other-{i}": 12 for i in range(16)}
    split = painter_disjoint(painter_tables(works, known, seed=1), 0.5, 2, seed=0)
    offset = 4.0  # pooled activations are non-negative: every painting points roughly the same way
    feats = {
        s: offset + clustered_views(t.frame["painter"].to_numpy(), dim=24, seed=7) for s, t in split.tables.items()
    }
    rng = np.random.default_rng(5)
    made_up = (offset + rng.normal(0, 1.0, (60, 24)) + 8.0 * (np.arange(24) < 4)).astype(np.float32)
    card = IdentityCard("efficientnet_lite0", 64, 32, ("whole", "top_left", "bottom_right"), split.known)
    model = fit_identity(None, card, feats, split.tables, made_up=made_up)
    check = PaintingCheck.from_dict(model.card.painting)
    assert check.near_k is not None and model.painting_bank.shape == (len(feats["train"]), 24)
    w = np.asarray(check.weights)
    away = rng.normal(size=24)
    away -= (away @ w) / (w @ w) * w  # a direction the linear rule does not see
    away *= 3 * np.linalg.norm(feats["train"][:, 0], axis=1).mean() / np.linalg.norm(away)
    far = (feats["test"] + away).astype(np.float32)
    assert check.is_painting(far[:, 0]).mean() > 0.9  # the linear rule alone takes them for paintings
    restored = identity_from_state(identity_state(model))
    assert model.is_painting(far).mean() < 0.1 and restored.is_painting(far).mean() < 0.1
    answers = restored.answer(far[:5])
    assert [a.artist for a in answers].count(UNLIKE_THE_COLLECTION) >= 4  # the nearness rule's own verdict
    assert all(a.probability is None and not a.prediction_set for a in answers if not a.painting)
    assert any(a.verdict().startswith("unlike the collection: far from every painting") for a in answers)
    assert model.is_painting(feats["test"]).mean() > 0.9
    state = identity_state(model)
    with pytest.raises(ValueError, match="painting_bank is damaged"):
        identity_from_state({**state, "painting_bank": state["painting_bank"][:, :10]})
