"""A collection past one machine, measured: Ray embedding throughput on real paintings, IVF-PQ on disk at 1M.

    python benchmarks/scale.py                          # 1M vectors, 2 400 real paintings through Ray
    python benchmarks/scale.py --n 10000000 --memory-mb 1024 --skip-ray    # 10M on disk (25 GB of float16)

1. **Embedding throughput** (``artlib.collection``): the same real WikiArt sample paintings embedded by frozen Lite0
   at 224 px on a local Ray with 1 worker, then 2 (one thread each), from Parquet shards, twice in turn; images
   per second with the actor pool's start-up, and once it works (the rate a long run approaches).
2. **The index** (``artlib.retrieval.disk_index``): ``n`` synthetic unit vectors of Lite0's width, clustered like
   the sample's embeddings (each a real sample embedding plus Gaussian noise in its principal directions), in
   shards of 100,000, each drawn once: it goes into the index and into the exact search of 700 queries (timed
   apart); IVF-PQ parameters chosen for ``--memory-mb``; ``nprobe`` tuned on 200 validation queries for recall@10
   >= 0.9 against exact search; recall and latency then measured on 500 other queries, one at a time, in a fresh
   process that only loads the index (``index_rss_mb``: the memory that loading the index and searching it added
   to that process).
3. **A paper estimate** of the wall time for 10M real paintings on N machines, from one worker's steady rate.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from records import RESULTS, ROOT, SAMPLE, write_result

SHARD = 100_000
SPREAD = 0.35  # the noise around a real embedding, as a share of the sample's spread along each direction


def sample_embeddings(cache: Path) -> np.ndarray:
    """Frozen Lite0 features (224 px, whole painting) of every WikiArt sample painting, from the feature cache."""
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    from artlib.config import settings
    from artlib.data.prepare import get_splits
    from artlib.identity.features import view_features

    cfg = settings()
    splits = get_splits(cfg)
    feats = view_features(cfg.feature_backbone, splits, ("whole",), 224, 112, cache=cfg.feature_cache)
    return np.concatenate([f[:, 0] for f in feats.values()])


class Clustered:
    """Synthetic vectors clustered like ``real``: a real vector plus noise along its principal directions."""

    def __init__(self, real: np.ndarray) -> None:
        self.real = real.astype(np.float32)
        centred = self.real - self.real.mean(0)
        _, s, vt = np.linalg.svd(centred[:4000], full_matrices=False)
        self.axes = vt[:128].astype(np.float32)
        self.scale = (SPREAD * s[:128] / np.sqrt(min(len(centred), 4000))).astype(np.float32)

    def draw(self, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        centres = self.real[rng.integers(0, len(self.real), n)]
        noise = (rng.standard_normal((n, len(self.scale)), dtype=np.float32) * self.scale) @ self.axes
        return centres + noise


def shards_of(gen: Clustered, n: int, seed: int):
    for number, start in enumerate(range(0, n, SHARD)):
        size = min(SHARD, n - start)
        yield [f"p{start + i}" for i in range(size)], gen.draw(size, seed * 100_000 + number)


def measure_in_fresh_process(folder: Path, queries: Path, exact: Path) -> dict:
    """Load the index in a new Python and measure recall, latency and peak memory there."""
    code = f"""
