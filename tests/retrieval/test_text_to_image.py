import numpy as np
import pytest

from artlib.retrieval import fit_text_to_image, held_out_title_retrieval, text_to_image_scores


def _aligned(n=200, topics=4, seed=0):
    """Titles and images that share a topic (images carry it in 4 of 16 dims), and the topic as a label."""
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, topics, n)
    titles = np.eye(topics)[topic] + 0.05 * rng.normal(size=(n, topics))
    images = rng.normal(size=(n, 16))
    images[:, :topics] += 3 * np.eye(topics)[topic]
    return titles, images, topic


def test_text_queries_find_paintings_of_their_topic_better_than_chance():
    titles, images, topic = _aligned()
    to_image = fit_text_to_image(titles[:100], images[:100])
    scores = text_to_image_scores(to_image(titles[100:]), images[100:], topic[100:], k=10)
    assert scores["label precision@10"] > 2 * scores["label precision@10_chance"]
    for name in ("recall@10", "label precision@10"):
        assert scores[f"{name}_low"] <= scores[name] <= scores[f"{name}_high"]
    assert scores["recall@10_chance"] == pytest.approx(10 / 100)
    with pytest.raises(ValueError, match="100 title embeddings but 99"):
        fit_text_to_image(titles[:100], images[:99])


def test_held_out_title_retrieval_fits_on_one_half_and_scores_the_other():
    titles, images, topic = _aligned(seed=1)
    rows = held_out_title_retrieval(images, titles, [f"p{i}" for i in range(len(topic))], topic, "topic", k=5)
    precision = rows["title -> image, label precision@5 (topic)"]
    assert precision["low"] <= precision["score"] <= precision["high"] and precision["score"] > 2 * precision["chance"]
    assert rows["title -> image, recall@5"]["chance"] == pytest.approx(5 / 100)  # searched among the held-out half
    for space in ("raw image embedding", "title-refined projection"):  # mean title cosine of image neighbours
        assert -1 <= rows[f"title proxy@5, {space}"]["score"] <= 1  # (that refining helps: test_titles.py)
