"""Classifying new paintings with a saved model.

* :mod:`.card`: :class:`ModelCard`, what a saved classifier needs to be rebuilt and fed as it was evaluated;
* :mod:`.classifier`: :class:`Classifier`: calibrated probabilities, conformal sets and open-set verdicts;
* :mod:`.files`: image files and folders to classify;
* :func:`predict`: the one prediction step (views, mirror images, features) that the Trainer and the
  :class:`Classifier` share (:mod:`artlib.evaluation.predict`, on a floor below both);
* ``artlib-predict`` from the shell: :mod:`artlib.cli.predict`.
"""

from ..evaluation.predict import Predictions, predict, predict_batch
from .card import ModelCard
from .classifier import Answer, Classifier
from .files import PREDICTION_COLUMNS, find_images

__all__ = [
    "Answer",
    "Classifier",
    "ModelCard",
    "PREDICTION_COLUMNS",
    "Predictions",
    "find_images",
    "predict",
    "predict_batch",
]
