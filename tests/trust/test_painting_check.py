import math
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from artlib.data.images import MIN_ANSWER_SIDE
from artlib.trust.non_paintings import KINDS, non_paintings
from artlib.trust.open_set import normalized
from artlib.trust.painting_check import (
    NEAR_SHARE,
    NOT_A_PAINTING,
    UNLIKE_THE_COLLECTION,
    MadeUp,
    PaintingCheck,
    embed_made_up,
    fit_painting_check,
    made_up_features,
    near_bank,
    painting_check_report,
    why_refused,
)


def test_made_up_images_are_seeded_rgb_and_of_every_kind():
    a, b, c = non_paintings(3, seed=1), non_paintings(3, seed=1), non_paintings(3, seed=2)
    assert list(a) == list(KINDS)
    for kind, images in a.items():
        assert len(images) == 3
        for image, same in zip(images, b[kind], strict=True):
            assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
            assert np.array_equal(image, same)
        assert not all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(images, c[kind], strict=True))
    assert all(max(x.shape[:2]) < MIN_ANSWER_SIDE for x in a["tiny"])
    assert all(min(x.shape[:2]) >= MIN_ANSWER_SIDE for k in a if k != "tiny" for x in a[k])
    text = a["rendered text"][0]
    assert (text > 200).mean() > 0.7 and (text < 80).mean() > 0.005  # a light page with dark type on it
    with pytest.raises(ValueError, match="unknown kinds"):
        non_paintings(1, kinds=("photograph",))


def _features(rng, n, centre, dim=16):
    return rng.normal(centre, 1.0, (n, dim))


def test_a_check_refuses_what_lies_with_the_made_up_images_and_keeps_its_recall():
    rng = np.random.default_rng(0)
    paintings, validation, test = (_features(rng, n, 0.0) for n in (300, 200, 400))
    made_up = _features(rng, 120, 3.0)
    check = fit_painting_check(paintings, validation, made_up, recall=0.95)
    assert math.isclose(check.is_painting(validation).mean(), 0.95, abs_tol=0.01)  # the threshold is validation's
    assert 0.9 <= check.is_painting(test).mean() <= 1.0
    assert check.is_painting(_features(rng, 100, 3.0)).mean() < 0.05
    assert check.fitted_on == {"paintings": 300, "made_up": 120, "validation": 200}
    again = PaintingCheck.from_dict(check.to_dict())
    assert np.array_equal(again.is_painting(test), check.is_painting(test))
    with pytest.raises(ValueError, match="width 16.*another model"):
        check.scores(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="needs paintings"):
        fit_painting_check(paintings, validation[:0], made_up)


def _positive_features(rng, n, dim, active, centres=4, scale=1.0):
    """Non-negative features (a network's pooled activations are) whose energy lies in the ``active`` dimensions,
    drawn around one of ``centres`` cluster centres, with faint noise elsewhere."""
    out = np.abs(rng.normal(0, 0.1, (n, dim)))
    centre_rng = np.random.default_rng(99)  # the same clusters for every call
    points = centre_rng.gamma(2.0, 1.0, (centres, len(active)))
    out[:, active] += scale * (points[rng.integers(0, centres, n)] + np.abs(rng.normal(0, 0.3, (n, len(active)))))
    return out


def _acceptance_error(recall, validation, test):
    """The standard error of the share of ``test`` fresh paintings a two-rule check accepts, its thresholds set at
    the lower quantiles of ``validation`` paintings (:data:`NEAR_SHARE` of ``1 - recall`` for the nearness rule)."""
    variance = recall * (1 - recall) / test
    for share in ((1 - recall) * (1 - NEAR_SHARE), (1 - recall) * NEAR_SHARE):
        k = max(1.0, share * validation)  # the order statistic: its refused share is Beta(k, n + 1 - k)
        variance += k * (validation + 1 - k) / ((validation + 1) ** 2 * (validation + 2))
    return float(np.sqrt(variance))


def _collection(seed, dim):
    """A seeded draw: 400 training, 300 validation and 300 test paintings, 150 made-up images (their energy in the
    other half of the dimensions), and the generator for further draws."""
    rng = np.random.default_rng(seed)
    half = dim // 2
    paintings, validation, test = (_positive_features(rng, n, dim, np.arange(half)) for n in (400, 300, 300))
    return rng, paintings, validation, test, _positive_features(rng, 150, dim, np.arange(half, dim))


