"""Where a 2-core machine's CPU goes while a local Ray embeds: its workers, the driver, and Ray's own processes.

    python benchmarks/ray_cpu_share.py --images 1200 --workers 2     # -> outputs/benchmarks/ray_cpu_share.json

The embedding of ``scale.py`` (frozen Lite0 at 224 px on real sample paintings), while a sampler reads every
process's CPU time each second (psutil). Processes are grouped by role: the embedding workers (Ray's
``MapWorker``), the driver (this script), Ray's services (raylet, GCS, dashboard and runtime-env agents, log
monitor, autoscaler monitor, idle prestarted workers) and the rest of the machine. On 2 cores, what Ray's services
and the driver take is what two workers cannot have: with the compute alone reaching 1.9-2.0x
(``parallel_ceiling.py``), this is the rest of the gap to a 2-worker pool's speed-up.
"""

from __future__ import annotations

import argparse
import collections
import os
import threading
import time

from scale import embed_on_ray, sample_job

from records import SAMPLE, write_result


def role(process, driver: int) -> str:
    """The role of one process in the run, by its title: worker, driver, a Ray service, or other."""
    if process.pid == driver:
        return "driver"
    text = " ".join([process.info["name"] or "", *(process.info["cmdline"] or [])])
    if "MapWorker" in text:
        return "embedding workers"
    if "default_worker" in text or "ray::" in text:
        return "ray workers not embedding (starting, idle, Ray Data's own actors)"
    if "ray" in text.lower():
        return "ray services"
    return "other"


def sample_cpu(seconds: collections.Counter, stop: threading.Event) -> None:
    """Add each process's CPU seconds, by role, to ``seconds`` every second until ``stop`` is set."""
    import psutil

    last: dict[int, float] = {}
    while not stop.wait(1.0):
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            times = process.info["cpu_times"]
            if times is None:
                continue
            used = times.user + times.system  # a Ray worker's title changes (IDLE, then MapWorker): read each time
            seconds[role(process, os.getpid())] += used - last.get(process.pid, used)
            last[process.pid] = used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for key, value in SAMPLE.items():
        os.environ.setdefault(key, value)
    paths, card = sample_job(args.images)
    seconds: collections.Counter = collections.Counter()
    stop = threading.Event()
    sampler = threading.Thread(target=sample_cpu, args=(seconds, stop), daemon=True)
    sampler.start()
    began = time.perf_counter()
    run, _ = embed_on_ray(paths, card, args.workers)  # the same job as scale.py's Ray figures
    wall = time.perf_counter() - began
    stop.set()
    sampler.join()
    available = wall * (os.cpu_count() or 1)
    write_result(
        "ray_cpu_share",
        {
            "images": len(paths),
            "workers": args.workers,
            "wall_seconds_with_ray_start": round(wall, 1),
            "embedding": run.summary(),
            "cpu_seconds": {name: round(value, 1) for name, value in seconds.most_common()},
            "share_of_the_machine": {name: round(value / available, 3) for name, value in seconds.most_common()},
        },
    )


if __name__ == "__main__":
    main()
