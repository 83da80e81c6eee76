"""Where artlib runs from: its checkout (an editable install) or the working directory."""

from __future__ import annotations

from pathlib import Path


def checkout_root() -> Path | None:
    """The artlib checkout this package runs from (an editable install), or None (an installed package)."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").is_file() and (here / "notebooks").is_dir() else None


def project_root() -> Path:
    """The artlib checkout (editable install) or, failing that, the working directory."""
    return checkout_root() or Path.cwd()
