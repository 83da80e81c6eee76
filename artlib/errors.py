"""The one error a notebook turns into a banner instead of a failure: the data lacks what an analysis needs."""

from __future__ import annotations


class NotEnoughDataError(ValueError):
    """The data cannot give what an analysis needs (too few images, classes or pairs). The message says what
    is missing and what would be needed; :func:`artlib.runner.notebook.guard` shows it as a banner and stops the
    notebook there, so that the run summary says "not run on this data" rather than "FAILED"."""