import json, resource, numpy as np, psutil, faiss, pandas
from artlib.retrieval.disk_index import DiskIndex
q, e = np.load({str(queries)!r}), np.load({str(exact)!r}, allow_pickle=True)
before = psutil.Process().memory_info().rss
index = DiskIndex.load({str(folder)!r})
out = index.measure(q, e, k=10)
index.card.params["rerank"] = 0  # what the exact re-ranking from vectors.f16 costs and gives
out.update({{f"{{k}}_without_rerank": v for k, v in index.measure(q, e, k=10).items()}})
out["index_rss_mb"] = (psutil.Process().memory_info().rss - before) / 2**20  # what loading and searching added
# this process's own high-water mark (ru_maxrss would count the parent's memory at the fork: 12.6 GB at 10M)
hwm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")]
out["peak_rss_mb"] = int(hwm[0]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"measuring the index failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def files_mb(folder: Path) -> dict[str, float]:
    """The index's files and their sizes in MB (the benchmark's queries left out)."""
    return {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(folder.iterdir()) if p.suffix != ".npy"}


def index_benchmark(n: int, memory_mb: float, real: np.ndarray, folder: Path) -> dict:
    from artlib.retrieval.disk_index import DiskIndex, NearestSoFar, choose_params

    gen = Clustered(real)
    params = choose_params(n, real.shape[1], memory_mb=memory_mb)
    queries = gen.draw(700, seed=99)
    nearest, exact_seconds = NearestSoFar(queries, k=10), 0.0

    def shards_and_truth():  # each shard is drawn once: it goes into the index and into the exact search
        nonlocal exact_seconds
        for number, (ids, vectors) in enumerate(shards_of(gen, n, seed=1), start=1):
            started = time.perf_counter()
            nearest.update(ids, vectors)
            exact_seconds += time.perf_counter() - started
            yield ids, vectors
            if number % 10 == 0:
                print(f"{number} shards drawn and indexed", flush=True)

    started = time.perf_counter()
    sample = gen.draw(min(n, 300_000), seed=7)
    index = DiskIndex.build(sample, shards_and_truth(), params, folder)
    built = time.perf_counter() - started - exact_seconds
    exact = nearest.ids
    tuning = index.tune(queries[:200], exact[:200], k=10, target_recall=0.9)
    np.save(folder / "queries.npy", queries[200:])
    np.save(folder / "exact.npy", exact[200:])
    measured = measure_in_fresh_process(folder, folder / "queries.npy", folder / "exact.npy")
    on_disk = files_mb(folder)
    return {
        "n": n,
        "dim": real.shape[1],
        "params": index.card.params,
        "factory": params.factory,
        "build_seconds": round(built, 1),
        "exact_search_seconds_700_queries": round(exact_seconds, 1),
        "tuning_on_200_validation_queries": tuning.round(4).reset_index().to_dict("records"),
        "test_500_queries": {k: round(v, 4) for k, v in measured.items()},
        "index_memory_estimate_mb": round(params.memory_bytes(n, real.shape[1]) / 2**20, 1),
        "files_mb": on_disk,
    }


def sample_job(images: int) -> tuple[list[str], Any]:
    """What the Ray figures embed: the sample's first ``images`` training paintings, and the card of frozen Lite0
    (pretrained) at 224 px."""
    from artlib.config import settings
    from artlib.data.prepare import get_splits
    from artlib.models import create_backbone, input_normalization
    from artlib.retrieval.embedder_card import EmbedderCard

    paths = [str(p) for p in get_splits(settings())["train"].image_paths()[:images]]
    return paths, EmbedderCard("efficientnet_lite0", 224, input_normalization(create_backbone("efficientnet_lite0")))


def embed_on_ray(paths: list[str], card: Any, workers: int) -> tuple[Any, bool]:
    """``paths`` in 2 Parquet shards embedded by ``card`` on a fresh local Ray of ``workers`` workers (batches of
    16): the run (:class:`~artlib.collection.ray_embed.EmbedRun`) and whether every painting came back once."""
    from artlib.collection import check_complete, write_path_shards
    from artlib.collection.ray_embed import embed_collection, ray_session

    with tempfile.TemporaryDirectory() as folder:
        shards = write_path_shards(paths, None, Path(folder) / "shards", rows_per_shard=len(paths) // 2 + 1)
        with ray_session(workers=workers):
            run = embed_collection(shards, card, Path(folder) / "out", workers=workers, batch_size=16)
        return run, check_complete(shards, Path(folder) / "out").complete


def ray_throughput(images: int, workers: tuple[int, ...], rounds: int = 2) -> dict:
    """Images per second on a local Ray with each count of ``workers``, in turn, ``rounds`` times: start-up
    included (``images_per_second``: a fresh actor pool's processes, imports and network), once its first worker
    works (``steady_images_per_second``) and while all of them work (``busy_images_per_second``: the rate a long
    run approaches); the speed-ups of the last count over the first, each round's and their mean."""
    paths, card = sample_job(images)
    out: dict = {"images": len(paths), "model": "efficientnet_lite0 at 224 px (pretrained)", "rounds": []}
    for _ in range(rounds):
        measured: dict = {}
        for count in workers:
            run, complete = embed_on_ray(paths, card, count)
            measured[f"{count}_workers"] = {
                "seconds": round(run.seconds, 1),
                "start_up_seconds": round(run.start_up_seconds or 0.0, 1),
                "images_per_second": round(run.images_per_second or 0.0, 2),
                "steady_images_per_second": round(run.steady_images_per_second or 0.0, 2),
                "busy_images_per_second": round(run.busy_images_per_second or 0.0, 2),
                "complete": complete,
            }
        first, last = (measured[f"{w}_workers"] for w in (workers[0], workers[-1]))
        measured["speed_up"] = round(last["images_per_second"] / first["images_per_second"], 3)
        for rate in ("steady", "busy"):
            key = f"{rate}_images_per_second"
            measured[f"{rate}_speed_up"] = round(last[key] / first[key], 3)
        out["rounds"].append(measured)
        print(measured, flush=True)
    for key in ("speed_up", "steady_speed_up", "busy_speed_up"):
        out[f"{key}_mean"] = round(float(np.mean([r[key] for r in out["rounds"]])), 3)
    one = float(np.mean([r[f"{workers[0]}_workers"]["steady_images_per_second"] for r in out["rounds"]]))
    out["paper_estimate_10M_hours"] = paper_estimate(one / workers[0])
    return out


def paper_estimate(per_worker: float, workers_per_machine: int = 16, machines: tuple[int, ...] = (1, 4, 16)) -> dict:
    """Hours to embed 10M paintings, from one worker's measured rate, assuming linear scaling across machines."""
    rate = per_worker * workers_per_machine
    return {f"{m} machines x {workers_per_machine} workers": round(10_000_000 / (rate * m) / 3600, 1) for m in machines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--memory-mb", type=float, default=1024)
    parser.add_argument("--ray-images", type=int, default=2400)
    parser.add_argument("--ray-rounds", type=int, default=2)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument(
        "--ray-only", action="store_true", help="measure the Ray embedding again, keep the index results as they are"
    )
    parser.add_argument(
        "--remeasure", type=Path, default=None, help="measure a kept index folder again (on a quiet machine)"
    )
    parser.add_argument(
        "--folder", type=Path, default=None, help="where the index goes, kept (default: a temporary folder)"
    )
    args = parser.parse_args()
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    name = f"scale_{args.n}" if args.n != 1_000_000 else "scale"  # the result file of this size
    if args.remeasure is not None:  # the same index and queries: recall, latency and memory again
        result = json.loads((RESULTS / f"{name}.json").read_text())
        folder = args.remeasure
        result[f"index_{args.n}"]["test_500_queries"] = {
            k: round(v, 4)
            for k, v in measure_in_fresh_process(folder, folder / "queries.npy", folder / "exact.npy").items()
        }
        result[f"index_{args.n}"]["files_mb"] = files_mb(folder)
        result.pop("measured_on", None)
        write_result(name, result)
        return
    if args.ray_only:  # the throughput again (after a change to the embedding), the index results kept
        path = RESULTS / "scale.json"
        result = json.loads(path.read_text())
        result["ray_embedding"] = ray_throughput(args.ray_images, (1, 2), args.ray_rounds)
        result.pop("paper_estimate_10M_hours", None)  # now inside ray_embedding
        result["ray_measured_on"] = str(datetime.date.today())
        result.setdefault("index_measured_on", result.get("measured_on", {}).get("date", "unknown"))
        result.pop("measured_on", None)
        write_result("scale", result)
        return
    result: dict = {}
    if not args.skip_ray:
        result["ray_embedding"] = ray_throughput(args.ray_images, (1, 2), args.ray_rounds)
    elif (RESULTS / f"{name}.json").is_file():  # the last Ray figures stay, dated by their own run
        before = json.loads((RESULTS / f"{name}.json").read_text())
        if "ray_embedding" in before:
            when = before.get("ray_measured_on") or before.get("measured_on", {}).get("date", "unknown")
            result["ray_measured_on"] = when
            result["ray_embedding"] = before["ray_embedding"]
    real = sample_embeddings(ROOT / "outputs" / "wikiart_sample" / "cache" / "features")
    if args.folder is not None:  # kept for a look afterwards
        result[f"index_{args.n}"] = index_benchmark(args.n, args.memory_mb, real, args.folder)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result[f"index_{args.n}"] = index_benchmark(args.n, args.memory_mb, real, Path(folder) / "index")
    write_result(name, result)


if __name__ == "__main__":
    main()
