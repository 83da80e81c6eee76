"""Image files to classify: files and folders expanded to the images artlib can read, and the columns of a
prediction table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.folders import IMAGE_EXTENSIONS, walk_files

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


#: the columns of :meth:`Classifier.predict`
PREDICTION_COLUMNS = ["path", "task", "predicted", "confidence", "top_k", "prediction_set", "verdict", "error"]


def find_images(images: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files as given; folders expanded (recursively, sorted) to their image files; and what was not taken.

    Hidden files and folders (``.ipynb_checkpoints``, ``.DS_Store``) are left out without a word; in a folder,
    a file of another type and a link to nothing are returned as ``(path, why)`` problems, so that each gets
    a row of its own. A missing path given by name raises ``FileNotFoundError``.
    """
    found: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for item in images:
        item = Path(item)
        if item.is_dir():
            inside = []
            for p in walk_files(item):
                if p.is_symlink() and not p.exists():
                    problems.append((p, f"a link to nothing ({os.readlink(p)})"))
                elif not p.is_file():
                    problems.append((p, "not a regular file (a FIFO or a socket)"))
                elif p.suffix.lower() in IMAGE_EXTENSIONS:
                    inside.append(p)
                else:
                    problems.append((p, f"not an image type ({p.suffix or 'no extension'})"))
            if not inside:
                log.warning("no image files under %s", item)
            found += inside
        elif item.exists():
            found.append(item)
        elif item.is_symlink():
            problems.append((item, f"a link to nothing ({os.readlink(item)})"))
        else:
            raise FileNotFoundError(f"no such image or folder: {item}")
    return found, problems
