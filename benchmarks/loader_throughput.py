"""Images/s of decode + augment alone (no model), by number of DataLoader workers, original vs pre-resized.

    python benchmarks/loader_throughput.py --workers 0 1 2 --image-size 224

Reads ../shared/data/cnpaint (train split). Compare with the training images/s of
benchmarks/throughput.py on the GPU: the loader must be faster. Results:
outputs/benchmarks/loader_throughput.json.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from torch.utils.data import DataLoader

from results import write_result
from artlib.data import load_split_folders
from artlib.data.cache import build_resized_cache
from artlib.data.dataset import ArtDataset, collate_skip_none
from artlib.data.transforms import train_transform

ROOT = Path(__file__).resolve().parents[1]


def images_per_second(table, size: int, workers: int, batch_size: int, limit: int) -> float:
    loader = DataLoader(ArtDataset(table, train_transform(size), on_error="skip"), batch_size=batch_size,
                        shuffle=True, num_workers=workers, collate_fn=collate_skip_none)
    seen, start = 0, None
    for k, batch in enumerate(loader):
        if k == 1:  # skip the first batch: worker start-up
            start, seen = time.perf_counter(), 0
        if batch is not None:
            seen += len(batch[0])
        if seen >= limit:
            break
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--images", type=int, default=768)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "cache" / "cnpaint")
    args = parser.parse_args()
    table = load_split_folders(args.data_root)["train"]
    start = time.perf_counter()
    cached = build_resized_cache(table, args.cache, shorter_side=256, progress=False)
    build_s = time.perf_counter() - start
    out = {"dataset": str(args.data_root.name), "image_size": args.image_size, "cpu_cores": os.cpu_count(),
           "cache_build_seconds": round(build_s, 1), "rows": []}
    for workers in args.workers:
        for name, t in (("original", table), ("cache256", cached)):
            ips = images_per_second(t, args.image_size, workers, args.batch_size, args.images)
            out["rows"].append({"source": name, "workers": workers, "images_per_s": round(ips, 1)})
            print(out["rows"][-1], flush=True)
    write_result("loader_throughput", out)


if __name__ == "__main__":
    main()
