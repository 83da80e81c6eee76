"""The `full` profile on a CPU, on a 64-painting slice: every notebook, every full-size model, one epoch.

    python benchmarks/full_profile_smoke.py                 # ~25 min on 2 cores (see outputs/benchmarks)
    python benchmarks/full_profile_smoke.py --only 05 06    # some notebooks

What it exercises that CI (the `ci` profile) does not: full-size RLA-ResNet50 (+SE / ECA / CBAM), the
torchvision Siamese backbones of notebook 12, HPO with the full search space, 224 px inputs, the profile's
DataLoader workers, on data given by ``ARTLIB_DATA`` (a 64-work fixture written in the ArtGAN layout to a
temporary folder), so the real-data code paths run. Epochs, trials and pairs per image are 1 and the batch
size is 16 (64 images would not fill the profile's 64); everything else is the profile's. Pretrained weights
that need a download (torchvision's) are reported by the notebook that wanted them; the series goes on.

Result: ``outputs/benchmarks/full_profile_smoke.json`` (status and seconds per notebook, the machine, the date);
the executed notebooks in ``outputs/full_profile_smoke/`` (git-ignored), to read a failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from records import ROOT, write_result

#: The profile's settings this smoke run lowers, and to what.
OVERRIDES = {
    "ARTLIB_EPOCHS": "1",
    "ARTLIB_HPO_TRIALS": "1",
    "ARTLIB_HPO_EPOCHS": "1",
    "ARTLIB_PAIRS_PER_IMAGE": "1",
    "ARTLIB_BATCH_SIZE": "16",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 05 06")
    parser.add_argument("--n-works", type=int, default=64)
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    args = parser.parse_args(argv)
    from artlib.fixtures import make_fixture

    with tempfile.TemporaryDirectory(prefix="artlib-full-smoke-") as tmp:
        data = make_fixture(Path(tmp) / "data", n_works=args.n_works)
        outputs = Path(tmp) / "outputs"
        env = {
            **os.environ,
            "ARTLIB_PROFILE": "full",
            "ARTLIB_DATASET": "wikiart",
            "ARTLIB_DATA": str(data.wikiart_images),
            "ARTLIB_META": str(data.wikiart_csv),
            "ARTLIB_OUTPUTS": str(outputs),
            "HF_HUB_OFFLINE": "1",
            **OVERRIDES,
        }
        command = [sys.executable, "-m", "artlib.runner", "--timeout", str(args.timeout)]
        if args.only:
            command += ["--only", *args.only]
        start = time.perf_counter()
        run = subprocess.run(command, env=env, cwd=ROOT)
        seconds = time.perf_counter() - start
        summary = pd.read_csv(outputs / "notebooks" / "summary.csv")
        kept = ROOT / "outputs" / "full_profile_smoke"  # git-ignored: the executed notebooks, to read failures
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(outputs / "notebooks", kept)
    result = {
        "what": f"every notebook under the `full` profile on a CPU, {args.n_works}-work fixture in the ArtGAN "
        "layout given as ARTLIB_DATA",
        "overrides": OVERRIDES,
        "exit_code": run.returncode,
        "total_minutes": round(seconds / 60, 1),
        "notebooks": summary[["notebook", "seconds", "status", "not run on this data"]].fillna("").to_dict("records"),
    }
    write_result("full_profile_smoke", result)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
