"""artlib: deep learning on fine-art images.

Subpackages: :mod:`artlib.data` (parsers, datasets, splits, transforms),
:mod:`artlib.models` (architectures by name), :mod:`artlib.train` (Trainer),
:mod:`artlib.metrics`, :mod:`artlib.plots`, :mod:`artlib.fixtures`.
"""

__version__ = "0.1.0"
