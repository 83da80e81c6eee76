"""``python -m artlib.runner``: run the notebook series (:func:`artlib.runner.run_notebooks.main`)."""

import sys

from .run_notebooks import main

sys.argv[0] = "python -m artlib.runner"  # what --help shows
raise SystemExit(main())
