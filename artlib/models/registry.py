"""String factory for models: ``create_model('simple_cnn', num_classes={'style': 27})``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.nn as nn

from .heads import MultiTaskClassifier

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str) -> Callable:
    """Decorator adding a builder ``fn(num_classes: dict[str, int], **kwargs)`` under ``name``."""

    def wrap(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise KeyError(f"model {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn

    return wrap


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def create_classifier(name: str, num_classes: dict[str, int] | int | None = None, **kwargs: Any) -> MultiTaskClassifier:
    """:func:`create_model` for the code that needs a backbone + heads (``forward_features``, ``feature_dim``)."""
    model = create_model(name, num_classes, **kwargs)
    if not isinstance(model, MultiTaskClassifier):
        raise TypeError(
            f"model {name!r} is a {type(model).__name__}, not a classifier with a backbone and heads; "
            "choose a classifier (list_models())"
        )
    return model


def require_registered(name: str, what: str) -> str:
    """``name`` when a model is registered under it; else ``ValueError`` saying ``what`` names an unregistered model,
    listing the registered ones (a setting is checked when it is made, not when a notebook first builds it)."""
    if name not in _REGISTRY:
        raise ValueError(
            f"{what} {name!r} is no registered model (a network of your own: register it with "
            f"artlib.models.register_model first); registered: {', '.join(list_models())}"
        )
    return name


def create_backbone(name: str, **kwargs: Any) -> MultiTaskClassifier:
    """Model ``name`` as a feature extractor (timm's ``num_classes=0``): no head, ``forward`` gives the pooled
    features of width ``.feature_dim`` (also ``.forward_features``, ``.embed``, ``.backbone``)."""
    return create_classifier(name, None, **kwargs)


def create_model(name: str, num_classes: dict[str, int] | int | None = None, **kwargs: Any) -> nn.Module:
    """Build model ``name`` with one head per task (an int means one task called ``'label'``; None: no head, the
    model returns its features)."""
    if isinstance(num_classes, int):
        num_classes = {"label": num_classes}
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(list_models())}")
    return _REGISTRY[name](num_classes=dict(num_classes or {}), **kwargs)
