"""Approximate vs exact cosine search on 1M synthetic embeddings (FAISS HNSW and IVF vs flat).

    python benchmarks/similarity_1m.py --n 1000000 --dim 64 --queries 1000

Vectors are drawn around 2,000 random centres with overlapping spread (``--noise``),
queries are perturbed copies of stored vectors.
Reports build time, index size, recall@10 of each approximate index against exact search, and
per-query latency (single-query and batched) by search breadth (IVF nprobe, HNSW efSearch).
Results: outputs/benchmarks/similarity_1m.json.
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from artlib.retrieval import SimilarityIndex, normalize

from records import write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--kinds", nargs="+", default=["hnsw", "ivf"])
    parser.add_argument("--nprobe", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--ef-search", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--noise", type=float, default=1.5, help="within-cluster spread (centres are N(0, 1))")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2000, args.dim)).astype(np.float32)
    data = centres[rng.integers(0, len(centres), args.n)] + args.noise * rng.normal(size=(args.n, args.dim)).astype(
        np.float32
    )
    queries = normalize(
        data[rng.choice(args.n, args.queries, replace=False)]
        + 0.1 * rng.normal(size=(args.queries, args.dim)).astype(np.float32)
    )
    ids = np.arange(args.n)
    start = time.perf_counter()
    exact = faiss.IndexFlatIP(args.dim)
    exact.add(normalize(data))
    _, truth = exact.search(queries, args.k)
    exact_s = time.perf_counter() - start
    out = {
        "n": args.n,
        "dim": args.dim,
        "noise": args.noise,
        "queries": args.queries,
        "k": args.k,
        "exact_build_and_search_seconds": round(exact_s, 2),
        "exact_ms_per_query": round(exact_s / args.queries * 1000, 2),
        "faiss_threads": faiss.omp_get_max_threads(),
    }
    breadths = {"ivf": ("nprobe", args.nprobe), "hnsw": ("efSearch", args.ef_search)}
    for kind in args.kinds:
        start = time.perf_counter()
        index = SimilarityIndex(data, ids, kind=kind, hnsw_m=args.hnsw_m, ef_construction=args.ef_construction)
        out[kind] = {
            "build_seconds": round(time.perf_counter() - start, 1),
            "index_mb": round(len(faiss.serialize_index(index.index)) / 2**20, 1),
            "by_breadth": [],
        }
        if kind == "ivf":
            out[kind]["nlist"] = index.index.nlist
        else:
            out[kind].update(M=args.hnsw_m, efConstruction=args.ef_construction)
        knob, values = breadths[kind]
        for value in values:
            if kind == "ivf":
                index.index.nprobe = value
            else:
                index.index.hnsw.efSearch = value
            start = time.perf_counter()
            _, found = index.search(queries, args.k)
            batch_ms = (time.perf_counter() - start) / args.queries * 1000
            start = time.perf_counter()
            for q in queries[:200]:
                index.search(q[None], args.k)
            single_ms = (time.perf_counter() - start) / 200 * 1000
            recall = np.mean([len(set(f) & set(t)) / args.k for f, t in zip(found, truth, strict=True)])
            out[kind]["by_breadth"].append(
                {
                    knob: value,
                    f"recall@{args.k}": round(float(recall), 4),
                    "ms_per_query_batched": round(batch_ms, 3),
                    "ms_per_query_single": round(single_ms, 3),
                }
            )
        print(kind, out[kind], flush=True)
        del index
    write_result("similarity_1m", out)


if __name__ == "__main__":
    main()
