"""Fonts for every script a collection's names are written in: figures label paintings by their file names and
titles, and a museum's may be Chinese or Japanese (cnpaint's ``山水12.jpg``), which matplotlib's DejaVu Sans
draws as empty boxes.

    use_fallback_fonts()   # DejaVu Sans first, then a CJK font where one is installed: each glyph from the first
                           # family that has it (matplotlib >= 3.6)

The CJK font is the system's (``fonts-noto-cjk``, WenQuanYi, Source Han, IPAex...) or Noto Sans CJK SC from the
``mplfonts`` package (``pip install 'artlib[fonts]'``, in the install command of the README).
"""

from __future__ import annotations

import importlib.util
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

#: families that draw Chinese, Japanese and Korean, the first found is used behind DejaVu Sans
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans SC",
    "Source Han Sans",
    "Noto Sans SC",
    "Noto Sans JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "IPAexGothic",
    "IPAGothic",
)

#: the font file taken from the ``mplfonts`` package when it is installed
BUNDLED_FONT = "NotoSansCJKsc-Regular.otf"


def bundled_font() -> Path | None:
    """Noto Sans CJK SC from the installed ``mplfonts`` package (without importing it), else None."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "fonts" / BUNDLED_FONT
    return path if path.is_file() else None


@cache
def use_fallback_fonts() -> str | None:
    """Put the first CJK family found behind matplotlib's font families (DejaVu Sans by default), so that figures
    draw names in any script; returns that family, or None (with a one-time warning) when no CJK font
    is installed: such names are then drawn as boxes. Once per process."""
    from matplotlib import font_manager, rcParams

    bundled = bundled_font()
    if bundled is not None:
        font_manager.fontManager.addfont(str(bundled))
    installed = {font.name for font in font_manager.fontManager.ttflist}
    family = next((name for name in CJK_FAMILIES if name in installed), None)
    if family is None:
        log.info("no CJK font installed: Chinese or Japanese names are drawn as boxes (pip install 'artlib[fonts]')")
        return None
    families = [name for name in rcParams["font.family"] if name != family]
    rcParams["font.family"] = [*families, family]  # each glyph from the first family that has it
    return family