def _check_on_fresh_paintings(seed, dim=24, recall=0.95):
    _, paintings, validation, test, made_up = _collection(seed, dim)
    check = fit_painting_check(paintings, validation, made_up, recall=recall, near_k=5)
    return check.is_painting(test, near_bank(paintings)).mean()


def test_the_check_accepts_its_recall_of_fresh_paintings_on_average():
    """Over 20 seeds, fresh paintings are accepted at the recall set on validation: no bias, only sampling (the
    mean's standard error is about 0.0045 here; 80 seeds gave 0.9475 for 0.95)."""
    accepted = [_check_on_fresh_paintings(seed) for seed in range(0, 1000, 50)]
    assert abs(np.mean(accepted) - 0.95) <= 0.015


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), dim=st.sampled_from([24, 32, 48]), recall=st.sampled_from([0.95, 0.99]))
@example(seed=137, dim=24, recall=0.95)  # found in CI: 0.893 of fresh paintings accepted
@example(seed=187, dim=24, recall=0.95)  # found exploring: 0.873 (the linear rule's threshold drawn high)
def test_the_nearness_rule_refuses_images_far_from_every_painting_that_the_linear_rule_accepts(seed, dim, recall):
    """Like photographs: images on the paintings' side of the linear rule (paintings moved far along a direction
    the rule does not weigh) pass it as paintings; the nearness rule refuses them, and both rules together still
    accept ``recall`` of the validation paintings."""
    rng, paintings, validation, test, made_up = _collection(seed, dim)
    half = dim // 2
    linear = fit_painting_check(paintings, validation, made_up, recall=recall)
    both = fit_painting_check(paintings, validation, made_up, recall=recall, near_k=5)
    w = np.asarray(linear.weights)
    away = rng.normal(size=dim)
    away -= (away @ w) / (w @ w) * w  # a direction the linear rule does not see
    away *= 3 * np.linalg.norm(paintings, axis=1).mean() / np.linalg.norm(away)
    photographs = _positive_features(rng, 100, dim, np.arange(half)) + away
    bank = near_bank(paintings)
    assert linear.is_painting(photographs).mean() >= 0.8  # the linear rule alone takes them for paintings
    assert both.is_painting(photographs, bank).mean() <= 0.1
    assert both.is_painting(validation, bank).mean() >= recall - 1e-9  # the two rules share 1 - recall
    # fresh paintings: the same recall within sampling error, which is the test's 300 paintings' and each threshold's
    # (an order statistic of the validation paintings: the share it refuses is Beta-distributed); 5 standard errors,
    # as 80 seeds' shares spread 1.1x wider than this model and two drawn seeds lay 2.8 and 3.9 of them below
    # (that no seed lies below on average is test_the_check_accepts_its_recall_of_fresh_paintings_on_average); at
    # least 0.05, as at recall 0.99 the shares spread 1.25x wider than the model
    error = max(5 * _acceptance_error(recall, len(validation), len(test)), 0.05)
    assert both.is_painting(test, bank).mean() >= recall - error
    assert both.is_painting(made_up, bank).mean() <= 0.1
    verdicts = both.verdicts(np.concatenate([photographs, made_up]), bank)
    assert (verdicts[: len(photographs)] == UNLIKE_THE_COLLECTION).mean() >= 0.7  # refused by nearness alone
    assert (verdicts[len(photographs) :] == NOT_A_PAINTING).mean() >= 0.9  # by the linear rule
    restored = PaintingCheck.from_dict(both.to_dict())
    assert restored.near_k == 5 and np.array_equal(restored.is_painting(test, bank), both.is_painting(test, bank))
    assert bank.dtype == np.float16 and np.allclose(np.linalg.norm(bank.astype(np.float32), axis=1), 1, atol=1e-3)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(20, 120), cap=st.integers(10, 150))
def test_a_large_training_set_keeps_one_fixed_draw_that_fits_the_rule_and_is_saved(seed, rows, cap):
    """Past :data:`NEAR_BANK_ROWS` training paintings the bank is a fixed draw of that many: the same for the
    fit and for the file, so that the validation paintings are still accepted at the recall."""
    from unittest import mock

    from artlib.trust import painting_check

    with mock.patch.object(painting_check, "NEAR_BANK_ROWS", cap):
        _fixed_draw(seed, rows, cap)


