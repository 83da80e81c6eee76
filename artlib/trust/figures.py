"""Pictures of trust: reliability diagrams before and after calibration, Grad-CAM grids of right and wrong answers,
and one painting's heat maps under several models side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..utils.fonts import use_fallback_fonts
from .calibration import expected_calibration_error, reliability_bins
from .cam import class_activation_maps, mirrored_maps, overlay, view_pixels

use_fallback_fonts()  # class names in any script

if TYPE_CHECKING:
    from ..data.table import ArtTable
    from ..data.transforms import Normalization
    from ..evaluation.predict import Predictions
    from ..inference.card import ModelCard
    from ..inference.classifier import Classifier


def plot_reliability(curves: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]]) -> plt.Figure:
    """One panel per task: accuracy against confidence in 15 bins for each named set of probabilities
    (``{task: {"raw": (probs, labels), "calibrated": (probs, labels)}}``), with the ECE in the legend."""
    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.8), squeeze=False)
    for ax, (task, named) in zip(axes[0], curves.items(), strict=True):
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
        for name, (probs, labels) in named.items():
            bins = reliability_bins(probs, labels)
            shown = bins["count"] > 0
            ece = expected_calibration_error(probs, labels)
            ax.plot(bins["confidence"][shown], bins["accuracy"][shown], marker="o", label=f"{name} (ECE {ece:.3f})")
        ax.set(title=task, xlabel="confidence", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1))
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_card_reliability(card: ModelCard, preds: Predictions) -> plt.Figure:
    """:func:`plot_reliability` of every task of a card: raw and calibrated (its temperatures) on ``preds``."""
    curves = {}
    for task in card.classes:
        labels = preds.labels[task]
        probs, y = preds.probs[task][labels >= 0], labels[labels >= 0]
        curves[task] = {"raw": (probs, y), "calibrated": (card.task_trust(task).calibrate(probs), y)}
    return plot_reliability(curves)


def _views(classifier: Classifier, table: ArtTable, rows: Sequence[int]) -> torch.Tensor:
    """The card's single evaluation view (its first fitted view: crop or letterbox) of each row, as one batch."""
    from ..data.images import load_rgb

    transform = classifier.transform((classifier.card.fitted_view,))
    paths = table.image_paths()
    return torch.stack([transform(image=load_rgb(paths[i]))["image"] for i in rows])


def cam_examples(probs: np.ndarray, labels: np.ndarray, per_class: int = 1, classes: int = 6) -> list[tuple[int, int]]:
    """``(right_row, wrong_row)`` pairs of test rows: for each of the ``classes`` largest true classes that have both a
    right and a wrong answer (the others are left out), its ``per_class`` most confident right and wrong answers."""
    predicted, confidence = probs.argmax(1), probs.max(1)
    chosen = []
    for c in np.argsort(-np.bincount(labels[labels >= 0], minlength=probs.shape[1])):
        rows = np.flatnonzero(labels == c)
        right, wrong = rows[predicted[rows] == c], rows[predicted[rows] != c]
        if not len(right) or not len(wrong):
            continue
        for i in range(min(per_class, len(right), len(wrong))):
            chosen.append(
                (int(right[np.argsort(-confidence[right])][i]), int(wrong[np.argsort(-confidence[wrong])][i]))
            )
        if len(chosen) >= classes * per_class:
            break
    return chosen


def plot_cam_grid(
    classifier: Classifier, table: ArtTable, task: str, probs: np.ndarray, labels: np.ndarray, classes: int = 6
) -> plt.Figure | None:
    """Grad-CAM for a right and a wrong test answer per true class of ``task`` (rows): each painting, the map of
    the class it was given (averaged with its mirror image's, as the answers are) and, for the wrong one, the map
    of its true class beside it; titled with the calibrated probability (``probs``: raw, as predicted). None when
    no class has both."""
    probs = classifier.card.task_trust(task).calibrate(probs)  # the percentages shown are calibrated ones
    pairs = cam_examples(probs, labels, classes=classes)
    if not pairs:
        return None
    names = classifier.card.classes[task]
    rows = [r for pair in pairs for r in pair]
    views = _views(classifier, table, rows)
    given = probs[rows].argmax(1)
    heat = mirrored_maps(classifier.model, views, task, given.tolist())
    wrong = [2 * i + 1 for i in range(len(pairs))]
    true_heat = mirrored_maps(classifier.model, views[wrong], task, [int(labels[rows[k]]) for k in wrong])
    fig, axes = plt.subplots(len(pairs), 5, figsize=(12.5, 2.6 * len(pairs)), squeeze=False)
    for i, (ax_row, (right, wrong_row)) in enumerate(zip(axes, pairs, strict=True)):
        pictures = [view_pixels(views[2 * i + j], classifier.card.normalization) for j in (0, 1)]
        panels = [
            (pictures[0], f"right: is {names[labels[right]]}"),
            (overlay(pictures[0], heat[2 * i]), f"said {names[given[2 * i]]} {probs[right].max():.0%}"),
            (pictures[1], f"wrong: is {names[labels[wrong_row]]}"),
            (overlay(pictures[1], heat[2 * i + 1]), f"said {names[given[2 * i + 1]]} {probs[wrong_row].max():.0%}"),
            (overlay(pictures[1], true_heat[i]), f"where it saw {names[labels[wrong_row]]}"),
        ]
        for ax, (picture, title) in zip(ax_row, panels, strict=True):
            ax.imshow(picture)
            ax.set_title(title[:42], fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle(f"{task}: where the model looked (Grad-CAM of the class given; of the true class beside a wrong one)")
    fig.tight_layout()
    return fig


def plot_cam_comparison(
    models: Mapping[str, torch.nn.Module],
    normalization: Normalization,
    views: torch.Tensor,
    task: str,
    captions: Sequence[str] | None = None,
) -> plt.Figure:
    """The same paintings (rows: a normalised ``(n, 3, H, W)`` batch) under each model (columns: Grad-CAM of its
    top class of ``task``), the painting first."""
    fig, axes = plt.subplots(
        len(views), len(models) + 1, figsize=(2.3 * (len(models) + 1), 2.3 * len(views)), squeeze=False
    )
    for i, view in enumerate(views):
        axes[i, 0].imshow(view_pixels(view, normalization))
        axes[i, 0].set_title((captions[i] if captions else "painting")[:30], fontsize=8)
    for j, (name, model) in enumerate(models.items(), start=1):
        heat, _ = class_activation_maps(model, views, task)
        for i, view in enumerate(views):
            axes[i, j].imshow(overlay(view_pixels(view, normalization), heat[i]))
            axes[i, j].set_title(name, fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    return fig
