"""The first cell of every notebook: ``cfg = start(OVERRIDES)``.

It sets what a reader in JupyterLab and a batch run both need: log lines from warnings up, wide pandas tables,
figures drawn inline (also when Jupyter was started under ``MPLBACKEND=Agg``), and the settings of the run
(:func:`artlib.config.settings`). Only the named noisy warnings of third-party libraries are muted; artlib's own
and every other warning stay visible.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any

from .config import Settings, settings

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
    return settings(**dict(overrides or {}))
