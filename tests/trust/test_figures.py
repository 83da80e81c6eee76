import matplotlib
import numpy as np
import torch
from toy_problems import untrained_classifier

from artlib.data import load_image_folder
from artlib.data.loaders import make_loader
from artlib.inference import Classifier, ModelCard
from artlib.train import Predictions
from artlib.trust import fit_classifier_trust
from artlib.trust.figures import cam_examples, plot_cam_comparison, plot_cam_grid, plot_card_reliability

matplotlib.use("Agg")


def test_cam_examples_pick_the_most_confident_right_and_wrong_answer_of_the_largest_classes():
    probs = np.array(
        [[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0], [0.3, 0.7, 0.0],  # class 0: two right, two wrong
         [0.1, 0.9, 0.0], [0.4, 0.6, 0.0], [0.7, 0.3, 0.0],  # class 1: two right, one wrong
         [0.0, 0.1, 0.9]]  # class 2: right only, never a pair
    )  # fmt: skip
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    assert cam_examples(probs, labels) == [(0, 2), (4, 6)]  # largest class first, most confident of each kind
    assert cam_examples(probs, labels, per_class=2) == [(0, 2), (1, 3), (4, 6)]  # class 1 has one wrong answer
    assert cam_examples(probs, labels, classes=1) == [(0, 2)]
    assert cam_examples(probs[7:], labels[7:]) == []  # no class with both: nothing to show


def test_reliability_and_cam_figures_of_a_saved_card(fixture_paths):
    table = load_image_folder(fixture_paths.imagefolder)
    model = untrained_classifier(table)
    card = ModelCard.for_model(model, "simple_cnn", table.classes, 32)
    classifier = Classifier(model, card, device="cpu")
    task = table.tasks[0]
    loader = make_loader(table, train=False, image_size=32, batch_size=16, **card.loader_options())
    from artlib.train import Trainer

    preds: Predictions = Trainer(model).predict(loader, embed=True)
    fit_classifier_trust(card, preds)
    figure = plot_card_reliability(card, preds)
    assert [ax.get_title() for ax in figure.axes] == list(card.classes)
    assert all("ECE" in text.get_text() for ax in figure.axes for text in ax.get_legend().get_texts())
    labels = preds.labels[task]
    k = len(card.classes[task])
    said = np.where(np.arange(len(labels)) % 2 == 0, labels, (labels + 1) % k)  # every other painting wrong
    probs = np.full((len(labels), k), 0.2 / (k - 1))
    probs[np.arange(len(labels)), said] = 0.8
    grid = plot_cam_grid(classifier, table, task, probs, labels, classes=2)
    pairs = cam_examples(card.task_trust(task).calibrate(probs), labels, classes=2)
    assert len(pairs) == 2 and len(grid.axes) == 5 * 2 and grid.axes[1].images  # each painting beside its heat map
    right, wrong = pairs[0]
    assert grid.axes[0].get_title().startswith("right: is ") and said[right] == labels[right] != said[wrong]
    names = card.classes[task]  # beside a wrong answer: the map of the class it said, then of its true class
    assert grid.axes[3].get_title().startswith(f"said {names[said[wrong]]}"[:42])
    assert grid.axes[4].get_title() == f"where it saw {names[labels[wrong]]}"[:42] and grid.axes[4].images
    views = torch.randn(2, 3, 32, 32)
    comparison = plot_cam_comparison({"a": model, "b": model}, card.normalization, views, task, ["x", "y"])
    assert len(comparison.axes) == 2 * 3 and comparison.axes[0].get_title() == "x"
