"""Which notebook makes an artefact. The store names no notebook: each notebook says what it makes in its own
metadata, ``{"artlib": {"makes": ["classifier", "metric_*"]}}`` (``fnmatch`` patterns), and a saved artefact
carries the ``made_by`` stamp of the notebook that saved it.

    maker("classifier")                     # '08_efficientnet' (from notebooks/08_efficientnet.ipynb)
    maker("classifier", made_by="08_x")     # the stamp wins
"""

from __future__ import annotations

import fnmatch
import json
import os
from functools import lru_cache
from pathlib import Path

from ..utils.paths import project_root

#: A folder of notebooks other than the checkout's ``notebooks/`` (a user's own series).
NOTEBOOKS_VARIABLE = "ARTLIB_NOTEBOOKS"


def notebooks_folder() -> Path:
    return Path(os.environ.get(NOTEBOOKS_VARIABLE) or project_root() / "notebooks")


@lru_cache(maxsize=8)
def _declared(folder: str, stamp: tuple[tuple[str, float], ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for name, _ in stamp:
        try:
            meta = json.loads((Path(folder) / name).read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            continue  # a damaged notebook declares nothing; the runner reports it
        makes = (meta.get("artlib") or {}).get("makes") or [] if isinstance(meta, dict) else []
        pairs += [(str(pattern), Path(name).stem) for pattern in makes if isinstance(pattern, str)]
    return tuple(pairs)


def declared_makers(folder: str | Path | None = None) -> dict[str, str]:
    """``{pattern: notebook}`` of every notebook in ``folder`` (default :func:`notebooks_folder`) that declares what it
    makes; read again when a notebook changes."""
    root = Path(folder) if folder is not None else notebooks_folder()
    if not root.is_dir():
        return {}
    stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in root.glob("*.ipynb")))
    return dict(_declared(str(root), stamp))


def maker(name: str, made_by: str | None = None) -> str | None:
    """The notebook that makes artefact ``name``: its ``made_by`` stamp when that names a notebook of the series
    (``NN_...``; not ``interactive``, a session outside the runner), else the notebook that declares it (None when
    none does)."""
    if made_by and made_by[:2].isdigit():
        return made_by
    return next((nb for pattern, nb in declared_makers().items() if fnmatch.fnmatchcase(name, pattern)), None)
