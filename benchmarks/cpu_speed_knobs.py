"""Two ways the series might run faster on 2 cores without a smaller profile, measured: notebooks side by side at
one thread each, and bfloat16 on a processor with AMX.

    python benchmarks/cpu_speed_knobs.py --seconds 15     # -> outputs/benchmarks/cpu_speed_knobs.json

Each in a fresh process (torch's thread count is set once a process): a Lite0 training step as notebook 08 takes
them (batch 32 at 128 px, AdamW, channels_last), and frozen Lite0 features at 224 px (batches of 16, as 11b's
views), with 1 or 2 threads, in float32 or under ``torch.autocast("cpu", torch.bfloat16)``; milliseconds a step
and a painting over ``--seconds`` of work after two warm-up passes. Made-up images: only the time is measured.

- Two notebooks at once, one thread each, gain over one at two threads by the ratio of two 1-thread processes
  (``parallel_ceiling.py``: 1.93-1.99x) to the 2-thread speed-up of one process measured here.
- bfloat16 changes every number a network gives (3 significant digits): the series' results would have to be
  measured again, so it is a choice to make, not a free speed-up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from records import write_result

WORK = """
import json, sys, time, torch
from artlib.models import create_model
from artlib.utils.runtime import place_images, place_model
threads, bf16, seconds = int(sys.argv[1]), sys.argv[2] == "bf16", float(sys.argv[3])
torch.set_num_threads(threads)
cpu = torch.device("cpu")
model = place_model(create_model("efficientnet_lite0", {"style": 11}), cpu).train()
optimiser = torch.optim.AdamW(model.parameters(), 1e-3)
images, labels = place_images(torch.randn(32, 3, 128, 128), cpu), torch.randint(0, 11, (32,))
def step():
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = torch.nn.functional.cross_entropy(model(images)["style"].float(), labels)
    optimiser.zero_grad(); loss.backward(); optimiser.step()
def timed(work, each):
    work(); work(); began, done = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        work(); done += 1
    return 1000 * (time.perf_counter() - began) / (done * each)
train = timed(step, 1)
model.eval(); views = place_images(torch.randn(16, 3, 224, 224), cpu)
with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
    infer = timed(lambda: model.embed(views), 16)
print(json.dumps({"train_step_ms": round(train, 1), "features_224_ms_a_painting": round(infer, 2)}))
"""


def measure(threads: int, precision: str, seconds: float) -> dict:
    """One fresh process's figures for ``threads`` threads in ``precision`` (``fp32`` or ``bf16``)."""
    done = subprocess.run([sys.executable, "-c", WORK, str(threads), precision, str(seconds)],
                          capture_output=True, text=True, check=True, timeout=600)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    runs = {f"{threads}_threads_{precision}": measure(threads, precision, args.seconds)
            for threads, precision in ((1, "fp32"), (2, "fp32"), (2, "bf16"))}  # fmt: skip
    one, two, bf16 = runs["1_threads_fp32"], runs["2_threads_fp32"], runs["2_threads_bf16"]
    write_result(
        "cpu_speed_knobs",
        {
            "runs": runs,
            "two_threads_speed_up_train": round(one["train_step_ms"] / two["train_step_ms"], 2),
            "bf16_speed_up_train": round(two["train_step_ms"] / bf16["train_step_ms"], 2),
            "bf16_speed_up_features": round(two["features_224_ms_a_painting"] / bf16["features_224_ms_a_painting"], 2),
        },
    )


if __name__ == "__main__":
    main()
