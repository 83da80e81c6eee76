"""Channel/spatial attention by name, from timm: ``create_attention('se'|'eca'|'cbam'|None, channels)``."""

from __future__ import annotations

import torch.nn as nn

ATTENTIONS = (None, "se", "eca", "cbam")


def create_attention(kind: str | None, channels: int) -> nn.Module:
    """timm's SE (reduction 16), ECA (adaptive kernel) or CBAM; ``None``/``'none'`` gives Identity."""
    if kind in (None, "none", ""):
        return nn.Identity()
    if kind not in ATTENTIONS:
        raise ValueError(f"unknown attention {kind!r}; choose from none, se, eca, cbam")
    from timm.layers import create_attn  # imported when needed: timm takes seconds to import

    return create_attn(kind, channels)
