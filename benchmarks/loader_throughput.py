"""Images/s of the input pipeline alone (no model), by number of DataLoader workers.

    python benchmarks/loader_throughput.py --workers 0 1 2 --image-size 224

Reads ../shared/data/cnpaint (train split). Rows: decode + augment on the CPU workers
(original files vs the pre-resized cache), and decode only (uint8, for augmentation on the
device); plus the images/s of that device augmentation (kornia, batches of 64) on the
best device present. Compare with the training images/s of benchmarks/throughput.py on the
GPU: the loader must be faster. Results: outputs/benchmarks/loader_throughput.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from artlib.data.dataset import ArtDataset, collate_skip_none
from artlib.data.device_augment import DeviceAugment, decode_size, decode_transform
from artlib.data.transforms import train_transform
from artlib.store.resized_images import build_resized_cache
from artlib.utils import resolve_device

from records import ROOT, load_cnpaint, write_result


def images_per_second(table, transform, workers: int, batch_size: int, limit: int) -> float:
    loader = DataLoader(
        ArtDataset(table, transform, on_error="skip"),
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        collate_fn=collate_skip_none,
    )
    seen, start = 0, None
    for k, batch in enumerate(loader):
        if k == 1:  # skip the first batch: worker start-up
            start, seen = time.perf_counter(), 0
        if batch is not None:
            seen += len(batch[0])
        if seen >= limit:
            break
    return seen / (time.perf_counter() - start)


def device_augment_per_second(size: int, batch_size: int, device: torch.device, repeats: int = 20) -> float:
    """Images/s of :class:`DeviceAugment` on uint8 batches already on ``device``."""
    augment = DeviceAugment(size).to(device)
    side = decode_size(size)
    batch = torch.randint(0, 256, (batch_size, 3, side, side), dtype=torch.uint8, device=device)
    augment(batch)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        augment(batch)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return repeats * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data" / "cnpaint")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--images", type=int, default=768)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "cache" / "cnpaint")
    args = parser.parse_args()
    table = load_cnpaint(args.data_root)["train"]
    start = time.perf_counter()
    cached = build_resized_cache(table, args.cache, shorter_side=256, progress=False)
    build_s = time.perf_counter() - start
    out = {
        "dataset": str(args.data_root.name),
        "image_size": args.image_size,
        "cache_build_seconds": round(build_s, 1),
        "rows": [],
    }
    cpu_augment, decode_only = train_transform(args.image_size), decode_transform(args.image_size)
    for workers in args.workers:
        for name, t, transform, mode in (
            ("original", table, cpu_augment, "decode + augment"),
            ("cache256", cached, cpu_augment, "decode + augment"),
            ("original", table, decode_only, "decode only (uint8)"),
        ):
            ips = images_per_second(t, transform, workers, args.batch_size, args.images)
            out["rows"].append({"source": name, "mode": mode, "workers": workers, "images_per_s": round(ips, 1)})
            print(out["rows"][-1], flush=True)
    device = resolve_device()
    out["device_augment"] = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "images_per_s": round(device_augment_per_second(args.image_size, args.batch_size, device), 1),
    }
    print(out["device_augment"], flush=True)
    write_result("loader_throughput", out, device=device)


if __name__ == "__main__":
    main()
