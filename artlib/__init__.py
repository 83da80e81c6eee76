"""artlib: deep learning on fine-art images.

Subpackages, one concept each (the table in docs/guide.md says what each owns and uses):
:mod:`~artlib.data` (reading collections), :mod:`~artlib.models` (networks by name), :mod:`~artlib.train`
(the Trainer and its recipes), :mod:`~artlib.evaluation` (scores and intervals), :mod:`~artlib.trust`
(calibration, conformal sets, open set, CAMs, suspects), :mod:`~artlib.features`, :mod:`~artlib.retrieval`,
:mod:`~artlib.pairs`, :mod:`~artlib.inference` (a saved classifier), :mod:`~artlib.store` (everything on
disk), :mod:`~artlib.studies`, :mod:`~artlib.runner` (the notebook series), :mod:`~artlib.app` (the explorer),
:mod:`~artlib.download`, :mod:`~artlib.fixtures`; top-level :mod:`~artlib.config`, :mod:`~artlib.plots`,
:mod:`~artlib.errors`.
"""

__version__ = "0.1.0"
