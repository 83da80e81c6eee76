import numpy as np
import pytest

from artlib.trust.open_set import OpenSetBank, OpenSetRule, auroc, fit_open_set, knn_known_share, knn_similarity


def clusters(seed: int = 0):
    """Known paintings near two centres, other paintings near a third; probabilities that cannot tell them apart."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16)) * 3

    def draw(centre, n):
        return centres[centre] + rng.normal(size=(n, 16))

    train = np.concatenate([draw(0, 40), draw(1, 40), draw(2, 40)])
    known_train = np.r_[np.ones(80, bool), np.zeros(40, bool)]
    val = np.concatenate([draw(0, 20), draw(1, 20), draw(2, 20)])
    known_val = np.r_[np.ones(40, bool), np.zeros(20, bool)]
    probs = np.full((60, 2), 0.5)
    return OpenSetBank(train, {"artist": known_train}), val, known_val, probs


def test_a_knn_score_wins_where_probabilities_cannot_tell():
    bank, val, known, probs = clusters()
    rule = fit_open_set("artist", probs, known, val, bank, known_recall=0.9)
    assert rule.score in ("knn_similarity", "knn_known_share") and rule.validation_auroc[rule.score] > 0.95
    assert rule.validation_auroc["max_probability"] == pytest.approx(0.5)
    accepted = rule.known(probs, val, bank)
    assert accepted[known].mean() >= 0.9 and accepted[~known].mean() < 0.2
    scores = rule.scores(probs, val, bank)
    assert auroc(scores[known], scores[~known]) == pytest.approx(rule.validation_auroc[rule.score], abs=1e-4)


def test_too_few_rows_of_a_kind_fit_nothing_and_missing_inputs_are_refused():
    bank, val, known, probs = clusters()
    assert fit_open_set("artist", probs[:44], known[:44], val[:44], bank) is None  # 4 others only
    rule = OpenSetRule("knn_similarity", 0.5, "artist")
    with pytest.raises(ValueError, match="open-set bank"):
        rule.known(probs, val, None)
    with pytest.raises(ValueError, match="unknown open-set score"):
        OpenSetRule("energy", 0.5, "artist")
    with pytest.raises(ValueError, match="do not match"):
        OpenSetBank(val, {"artist": known[:10]})


def test_knn_scores_on_hand_made_points():
    bank = np.eye(3, dtype=np.float32)
    assert knn_similarity(np.array([[1.0, 0, 0]]), bank, k=1)[0] == pytest.approx(1.0)
    assert knn_similarity(np.array([[1.0, 0, 0]]), bank, k=2)[0] == pytest.approx(0.0)
    share = knn_known_share(np.array([[1.0, 0.1, 0]]), bank, np.array([True, False, False]), k=2)
    assert 0.5 < share[0] <= 1.0
    with pytest.raises(ValueError, match="empty"):
        knn_similarity(np.ones((1, 3)), np.zeros((0, 3)), k=1)
