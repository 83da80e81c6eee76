"""``python -m artlib.run_notebooks``: the series runner's former name, kept working for users' scripts; the
command is now ``python -m artlib.runner`` (:func:`artlib.runner.run_notebooks.main`)."""

from __future__ import annotations

import sys

from .runner.run_notebooks import main

if __name__ == "__main__":
    print("note: `python -m artlib.run_notebooks` is now `python -m artlib.runner`; running it", file=sys.stderr)
    sys.exit(main())
