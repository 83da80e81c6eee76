import json

import numpy as np

from artlib.config import settings
from artlib.evaluation.results import save_result, summary_markdown, task_scores


def test_task_scores_give_intervals_and_results_are_summarised(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    monkeypatch.delenv("ARTLIB_DATA", raising=False)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    probs = np.eye(4)[np.where(rng.random(200) < 0.7, y, (y + 1) % 4)]
    scores = task_scores({"style": y, "genre": np.full(200, -1)}, {"style": probs, "genre": probs}, top_k=2)
    assert list(scores.index) == ["style"]  # a task without labels has no score
    row = scores.loc["style"]
    assert row["accuracy_low"] < row["accuracy"] < row["accuracy_high"] and row["top2"] >= row["accuracy"]
    cfg = settings()
    path = save_result(cfg, "demo", "Demo result", scores, epochs=3)
    record = json.loads(path.read_text())
    assert record["data"] == "generated fixture" and record["epochs"] == 3
    assert {"date", "code", "torch", "device", "torch_threads"} <= set(record["measured_on"])
    text = summary_markdown(tmp_path)
    assert "; epochs: 3\n" in text and f"measured {record['measured_on']['date']} with artlib " in text
    assert "{" not in text  # what it was measured on reads as a sentence, not a dict
    assert "### Demo result" in text and f"{row['accuracy']:.3f} ({row['accuracy_low']:.3f}-" in text
