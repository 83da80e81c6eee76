"""The explorer over a million paintings: start-up, and Similar under 10 concurrent browser sessions.

    python benchmarks/scale.py --folder /tmp/ix1m --skip-ray              # the 1M IVF-PQ index, kept (minutes)
    python benchmarks/explorer_1m.py --index /tmp/ix1m --outputs /tmp/out1m

1. **The collection**: ``--index`` (benchmarks/scale.py's 1M synthetic vectors, clustered like the WikiArt
   sample's Lite0 embeddings) with a catalogue of 1M rows written beside it: an id, a made-up title, the style of
   the real sample painting each vector was drawn around, and a map point (the first two principal components of
   every vector: UMAP's transform of 1M vectors takes too long on 2 cores; the app draws whatever x, y it finds).
2. **Start-up**: ``LargeCollection.open`` in a fresh process, at 1M and at 10k rows of the same collection, and
   ``artlib-app`` until its health endpoint answers. **The map**: its steps at 1M points (``map_seconds``).
3. **Load**: 10 sessions ask 10 Similar queries each, all at once: (a) as 10 threads of one server process,
   which is how Streamlit runs its sessions (the query's own time); (b) through the app's JSON API
   (``/api/similar``, :mod:`artlib.app.api`): 10 HTTP clients on 127.0.0.1, one keep-alive connection each, 30
   queries each (the round trip, and the server's time for the query), first from an emptied page cache just after
   the app started (``_at_start``: it reads the collection's files into the cache meanwhile), then for other
   paintings once the app says its cache is warm (``/api/info``); (c) through the app, from 10 headless
   Chromium pages on 127.0.0.1, each typing a painting's id into the find box: the server's time for the Similar
   query (shown on the page) and the browser's round trip from Enter to the new gallery (the id's lookup
   included). The browsers share the server's 2 cores. p50 / p95 over the 100 queries; bounded: 10 x 10
   queries, 10 minutes at most.

Results: outputs/benchmarks/explorer_1m.json, screenshots of the Similar and Map pages with ``--screenshots``;
``--skip-browsers`` leaves (c) out (its last figures are kept in the json).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from records import SAMPLE, write_result

SESSIONS, QUERIES = 10, 10
API_QUERIES = 30  # per HTTP session: 300 in all, for a steadier p95
THREADS = (
    "import json, threading, numpy as np; from artlib.collection.large import LargeCollection; "
    "c = LargeCollection.open({folder!r}); c.similar(position=0, k=8); times = []; "
    "rows = np.random.default_rng(1).integers(0, len(c), ({sessions}, {queries})); "
    "run = lambda row: times.extend(c.similar(position=int(q), k=8).attrs['ms'] for q in row); "
    "threads = [threading.Thread(target=run, args=(r,)) for r in rows]; [t.start() for t in threads]; "
    "[t.join() for t in threads]; print(json.dumps(times))"
)
MAP = (
    "import json, time; from artlib.collection.large import LargeCollection; c = LargeCollection.open({folder!r}); "
    "out = {{}}; t = time.perf_counter(); m = c.point_map('style'); out['read_points_s'] = time.perf_counter() - t; "
    "v = m.full_view(); t = time.perf_counter(); m.render(v, 800, 560); out['first_render_s'] = "
    "time.perf_counter() - t; t = time.perf_counter(); m.render(v.zoomed(v.x0, (v.x0 + v.x1) / 2, v.y0, "
    "(v.y0 + v.y1) / 2), 800, 560); out['render_s'] = time.perf_counter() - t; t = time.perf_counter(); "
    "p = m.clickable(v); rows = c.catalogue.rows(p['position'], columns=['id', 'title']); "
    "out['clickable_points'] = len(p); out['clickable_with_captions_s'] = time.perf_counter() - t; "
    "print(json.dumps(out))"
)
OPEN = (
    "import json, time; t = time.perf_counter(); from artlib.collection.large import LargeCollection; "
    "c = LargeCollection.open({folder!r}); print(json.dumps({{'s': time.perf_counter() - t, 'n': len(c)}}))"
)


def sample_styles() -> np.ndarray:
    """The style of each WikiArt sample painting, in the order of scale.py's ``sample_embeddings``."""
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    from artlib.config import settings
    from artlib.data.prepare import get_splits

    splits = get_splits(settings())
    return np.concatenate([t.label_names("style").fillna("(no label)").to_numpy() for t in splits.values()])


