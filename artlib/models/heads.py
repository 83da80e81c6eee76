"""Multitask heads and the backbone + heads wrapper every artlib classifier uses."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn


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
    return embed(images)


class MultiTaskClassifier(nn.Module):
    """``backbone`` (image -> feature vector of ``feature_dim``) followed by per-task heads.

    ``forward`` returns ``{task: logits}``; ``embed`` returns the shared features.
    """

    def __init__(
        self, backbone: nn.Module, feature_dim: int, num_classes: dict[str, int], dropout: float = 0.2
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.feature_dim = feature_dim
        self.num_classes = dict(num_classes)
        self.head = MultiTaskHead(feature_dim, num_classes, dropout)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(self.embed(x))


def classifier_builder(make_backbone: Callable[[bool], nn.Module], doc: str) -> Callable[..., MultiTaskClassifier]:
    """A registry builder ``(num_classes, pretrained, dropout)`` around ``make_backbone(pretrained)``.

    The backbone must expose ``out_features``.
    """

    def build(num_classes: dict[str, int], pretrained: bool = False, dropout: float = 0.2) -> MultiTaskClassifier:
        backbone = make_backbone(pretrained)
        dim = backbone.out_features
        if not isinstance(dim, int):
            raise TypeError(f"{type(backbone).__name__}.out_features must be an int, got {type(dim).__name__}")
        return MultiTaskClassifier(backbone, dim, num_classes, dropout)

    build.__doc__ = doc
    return build
