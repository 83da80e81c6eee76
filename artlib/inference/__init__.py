"""Classifying new paintings with a saved model.

* :mod:`.card`: :class:`ModelCard`, what a saved classifier needs to be rebuilt and fed as it was evaluated;
* :mod:`.classifier`: :class:`Classifier`: calibrated probabilities, conformal sets and open-set verdicts;
* :mod:`.files`: image files and folders to classify;
* :mod:`.cli`: ``artlib-predict`` from the shell.
"""

from .card import ModelCard
from .classifier import Answer, Classifier
from .files import PREDICTION_COLUMNS, find_images

__all__ = [
    "Answer",
    "Classifier",
    "ModelCard",
    "PREDICTION_COLUMNS",
    "find_images",
]
