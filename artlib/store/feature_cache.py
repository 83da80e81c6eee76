"""The feature cache lives with the features it keeps, :mod:`artlib.features.cache` (a lower floor than the
store); this name stays the same module, for scripts that import it."""

import sys

from ..features import cache

sys.modules[__name__] = cache
