"""Figures draw a collection's names in Chinese, Japanese and Korean, not as boxes (artlib.utils.fonts)."""

import logging
import subprocess
import sys
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from artlib.utils import fonts  # noqa: E402

NAMES = ["山水12.jpg", "花鸟验证59", "葛飾北斎 かな カナ", "畫 國", "한국 그림", "Ærø — Dürer"]


def _missing_glyphs(text: str) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(6, 1))
        ax.set_title(text)
        fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize("module", ["artlib.plots", "artlib.trust.figures"])
def test_the_package_figures_draw_names_in_cjk_scripts_without_missing_glyphs(module):
    """A fresh process that imports only a figure module of artlib (no explicit set-up) draws every name whole."""
    if fonts.bundled_font() is None:
        pytest.importorskip("mplfonts", reason="the fonts extra (pip install 'artlib[fonts]') is not installed")
    script = f"""
import importlib, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
importlib.import_module({module!r})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for name in {NAMES!r}:
        fig, ax = plt.subplots(figsize=(6, 1))
        ax.set_title(name)
        fig.canvas.draw()
        plt.close(fig)
print([str(w.message) for w in caught if "missing from font" in str(w.message)])
print(matplotlib.rcParams["font.family"])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    missing, families = done.stdout.strip().splitlines()[-2:]
    assert missing == "[]"
    assert any(family in families for family in fonts.CJK_FAMILIES)


def test_names_draw_whole_once_set_up():
    if fonts.bundled_font() is None:
        pytest.importorskip("mplfonts")
    family = fonts.use_fallback_fonts()
    assert family in fonts.CJK_FAMILIES
    assert matplotlib.rcParams["font.family"].count(family) == 1
    for name in NAMES:
        assert _missing_glyphs(name) == [], name


def test_without_a_cjk_font_the_settings_stay_and_the_log_says_what_to_install(monkeypatch, caplog):
    before = list(matplotlib.rcParams["font.family"])
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Family",))
    monkeypatch.setattr(fonts, "bundled_font", lambda: None)
    with caplog.at_level(logging.INFO, logger="artlib.utils.fonts"):
        assert fonts.use_fallback_fonts.__wrapped__() is None
    assert matplotlib.rcParams["font.family"] == before
    assert "pip install 'artlib[fonts]'" in caplog.text


def test_setting_up_twice_adds_the_family_once():
    if fonts.bundled_font() is None:
        pytest.importorskip("mplfonts")
    first = fonts.use_fallback_fonts.__wrapped__()
    again = fonts.use_fallback_fonts.__wrapped__()
    assert first == again and matplotlib.rcParams["font.family"].count(first) == 1
