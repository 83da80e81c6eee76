"""Architectures by name: ``create_model(name, num_classes={'task': n, ...})``.

Every model returns ``{task: logits}`` and offers ``embed(x)`` for features.
"""

from . import cnn_gru, efficientnet, embedding, rla_resnet, siamese, simple_cnn, torchvision_backbones  # noqa: F401  (registers)
from .heads import MultiTaskClassifier, MultiTaskHead, embed_with
from .normalization import input_normalization
from .registry import create_backbone, create_classifier, create_model, list_models, register_model

__all__ = [
    "MultiTaskClassifier",
    "MultiTaskHead",
    "create_backbone",
    "create_classifier",
    "create_model",
    "embed_with",
    "input_normalization",
    "list_models",
    "register_model",
]
