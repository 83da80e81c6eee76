"""Similar on a 1M collection from an emptied page cache, with and without reading its files in first.

    python benchmarks/page_cache_warmer.py --collection /tmp/out1m/collection   # explorer_1m.py's collection

In turn, twice: the page cache emptied (Linux, as root), the collection opened (``warm=False``: its queries read
what they need from disk; ``warm=True``: the app's way, its files read into the cache first, waited for), then 10
threads asking 30 Similar queries each for the same paintings. p50 / p95 of the query's own time
(``attrs["ms"]``), and the seconds the warming took.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import numpy as np
from explorer_1m import drop_page_cache, percentiles

from records import write_result


def queries_ms(collection, positions: np.ndarray) -> list[float]:
    """Each query's milliseconds, 10 threads at once, one row of ``positions`` each."""
    times: list[float] = []
    run = lambda row: times.extend(collection.similar(position=int(q), k=8).attrs["ms"] for q in row)  # noqa: E731
    threads = [threading.Thread(target=run, args=(row,)) for row in positions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from artlib.collection.large import LargeCollection

    out: dict = {"queries": 300, "threads": 10, "rounds": []}
    for round_ in range(args.rounds):
        measured: dict = {}
        for warm in (False, True):
            positions = np.random.default_rng(10 + round_).integers(0, 1_000_000, (10, 30))
            measured["page_cache"] = drop_page_cache()
            collection = LargeCollection.open(args.collection, warm=warm)
            started = time.perf_counter()
            if collection.warmer is not None:
                collection.warmer.wait(600)
            key = "warmed_first" if warm else "from_disk"
            measured[f"{key}_warming_s"] = round(time.perf_counter() - started, 1)
            measured[f"{key}_similar_ms"] = percentiles(queries_ms(collection, positions))
        out["rounds"].append(measured)
        print(measured, flush=True)
    write_result("page_cache_warmer", out)


if __name__ == "__main__":
    main()
