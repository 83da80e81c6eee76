"""How fast the explorer app answers: start-up, and a classify + similar query on an uploaded painting.

    python benchmarks/app_latency.py --outputs outputs/wikiart_sample            # after the series ran there
    python benchmarks/app_latency.py --outputs outputs/wikiart_sample --screenshots docs/images

* ``explorer_open_s``: a fresh Python process imports the app and loads every artefact (classifier, image and
  title indexes, same-artist model, map, suspects): what the server does before it answers the first page.
* ``first_page_s``: ``artlib-app`` started in a child process until headless Chromium shows the Classify page's
  predictions (needs Chromium and Playwright; skipped otherwise).
* ``query_ms``: one query as the Classify-then-Similar pages make it: decode the upload's bytes, classify it with
  the model card's views, embed it, find the k nearest paintings, score same-artist probabilities, read their
  thumbnails; collection paintings as uploads, after 3 warm-up queries. p50 / p95 / max.

Results: outputs/benchmarks/app_latency.json; ``--screenshots``: PNGs of every page for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from records import ROOT, write_result

OPEN = (
    "import json, time; t = time.perf_counter(); from artlib.app.explorer import Explorer; "
    "ex = Explorer.open({outputs!r}); print(json.dumps({{'s': time.perf_counter() - t, "
    "'notes': [n.text for n in ex.notes], 'items': len(ex.images.items) if ex.images else 0}}))"
)


def explorer_open_seconds(outputs: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", OPEN.format(outputs=str(outputs))],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def query_latencies(outputs: Path, n: int, k: int, seed: int = 0) -> list[float]:
    from artlib.app.explorer import Explorer

    ex = Explorer.open(outputs)
    rng = np.random.default_rng(seed)
    ids = ex.images.items["id"].to_numpy()[rng.choice(len(ex.images.items), size=n + 3, replace=False)]
    times = []
    for item_id in ids:
        data = ex.image_path(item_id).read_bytes()
        start = time.perf_counter()
        image = ex.decode_upload(data, "upload.jpg")
        ex.classify(image)
        hits = ex.similar(image=image, k=k)
        thumbs = [ex.thumbnail(i) for i in hits["id"]]
        times.append(time.perf_counter() - start)
        assert all(t is not None for t in thumbs)
    return times[3:]


def hover_a_point(page) -> bool:
    """Move the mouse over the map until Vega shows a tooltip (a painting under the cursor)."""
    box = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
    if not box:
        return False
    for fy in np.linspace(0.2, 0.8, 13):
        for fx in np.linspace(0.2, 0.8, 13):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(40)
            if page.locator("#vg-tooltip-element.visible img").count():
                return True
    return False


def browser_run(outputs: Path, screenshots: Path | None) -> dict:
    """Seconds from starting the server to predictions on screen; screenshots of every page on request."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"first_page_s": None, "why": "playwright not installed"}
    if chromium is None:
        return {"first_page_s": None, "why": "no chromium"}
    from artlib.app.server import serve

    start = time.perf_counter()
    with serve(outputs) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url, timeout=120_000)
        page.wait_for_function("document.querySelectorAll('[data-testid=\"stProgress\"]').length >= 3", timeout=120_000)
        first = time.perf_counter() - start
        if screenshots:
            screenshots.mkdir(parents=True, exist_ok=True)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(screenshots / "app_classify.png"))
            for name, wait in (
                ("similar", "similarity"),
                ("search", "Search the titles"),
                ("map", "Map of the collection"),
                ("suspects", "Suspicious labels"),
            ):
                page.goto(f"{url}/{name}", timeout=60_000)
                page.get_by_text(wait).first.wait_for(timeout=120_000)
                if name == "search":
                    page.get_by_label("words in a title").fill("a river landscape with a windmill")
                    page.keyboard.press("Enter")
                    page.get_by_text("similarity").first.wait_for(timeout=120_000)
                if name == "map":
                    page.locator("canvas, svg").first.wait_for(timeout=120_000)
                    hover_a_point(page)
                page.wait_for_timeout(3000)
                page.screenshot(path=str(screenshots / f"app_{name}.png"))
        browser.close()
    return {"first_page_s": round(first, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=Path, default=ROOT / "outputs" / "wikiart_sample")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--name", default="app_latency")
    args = parser.parse_args()

    opened = explorer_open_seconds(args.outputs.resolve())
    times = np.array(query_latencies(args.outputs.resolve(), args.queries, args.k)) * 1000
    browser = browser_run(args.outputs.resolve(), args.screenshots)
    write_result(
        args.name,
        {
            "outputs": args.outputs.name,
            "collection_items": opened["items"],
            "explorer_open_s": round(opened["s"], 2),
            **browser,
            "queries": len(times),
            "k": args.k,
            "query_ms": {
                "p50": round(float(np.percentile(times, 50)), 1),
                "p95": round(float(np.percentile(times, 95)), 1),
                "max": round(float(times.max()), 1),
            },
            "notes": opened["notes"],
        },
    )


if __name__ == "__main__":
    main()
