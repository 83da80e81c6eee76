"""Inference in parts on a CPU: the same frozen features, in one pass per batch or in parts of the batch.

    python benchmarks/forward_in_parts.py --paintings 400     # -> outputs/benchmarks/forward_in_parts.json

On the WikiArt sample's first paintings, in one process, the two ways in turn (twice, so that a slower minute of the
machine does not decide): notebook 11b's five identity views (224 px whole, 112 px details) and notebook 11's frozen
Lite0 features at 128 px, in the series' batches of 64 with 2 loader workers and no cache. "one pass" runs each
batch through the network at once; "in parts" splits it into :data:`artlib.utils.runtime.CPU_FORWARD_PIXELS`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from records import SAMPLE, write_result


def _timed(make: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = make()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paintings", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import torch

    from artlib.config import settings
    from artlib.data.dataset import verify_images
    from artlib.data.prepare import load_source
    from artlib.features import table_features
    from artlib.identity.features import view_features
    from artlib.identity.views import VIEWS
    from artlib.models import create_backbone
    from artlib.utils import runtime

    cfg = settings(dataset="wikiart", data=SAMPLE["ARTLIB_DATA"], meta=SAMPLE["ARTLIB_META"], profile="cpu")
    listed = next(iter(load_source(cfg).values()))  # (the ArtGAN lists name more paintings than the sample holds)
    table = verify_images(listed.subset(np.arange(min(4 * args.paintings, len(listed)))), decode=False).table
    table = table.subset(np.arange(min(args.paintings, len(table))))
    network = create_backbone("efficientnet_lite0", pretrained=True)
    size = cfg.identity_size
    jobs = {
        "identity_views": lambda: view_features(network, {"t": table}, VIEWS, size, size // 2, num_workers=2)["t"],
        "features_128": lambda: table_features(network, {"t": table}, cfg.pretrained_size, num_workers=2)["t"],
    }
    budget = runtime.CPU_FORWARD_PIXELS
    seconds: dict[str, dict[str, list[float]]] = {job: {"one_pass": [], "in_parts": []} for job in jobs}
    largest_difference: dict[str, float] = {}
    for _ in range(args.rounds):
        for job, make in jobs.items():
            runtime.CPU_FORWARD_PIXELS = 1 << 62  # every batch in one pass
            took_whole, whole = _timed(make)
            runtime.CPU_FORWARD_PIXELS = budget
            took_parts, parts = _timed(make)
            seconds[job]["one_pass"].append(round(took_whole, 1))
            seconds[job]["in_parts"].append(round(took_parts, 1))
            largest_difference[job] = float(np.abs(whole - parts).max())
            print(job, seconds[job], flush=True)
    write_result(
        "forward_in_parts",
        {
            "paintings": len(table),
            "threads": torch.get_num_threads(),
            "cpu_forward_pixels": budget,
            "seconds": seconds,
            "speed_up": {job: round(sum(t["one_pass"]) / sum(t["in_parts"]), 2) for job, t in seconds.items()},
            "largest_feature_difference": largest_difference,
        },
        device="cpu",
    )


if __name__ == "__main__":
    main()
