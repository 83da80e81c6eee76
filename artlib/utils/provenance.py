"""Where and with what a number was measured: stored beside every result, so a rerun can be compared."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from .runtime import resolve_device


def code_version(checkout: Path | None = None) -> str:
    """The commit of the artlib checkout (``+changes`` when its code differs from it; ``checkout``: default the
    one this package runs from), or the package version for an installed package or outside git."""
    from .. import __version__
    from .paths import checkout_root

    checkout = checkout or checkout_root()
    if checkout is None:  # an installed package: a repository around it would be someone else's code
        return f"artlib {__version__}"

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise OSError(done.stderr.strip())
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", "artlib", "notebooks", "benchmarks")
    except (OSError, subprocess.SubprocessError):  # no git, or not a checkout (an installed wheel)
        return f"artlib {__version__}"
    return f"{commit}+changes" if changed else commit


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measured_on(device: str | torch.device = "auto") -> dict[str, Any]:
    """The date, code, library versions and machine of a measurement (the device as training resolves it)."""
    resolved = resolve_device(device)
    card = torch.cuda.get_device_name(resolved) if resolved.type == "cuda" else str(resolved)
    return {
        "date": datetime.date.today().isoformat(),
        "code": code_version(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": card,
        "cpu": cpu_name(),
        # the vector instructions torch's CPU kernels use: kernels differ by instruction set, and so may rounding
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": sys.platform,
    }
