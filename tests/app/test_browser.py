"""The explorer in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Skips when Chromium or Playwright is not installed (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")


def test_upload_a_painting_then_see_predictions_and_the_gallery(app_outputs, fixture_paths, tmp_path):
    from artlib.app.server import serve

    shots = Path(os.environ.get("ARTLIB_SCREENSHOTS", tmp_path))  # a folder to look at the pages afterwards
    shots.mkdir(parents=True, exist_ok=True)

    painting = next(p for p in sorted(Path(fixture_paths.wikiart_images).rglob("*.jpg")) if p.stat().st_size > 2000)
    with serve(app_outputs) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, timeout=60_000)
        page.get_by_text("Classify a painting").wait_for(timeout=90_000)
        bars = page.locator('[data-testid="stProgress"]')
        page.get_by_text("upload", exact=True).click()
        page.locator("input[type=file]").wait_for(state="attached", timeout=60_000)
        sync_api.expect(bars).to_have_count(0, timeout=60_000)  # no painting yet: no predictions
        page.locator("input[type=file]").set_input_files(str(painting))
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stProgress\"]').length >= 6", timeout=60_000
        )  # top-3 of style and genre; the artist from notebook 11b: a bar, or "someone else" without one
        page.get_by_text("notebook 11b").first.wait_for(timeout=60_000)
        assert page.get_by_text("%").count() >= 3  # "class — 41.2%" under each bar
        if page.get_by_text("Someone else").count():
            assert page.get_by_text("this model knows").count() >= 1 and page.get_by_text("Looks most like").count()
        page.get_by_text("show where the model looked (Grad-CAM)").click()
        sync_api.expect(page.get_by_text("where it saw").first).to_be_visible(timeout=60_000)
        if page.get_by_text("Someone else").count():  # no map says where it saw an artist it did not answer
            sync_api.expect(page.get_by_text("No map for artist")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(shots / "classify.png"), full_page=True)

        page.get_by_role("button", name="Show similar paintings").click()
        page.get_by_text("Similar paintings").wait_for(timeout=60_000)
        page.get_by_text("similarity").first.wait_for(timeout=60_000)
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stImage\"] img').length >= 9", timeout=60_000
        )  # the query and its 8 neighbours
        sync_api.expect(page.get_by_text("same artist")).to_have_count(8, timeout=30_000)
        page.screenshot(path=str(shots / "similar.png"), full_page=True)
        browser.close()
    assert (shots / "classify.png").stat().st_size > 10_000