def _fixed_draw(seed: int, rows: int, cap: int) -> None:
    rng = np.random.default_rng(seed)
    paintings, validation = (_positive_features(rng, n, 16, np.arange(8)) for n in (rows, 80))
    bank = near_bank(paintings)
    assert len(bank) == min(rows, cap) and np.array_equal(bank, near_bank(paintings))
    every = {tuple(r) for r in normalized(paintings).astype(np.float16).tolist()}
    assert {tuple(r) for r in bank.tolist()} <= every  # training paintings, each at most once
    assert len({tuple(r) for r in bank.tolist()}) == len(bank)
    made_up = _positive_features(rng, 40, 16, np.arange(8, 16))
    check = fit_painting_check(paintings, validation, made_up, recall=0.95, near_k=5)
    assert check.is_painting(validation, bank).mean() >= 0.95 - 1e-9


def test_a_nearness_rule_without_its_paintings_warns_and_one_of_another_model_is_refused(caplog):
    rng = np.random.default_rng(1)
    paintings, validation = (_positive_features(rng, n, 12, np.arange(4)) for n in (60, 40))
    check = fit_painting_check(paintings, validation, _positive_features(rng, 40, 12, np.arange(4, 8)), near_k=3)
    with caplog.at_level("WARNING"):
        alone = check.is_painting(validation)
    assert np.array_equal(alone, check.scores(validation) >= check.threshold)
    assert "only its linear rule" in caplog.text
    with pytest.raises(ValueError, match="another model"):
        check.is_painting(validation, near_bank(paintings)[:, :8])


@pytest.mark.parametrize(
    ("near", "field"),
    [
        ({"near_k": 5}, "near_threshold=None"),
        ({"near_threshold": 0.5}, "near_k=None"),
        ({"near_k": 0, "near_threshold": 0.5}, "near_k=0"),
        ({"near_k": 2.5, "near_threshold": 0.5}, "near_k=2.5"),
        ({"near_k": True, "near_threshold": 0.5}, "near_k=True"),
        ({"near_k": 5, "near_threshold": 1.5}, "near_threshold=1.5"),
        ({"near_k": 5, "near_threshold": math.nan}, "near_threshold=nan"),
        ({"near_k": 5, "near_threshold": "0.5"}, "near_threshold='0.5'"),
    ],
)
def test_a_damaged_nearness_rule_is_refused_naming_the_field(near, field):
    record = PaintingCheck([0.5, -0.5], 0.1, 0.0).to_dict() | near
    with pytest.raises(ValueError, match=f"damaged painting check.*{re.escape(field)}"):
        PaintingCheck.from_dict(record)


DAMAGE = st.sampled_from(
    [
        ("threshold", math.nan),
        ("threshold", "0.5"),
        ("bias", math.inf),
        ("weights", []),
        ("weights", [1.0, math.nan]),
        ("weights", "1,2"),
        ("recall", 1.5),
        ("recall", 0),
    ]
)


@settings(max_examples=20, deadline=None)
@given(damage=DAMAGE)
def test_a_damaged_check_is_refused_naming_the_field(damage):
    field, value = damage
    record = PaintingCheck([0.5, -0.5], 0.1, 0.0).to_dict() | {field: value}
    with pytest.raises(ValueError, match=f"damaged painting check.*{field}"):
        PaintingCheck.from_dict(record)
    with pytest.raises(ValueError, match="damaged painting check"):
        PaintingCheck.from_dict({"weights": [1.0]})  # a record that lost its fields


def test_made_up_images_are_embedded_and_tiny_ones_counted_as_refused():
    made_up = embed_made_up(lambda image: image.reshape(-1, 3).mean(0), per_kind=4, seed=3)
    assert made_up["tiny"].too_small == 4 and made_up["tiny"].images == 4
    assert made_up["noise"].features.shape == (4, 3)
    assert made_up_features(made_up).shape == (16, 3)
    check = PaintingCheck([0.0, 0.0, 0.0], 0.0, 1.0)  # refuses everything
    report = painting_check_report(check, np.zeros((5, 3)), made_up)
    assert report.loc["test paintings", "refused"] == 1.0 and report.loc["tiny", "images"] == 4
    accepting = PaintingCheck([0.0, 0.0, 0.0], 0.0, -1.0)
    report = painting_check_report(accepting, np.zeros((5, 3)), made_up)
    assert report.loc["tiny", "refused"] == 1.0 and report.loc["noise", "refused"] == 0.0
    assert report.loc["test paintings", "refused"] == 0.0
    assert isinstance(made_up["noise"], MadeUp)


