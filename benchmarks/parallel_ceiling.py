"""How much two processes can gain over one on this machine, with no Ray in between: the ceiling of a 2-worker speed-up.

    python benchmarks/parallel_ceiling.py --seconds 20      # -> outputs/benchmarks/parallel_ceiling.json

The work of one Ray embedding worker without Ray: frozen Lite0 at 224 px, one thread, batches of 16 made-up images
(no decoding), in channels_last order as ``ShardEmbedder`` runs it. One process alone, then two at once, in turn
(``--rounds`` times, so that a slower minute of the machine does not decide); images per second, summed over the
processes. Where two processes alone cannot reach 1.8x one, a 2-worker Ray pool cannot either.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

from records import write_result


def forward_rate(seconds: float, start_at: float) -> float:
    """Images per second of one thread's frozen Lite0 forward passes for ``seconds``, from ``start_at`` (epoch s)."""
    import torch

    from artlib.models import create_backbone, embed_with
    from artlib.utils.runtime import place_images, place_model

    torch.set_num_threads(1)
    network = place_model(create_backbone("efficientnet_lite0").eval(), torch.device("cpu"))
    images = place_images(torch.randn(16, 3, 224, 224), torch.device("cpu"))
    with torch.no_grad():
        embed_with(network, images)  # warm-up: oneDNN's kernels chosen
        time.sleep(max(0.0, start_at - time.time()))  # the processes start their timed work together
        done, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            embed_with(network, images)
            done += len(images)
    return done / (time.perf_counter() - began)


def together(processes: int, seconds: float) -> list[float]:
    """Each process's images per second, ``processes`` of them working at once."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        start_at = time.time() + 15.0  # past every process's import and warm-up
        return pool.starmap(forward_rate, [(seconds, start_at)] * processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rounds = []
    for _ in range(args.rounds):
        one = together(1, args.seconds)
        two = together(2, args.seconds)
        rounds.append(
            {
                "one_process": round(sum(one), 2),
                "two_processes": [round(r, 2) for r in two],
                "speed_up": round(sum(two) / sum(one), 3),
            }
        )
        print(rounds[-1], flush=True)
    write_result(
        "parallel_ceiling",
        {
            "work": "frozen efficientnet_lite0 at 224 px, 1 thread a process, batches of 16 made-up images",
            "cpus": os.cpu_count(),
            "seconds_each": args.seconds,
            "rounds": rounds,
            "speed_up_best": max(r["speed_up"] for r in rounds),
        },
    )


if __name__ == "__main__":
    main()
