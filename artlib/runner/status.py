"""The run status now lives on a low floor, :mod:`artlib.utils.run_status`, so that the data pipeline and the
artefact store record without importing the runner. This name stays the same module, for notebooks and scripts."""

import sys

from ..utils import run_status

sys.modules[__name__] = run_status
