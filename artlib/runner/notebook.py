"""The first cell of every notebook: ``cfg = start(OVERRIDES)``.

It sets what a reader in JupyterLab and a batch run both need: log lines from warnings up, wide pandas tables,
figures drawn inline (also when Jupyter was started under ``MPLBACKEND=Agg``), the settings of the run
(:func:`artlib.config.settings`) and torch's CPU thread count when they name one (``ARTLIB_THREADS``). Only the
named noisy warnings of third-party libraries are muted; artlib's own and every other warning stay visible.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..config import Settings, settings
from ..errors import NotEnoughDataError
from ..utils import run_status
from .fixture_checks import check

__all__ = ["check", "guard", "start", "stop_here"]

#: Libraries whose UserWarnings say nothing a reader can act on in these notebooks (deprecations of their own
#: arguments, thread-count notices, pretrained-weight notices).
NOISY_MODULES = (
    "albumentations",
    "umap",
    "pynndescent",
    "efficientnet_pytorch",
    "efficientnet_lite_pytorch",
    "pytorch_metric_learning",
    "torchvision",
    "timm",
    "kornia",
    "optuna",
    "pytorch_grad_cam",
)


def start(overrides: dict[str, Any] | None = None, log_level: int = logging.WARNING) -> Settings:
    """Set up logging, display and figures for a notebook and return its settings (``overrides``: the notebook's
    parameters cell, e.g. ``{"profile": "full", "epochs": 40}``)."""
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s", force=True)
    pattern = "|".join(NOISY_MODULES)
    warnings.filterwarnings("ignore", category=UserWarning, module=rf"({pattern})(\..*)?$")
    warnings.filterwarnings("ignore", category=FutureWarning, module=rf"({pattern})(\..*)?$")
    import pandas as pd

    pd.set_option("display.width", 160)
    if "ipykernel" in sys.modules:  # inside a kernel: figures go into the notebook, whatever MPLBACKEND says
        import matplotlib

        matplotlib.use("module://matplotlib_inline.backend_inline")
    from ..utils.fonts import use_fallback_fonts

    use_fallback_fonts()  # figures name paintings in any script
    cfg = settings(**dict(overrides or {}))
    apply_threads(cfg)
    return cfg


def apply_threads(cfg: Settings) -> None:
    """Give torch ``cfg.threads`` CPU threads (0 leaves its default): the same count repeats a run bit for bit."""
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)


@contextmanager
def guard(cfg: Settings, what: str) -> Iterator[None]:
    """Run a notebook step; when the data cannot give it (:class:`~artlib.errors.NotEnoughDataError`), show a
    banner saying what and why, record it for the run summary, and skip the rest of the notebook
    (:func:`stop_here`). Any other error fails the cell as usual."""
    try:
        yield
    except NotEnoughDataError as exc:
        stop_here(cfg, what, str(exc))


def stop_here(cfg: Settings, what: str, why: str) -> None:
    """The banner-and-stop of a notebook whose data cannot give ``what``: a banner, a ``NOT RUN`` record, and in
    a kernel every later cell replaced by a line saying it was skipped (restart the kernel to run them again).
    Outside a kernel (a script) it raises :class:`~artlib.errors.NotEnoughDataError`."""
    run_status.unavailable(cfg, what, why)
    shell = _ipython()
    if shell is None:
        raise NotEnoughDataError(f"{what}: {why}")
    note = f"skipped: {what} cannot run on this data (see the banner above); restart the kernel to run it again"
    shell.input_transformers_post.append(lambda lines: [f"print({note!r})\n"])


def _ipython() -> Any:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()