@settings(max_examples=40, deadline=None)
@given(
    paintings=st.integers(2, 40),
    validation=st.integers(1, 25),
    made_up=st.integers(2, 30),
    dim=st.integers(1, 12),
    near_k=st.integers(1, 60),
    recall=st.sampled_from([0.5, 0.9, 0.99, 1.0]),
    seed=st.integers(0, 1000),
)
# found in CI: a float16 bank's rows met themselves at a cosine of 1.0001, a threshold the card then refused
@example(paintings=3, validation=1, made_up=2, dim=2, near_k=1, recall=0.5, seed=316)
def test_any_collection_size_fits_a_check_that_keeps_its_recall_on_validation(
    paintings, validation, made_up, dim, near_k, recall, seed
):
    """Tiny collections, one validation painting, more neighbours asked for than there are paintings, a recall of
    1: the check fits, its thresholds are finite, it survives its own record, and it accepts at least ``recall`` of
    the validation paintings it was set on."""
    rng = np.random.default_rng(seed)
    p, v = (np.abs(rng.normal(1, 1, (n, dim))) for n in (paintings, validation))
    m = np.abs(rng.normal(0, 3, (made_up, dim)))
    check = fit_painting_check(p, v, m, recall=recall, near_k=near_k)
    assert math.isfinite(check.threshold) and -1 <= check.near_threshold <= 1
    again = PaintingCheck.from_dict(check.to_dict())
    bank = near_bank(p)
    assert bank.shape == (paintings, dim)
    assert again.is_painting(v, bank).mean() >= recall - 1e-9


def test_each_refusal_has_one_wording_and_nothing_else_is_one():
    assert why_refused(NOT_A_PAINTING) == "unlike every painting this model was trained on"
    assert why_refused(UNLIKE_THE_COLLECTION, "it was trained").startswith("far from every painting it was trained on")
    with pytest.raises(ValueError, match="no refusal"):
        why_refused("someone else")


def test_refusals_are_counted_per_class_most_refused_first_and_unlabelled_paintings_left_out():
    """One threshold for all classes: a class whose paintings lie at the edge of the collection pays for it, and
    the table says so with intervals; unlabelled paintings are not a class."""
    from artlib.trust.painting_check import refused_by_class

    rng = np.random.default_rng(3)
    paintings, validation = (_positive_features(rng, n, 12, np.arange(6)) for n in (300, 200))
    check = fit_painting_check(paintings, validation, _positive_features(rng, 60, 12, np.arange(6, 12)), recall=0.9)
    usual = _positive_features(rng, 90, 12, np.arange(6))
    edge = _positive_features(rng, 30, 12, np.arange(6), scale=0.15)  # faint: toward the made-up side
    names = np.array(["usual"] * 60 + [None] * 30 + ["edge"] * 30, dtype=object)
    table = refused_by_class(check, np.concatenate([usual, edge]), names)
    assert list(table.index) == ["edge", "usual"] and list(table["images"]) == [30, 60]
    assert table.loc["edge", "refused"] > table.loc["usual", "refused"]
    assert (table["low"] <= table["refused"]).all() and (table["refused"] <= table["high"]).all()
    expected = (~check.is_painting(edge)).mean()
    assert table.loc["edge", "refused"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="3 class names for 120 paintings"):
        refused_by_class(check, np.concatenate([usual, edge]), names[:3])
    assert refused_by_class(check, usual[:0], names[:0]).empty


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 30), dim=st.integers(1, 64), k=st.integers(1, 40), seed=st.integers(0, 10_000))
def test_nearness_scores_are_cosines_whatever_the_rounding(rows, dim, k, seed):
    """Every painting met again in its own float16 bank scores a cosine in [-1, 1] (rounding gave 1.0001)."""
    from artlib.trust.open_set import nearest_rows

    paintings = np.random.default_rng(seed).normal(0, 1, (rows, dim)).astype(np.float32)
    sims, _ = nearest_rows(paintings, near_bank(paintings), k)
    assert sims.shape == (rows, min(k, rows)) and (np.abs(sims) <= 1).all()
    assert np.allclose(sims[:, 0], 1, atol=2e-3)  # each painting's nearest is itself
