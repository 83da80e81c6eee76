"""The model card of a frozen feature extractor: how an image index's vectors were made, so that a new image is
embedded exactly as the collection was (the explorer's uploads, a saved same-artist head's inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from ..data.input_spec import InputSpec
from ..data.transforms import FITS, Normalization, as_normalization
from ..models import create_backbone, embed_with
from ..utils.runtime import place_images, place_model


@dataclass(frozen=True)
class EmbedderCard:
    """A registered backbone (``create_backbone(model)``), the input it saw and whether it was pretrained."""

    model: str
    image_size: int
    normalization: Normalization
    fit: str = "crop"
    pretrained: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"embedder card: model must be a model name, got {self.model!r}")
        if not isinstance(self.image_size, int) or isinstance(self.image_size, bool) or self.image_size < 1:
            raise ValueError(f"embedder card: image_size must be a positive integer, got {self.image_size!r}")
        if self.fit not in FITS:
            raise ValueError(f"embedder card: fit must be one of {FITS}, got {self.fit!r}")

    @property
    def input(self) -> InputSpec:
        """What the extractor is fed (the spec a classifier's :class:`~artlib.inference.ModelCard` holds too)."""
        return InputSpec(self.image_size, self.normalization, (self.fit,))

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> EmbedderCard:
        """The card as :meth:`to_dict` wrote it; a field missing or of the wrong type raises ``ValueError``."""
        missing = [key for key in ("model", "image_size", "normalization") if key not in spec]
        if missing:
            raise ValueError(f"embedder card: {', '.join(missing)} missing (it holds {sorted(spec)})")
        try:
            normalization = as_normalization(spec["normalization"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"embedder card: normalization must be (mean, std) of 3 numbers each ({exc})") from None
        return cls(
            spec["model"],
            spec["image_size"],
            normalization,
            spec.get("fit", "crop"),
            bool(spec.get("pretrained", True)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "pretrained": self.pretrained,
            "image_size": self.image_size,
            "fit": self.fit,
            "normalization": [list(part) for part in self.normalization],
        }

    def build(self) -> nn.Module:
        """The feature extractor, in eval mode (pretrained weights that cannot be had raise their clear error). An
        untrained one is drawn from a fixed seed, so every build of a card (each Ray worker's) is the same network."""
        if self.pretrained:
            network = create_backbone(self.model, pretrained=True)
        else:
            with torch.random.fork_rng():  # models without weights take no pretrained argument
                torch.manual_seed(0)
                network = create_backbone(self.model)
        return place_model(network, torch.device("cpu")).eval()  # channels_last: faster on a CPU

    def transform(self) -> Any:
        """The evaluation transform of the card's input (its fit, size and normalisation)."""
        return self.input.transform()

    @torch.no_grad()
    def embed(self, network: nn.Module, image: np.ndarray) -> np.ndarray:
        """Raw ``(1, dim)`` features of one decoded RGB image by ``network`` (:meth:`build`), as the index's."""
        x = self.transform()(image=image)["image"]
        return embed_with(network, place_images(x[None], next(network.parameters()).device)).float().numpy()
