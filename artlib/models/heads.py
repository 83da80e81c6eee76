"""Multitask heads and the backbone + heads wrapper every artlib classifier uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn as nn

from ..utils.runtime import forward_in_parts


class MultiTaskHead(nn.Module):
    """One ``Dropout -> Linear`` classifier per task on a shared feature vector."""

    def __init__(self, in_features: int, num_classes: dict[str, int], dropout: float = 0.2) -> None:
        super().__init__()
        if not num_classes:
            raise ValueError("num_classes must name at least one task")
        self.tasks = list(num_classes)
        # Module names are prefixed: a task may be called e.g. "type", which nn.Module already uses.
        self.heads = nn.ModuleDict(
            {
                self.key(task): nn.Sequential(nn.Dropout(dropout), nn.Linear(in_features, n))
                for task, n in num_classes.items()
            }
        )

    @staticmethod
    def key(task: str) -> str:
        return "task_" + task.replace(".", "_")

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        return {task: self.heads[self.key(task)](features) for task in self.tasks}


def embed_with(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """``model.embed(images)``: the feature vectors of any artlib model (classifier, embedding or Siamese net)."""
    embed = getattr(model, "embed", None)
    if not callable(embed):
        raise TypeError(f"{type(model).__name__} has no embed() method: give an artlib model (create_model)")
    return forward_in_parts(embed, model, images)


class MultiTaskClassifier(nn.Module):
    """``backbone`` (image -> feature vector of ``feature_dim``) followed by per-task heads (timm's contract).

    ``forward`` returns ``{task: logits}``, i.e. ``forward_head(forward_features(x))``; ``embed`` is
    ``forward_features``. With ``num_classes`` None (or empty) the head is the identity and ``forward`` returns the
    features: a feature extractor, as timm's ``num_classes=0``. :meth:`reset_classifier` puts new heads on.
    """

    def __init__(
        self, backbone: nn.Module, feature_dim: int, num_classes: dict[str, int] | None, dropout: float = 0.2
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.feature_dim = feature_dim
        self.dropout = dropout
        self.num_classes: dict[str, int] = {}
        self.head: nn.Module = nn.Identity()
        self.reset_classifier(num_classes)

    def reset_classifier(self, num_classes: dict[str, int] | None, dropout: float | None = None) -> None:
        """New, untrained heads for ``num_classes`` (None or empty: no head, ``forward`` gives the features)."""
        self.num_classes = dict(num_classes or {})
        rate = self.dropout if dropout is None else dropout
        self.head = MultiTaskHead(self.feature_dim, self.num_classes, rate) if self.num_classes else nn.Identity()
        self.head.train(self.training)  # the new head in the model's mode (an eval model gets no dropout)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``(B, feature_dim)``."""
        return self.backbone(x)

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor] | torch.Tensor:
        """``{task: logits}`` of features (the features themselves when the model has no head)."""
        return self.head(features)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)

    def forward(self, x: torch.Tensor) -> Any:
        return self.forward_head(self.forward_features(x))


def classifier_builder(make_backbone: Callable[[bool], nn.Module], doc: str) -> Callable[..., MultiTaskClassifier]:
    """A registry builder ``(num_classes, pretrained, dropout)`` around ``make_backbone(pretrained)``.

    The backbone must expose ``out_features``.
    """

    def build(
        num_classes: dict[str, int] | None, pretrained: bool = False, dropout: float = 0.2
    ) -> MultiTaskClassifier:
        backbone = make_backbone(pretrained)
        dim = backbone.out_features
        if not isinstance(dim, int):
            raise TypeError(f"{type(backbone).__name__}.out_features must be an int, got {type(dim).__name__}")
        return MultiTaskClassifier(backbone, dim, num_classes, dropout)

    build.__doc__ = doc
    return build
