import numpy as np
import pytest

from artlib.evaluation.metrics import classification_metrics, confusion, metrics_table, per_class_report


def test_known_values():
    y = np.array([0, 0, 1, 1, 2, 2, -1])
    probs = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.2, 0.7, 0.1],
            [0.1, 0.8, 0.1],
            [0.1, 0.8, 0.1],
            [0.1, 0.2, 0.7],
            [0.6, 0.3, 0.1],
            [1, 0, 0],
        ]
    )
    m = classification_metrics(y, probs, top_k=(2,))
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["macro_recall"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert m["top2"] == pytest.approx(5 / 6)  # last labelled row ranks class 2 third
    assert 0.5 < m["roc_auc_ovr"] <= 1.0
    cm = confusion(y, probs)
    assert cm.sum() == 6 and cm[0, 0] == 1 and cm[0, 1] == 1 and cm[2, 0] == 1


def test_perfect_and_missing():
    y = np.array([0, 1, 2])
    m = classification_metrics(y, np.eye(3))
    assert m["accuracy"] == 1 and m["macro_f1"] == 1 and m["roc_auc_ovr"] == 1
    assert classification_metrics(np.array([-1, -1]), np.eye(2)) == {"n": 0}


def test_report_and_table():
    y = np.array([0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]])
    report = per_class_report(y, probs, ["a", "b"])
    assert report.loc["b", "recall"] == pytest.approx(0.5)
    table = metrics_table({"t": y}, {"t": probs})
    assert table.loc["t", "accuracy"] == pytest.approx(2 / 3)


def test_shape_mismatch():
    with pytest.raises(ValueError):
        classification_metrics(np.array([0, 1]), np.ones((3, 2)))


def test_label_metrics_score_predicted_labels_and_ignore_unlabelled_rows():
    from artlib.evaluation.metrics import label_metrics

    y = np.repeat([0, 1, 2], 4)
    assert label_metrics(y, y)["macro_f1"] == 1
    constant = label_metrics(np.r_[y, -1], np.r_[np.zeros_like(y), 2])
    assert constant["n"] == 12 and constant["accuracy"] == pytest.approx(1 / 3)
    assert label_metrics([-1, -1], [0, 1]) == {"n": 0}


def test_every_scoring_function_takes_top_k_the_same_way():
    from artlib.evaluation.metrics import top_ks
    from artlib.evaluation.results import task_scores

    assert top_ks(3) == (3,) and top_ks((3, 5)) == (3, 5) and top_ks(None) == () and top_ks(()) == ()
    with pytest.raises(ValueError, match="top_k"):
        top_ks(1)
    y = np.array([0, 1, 2, 3, 0, 1])
    probs = np.eye(4)[[1, 1, 2, 3, 0, 0]] * 0.7 + 0.075
    for top_k in (3, (3,), [3]):
        assert "top3" in classification_metrics(y, probs, top_k)
        assert "top3" in task_scores({"t": y}, {"t": probs}, top_k)
    assert not any(c.startswith("top") for c in task_scores({"t": y}, {"t": probs}, None).columns)
    assert {"top2", "top3"} <= set(metrics_table({"t": y}, {"t": probs}, (2, 3)).columns)