def centres_of(n: int, real: int, seed: int = 1, shard: int = 100_000) -> np.ndarray:
    """The real painting each of scale.py's synthetic vectors was drawn around (its ``shards_of`` draws)."""
    out = []
    for number, start in enumerate(range(0, n, shard)):
        rng = np.random.default_rng(seed * 100_000 + number)
        out.append(rng.integers(0, real, min(shard, n - start)))
    return np.concatenate(out)


def write_collection(index: Path, outputs: Path) -> Path:
    """``outputs/collection``: the index (linked) and a 1M-row catalogue with styles and map points."""
    from artlib.collection.catalogue import write_catalogue
    from artlib.collection.large import CATALOGUE, INDEX_DIR
    from artlib.features.maps import map_coordinates

    folder = outputs / "collection"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / INDEX_DIR
    if not link.exists():
        link.symlink_to(index.resolve(), target_is_directory=True)
    ids = pd.read_parquet(index / "ids.parquet")["id"].astype(str)
    card = json.loads((index / "card.json").read_text())
    vectors = np.memmap(index / "vectors.f16", dtype=np.float16, mode="r").reshape(-1, card["dim"])
    styles = sample_styles()
    started = time.perf_counter()
    xy = map_coordinates(vectors, "pca", sample=50_000)
    items = pd.DataFrame(
        {
            "id": ids,
            "title": [f"Synthetic painting {i}" for i in range(len(ids))],
            "style": styles[centres_of(len(ids), len(styles))],
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
    write_catalogue(folder / CATALOGUE, items)
    print(f"catalogue of {len(items):,} rows with map points in {time.perf_counter() - started:.0f} s")
    return folder


def small_collection(index: Path, catalogue: Path, folder: Path, n: int = 10_000) -> Path:
    """The first ``n`` paintings of the same collection, indexed and catalogued alike (start-up at 10k)."""
    from artlib.collection.catalogue import Catalogue, write_catalogue
    from artlib.collection.large import CATALOGUE, INDEX_DIR
    from artlib.retrieval.disk_index import DiskIndex, choose_params

    if (folder / CATALOGUE).is_file():
        return folder
    dim = json.loads((index / "card.json").read_text())["dim"]
    vectors = np.asarray(np.memmap(index / "vectors.f16", dtype=np.float16, mode="r")[: n * dim]).reshape(n, dim)
    items = Catalogue.open(catalogue).rows(np.arange(n)).drop(columns="position")
    vectors = vectors.astype(np.float32)
    DiskIndex.build(vectors, [(items["id"].tolist(), vectors)], choose_params(n, dim), folder / INDEX_DIR)
    write_catalogue(folder / CATALOGUE, items)
    return folder


def similar_in_threads(folder: Path) -> list[float]:
    """Milliseconds of each Similar query when 10 sessions' threads query one server process at once, as
    Streamlit runs its sessions, without browsers on the same cores."""
    code = THREADS.format(folder=str(folder), sessions=SESSIONS, queries=QUERIES)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def map_seconds(folder: Path) -> dict:
    """The Map page's steps at 1M points: read x, y and a label, draw (the first draw compiles datashader's
    kernels), draw a zoomed view, pick the clickable points and read their captions."""
    done = subprocess.run([sys.executable, "-c", MAP.format(folder=str(folder))], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return {k: round(v, 3) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def last_result() -> dict:
    """The figures of the last run (outputs/benchmarks/explorer_1m.json), {} when there is none."""
    path = Path(__file__).resolve().parents[1] / "outputs" / "benchmarks" / "explorer_1m.json"
    return json.loads(path.read_text()) if path.is_file() else {}


#: the figures each run adds to ``runs_of_the_day`` (a day's runs are kept side by side: the machine varies)
RUN_FIGURES = (
    "similar_ms_10_sessions_in_the_server_process",
    "api_round_trip_ms_10_sessions_at_start",
    "api_round_trip_ms_10_sessions",
    "api_similar_ms_on_the_server_10_sessions",
)


def runs_of_the_day(result: dict, before: dict) -> list[dict]:
    """The key figures of every run of today: the last result's list when it was measured today, and this run's."""
    today = str(datetime.date.today())
    kept = before.get("runs_of_the_day", []) if before.get("measured_on", {}).get("date") == today else []
    return [*kept, {key: result[key] for key in RUN_FIGURES if key in result}]


def open_seconds(folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", OPEN.format(folder=str(folder))], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


async def session(browser, url: str, ids: list[str], log: list[dict]) -> None:
    page = await browser.new_page(viewport={"width": 1300, "height": 900})
    await page.goto(f"{url}/similar", timeout=120_000)
    await page.get_by_text("searched on disk").first.wait_for(timeout=120_000)
    box = page.get_by_label("find a painting (words of its title, artist or id)")
    for item in ids:
        await box.fill(item)
        started = time.perf_counter()
        await box.press("Enter")
        said = page.get_by_text(re.compile(rf"nearest to .*\({re.escape(item)}\): \d+ of"))
        await said.first.wait_for(timeout=60_000)
        text = await said.first.inner_text()
        log.append({"id": item, "round_trip_ms": 1000 * (time.perf_counter() - started),
                    "similar_ms": float(re.search(r"in (\d+) ms", text).group(1))})  # fmt: skip
    await page.close()


async def load_test(url: str, ids: np.ndarray, chromium: str) -> list[dict]:
    from playwright.async_api import async_playwright

    log: list[dict] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        per = ids.reshape(SESSIONS, QUERIES).tolist()
        await asyncio.wait_for(asyncio.gather(*(session(browser, url, p, log) for p in per)), timeout=600)
        await browser.close()
    return log


def screenshots(url: str, chromium: str, folder: Path, item: str) -> None:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1150})
        page.goto(f"{url}/similar?item={item}", timeout=120_000)
        page.get_by_text("nearest to").first.wait_for(timeout=120_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(folder / "app_similar_1m.png"), full_page=True)
        page.goto(f"{url}/map", timeout=120_000)
        page.get_by_text("drawn by datashader").first.wait_for(timeout=180_000)
        chart = '[data-testid="stVegaLiteChart"]'
        page.locator(f"{chart} svg, {chart} canvas").first.wait_for(timeout=180_000)  # Vega draws one or the other
        page.wait_for_timeout(3000)
        page.screenshot(path=str(folder / "app_map_1m.png"), full_page=True)
        browser.close()


def api_session(url: str, positions: list[int], log: list[dict]) -> None:
    """One HTTP client asking ``/api/similar`` for each position in turn over one keep-alive connection."""
    import http.client
    from urllib.parse import urlparse

    where = urlparse(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        for position in positions:
            started = time.perf_counter()
            connection.request("GET", f"/api/similar?position={position}&k=8")
            reply = connection.getresponse()
            body = json.loads(reply.read())
            if reply.status != 200 or len(body["results"]) != 8:
                raise RuntimeError(f"/api/similar?position={position}: {reply.status} {body}")
            log.append({"round_trip_ms": 1000 * (time.perf_counter() - started), "similar_ms": body["ms"]})
    finally:
        connection.close()


def api_load_test(url: str, count: int, seed: int = 2) -> list[dict]:
    """10 HTTP sessions at once, :data:`API_QUERIES` Similar queries each (bounded: 60 s per request)."""
    import threading

    positions = np.random.default_rng(seed).integers(0, count, (SESSIONS, API_QUERIES)).tolist()
    log: list[dict] = []
    api_session(url, positions[0][:3], [])  # warm: the first query pages the index in
    threads = [threading.Thread(target=api_session, args=(url, row, log)) for row in positions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(log) != SESSIONS * API_QUERIES:
        raise RuntimeError(f"{len(log)} of {SESSIONS * API_QUERIES} API queries answered")
    return log


def drop_page_cache() -> str:
    """Empty the kernel's page cache, so that the server starts as after a reboot (Linux, as root): 'emptied', or
    why not (the figures then start from whatever the cache holds)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
        return "emptied"
    except OSError as exc:
        return f"not emptied ({exc.strerror or exc})"


def page_cache_state(url: str) -> str:
    """What the app says of its collection's page cache (``/api/info``)."""
    from urllib.request import urlopen

    with urlopen(f"{url}/api/info", timeout=60) as reply:
        return str(json.loads(reply.read()).get("page_cache"))


def wait_until_warm(url: str, timeout: float = 300.0) -> float:
    """Seconds until the app's page cache reads ``warm`` (bounded); ``RuntimeError`` if it says otherwise."""
    started = time.perf_counter()
    while (state := page_cache_state(url)) == "warming" and time.perf_counter() - started < timeout:
        time.sleep(0.5)
    if state != "warm":
        raise RuntimeError(f"the app's page cache: {state}")
    return time.perf_counter() - started


def percentiles(values: list[float]) -> dict:
    a = np.asarray(values)
    return {"p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1),
            "max": round(float(a.max()), 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a kept disk index (benchmarks/scale.py --folder)")
    parser.add_argument("--outputs", type=Path, required=True, help="where the app's outputs folder is written")
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--skip-browsers", action="store_true", help="no Chromium sessions (keep their last figures)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("no chromium: apt-get install -y chromium")
    folder = args.outputs / "collection"
    if not (folder / "catalogue.parquet").is_file():
        write_collection(args.index, args.outputs)
    opened = open_seconds(folder)
    threaded = similar_in_threads(folder)
    drawn = map_seconds(folder)
    small = open_seconds(small_collection(args.index, folder / "catalogue.parquet", args.outputs / "collection_10k"))
    from artlib.app.server import serve

    ids = pd.read_parquet(args.index / "ids.parquet")["id"].astype(str).to_numpy()
    asked = np.random.default_rng(0).choice(ids, SESSIONS * QUERIES, replace=False)
    cache = drop_page_cache()  # the server starts cold: its first queries, then the same load once it is warm
    started = time.perf_counter()
    with serve(args.outputs, timeout=300) as url:
        health_s = time.perf_counter() - started
        api_cold = api_load_test(url, opened["n"], seed=2)  # while the app reads its files into the page cache
        warm_after_s = wait_until_warm(url)
        api = api_load_test(url, opened["n"], seed=3)  # other paintings than the first load's
        log = [] if args.skip_browsers else asyncio.run(load_test(url, asked, chromium))
        browsers = (
            {
                "similar_ms_on_the_server_with_10_browsers": percentiles([r["similar_ms"] for r in log]),
                "round_trip_ms_in_the_browser": percentiles([r["round_trip_ms"] for r in log]),
            }
            if log
            else {key: value for key, value in last_result().items() if "browser" in key}
        )
        result = {
            "paintings": opened["n"],
            "collection_open_s": round(opened["s"], 3),
            "collection_open_s_at_10k": round(small["s"], 3),
            "app_health_s": round(health_s, 1),
            "sessions": SESSIONS,
            "queries": len(log) or SESSIONS * QUERIES,
            "similar_ms_10_sessions_in_the_server_process": percentiles(threaded),
            "api_queries": len(api),
            "page_cache_at_start": cache,
            "api_round_trip_ms_10_sessions_at_start": percentiles([r["round_trip_ms"] for r in api_cold]),
            "api_similar_ms_on_the_server_10_sessions_at_start": percentiles([r["similar_ms"] for r in api_cold]),
            "page_cache_warm_after_s": round(warm_after_s, 1),
            "api_round_trip_ms_10_sessions": percentiles([r["round_trip_ms"] for r in api]),
            "api_similar_ms_on_the_server_10_sessions": percentiles([r["similar_ms"] for r in api]),
            **browsers,
            "browsers_measured": "now" if log else "an earlier run (--skip-browsers)",
            "map": drawn,
            "note": "synthetic vectors clustered like the sample's embeddings; no images, so no thumbnails",
        }
        write_result("explorer_1m", {**result, "runs_of_the_day": runs_of_the_day(result, last_result())})
        if args.screenshots:  # after the load test: not timed
            screenshots(url, chromium, args.screenshots, str(asked[0]))


if __name__ == "__main__":
    main()
