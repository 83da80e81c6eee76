"""What a notebook run used and what it could not do, recorded for ``run_notebooks``' summary.

A notebook never swaps in other data silently: when the configured data lacks what an analysis needs,
:func:`unavailable` shows a loud banner in the notebook's output and records it; :func:`used_data` records
which data an analysis ran on. Records go to ``<outputs>/run_status/<notebook>.jsonl``, the notebook being
named by ``ARTLIB_NOTEBOOK`` (``run_notebooks`` sets it) or ``interactive``.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

STATUS_DIR = "run_status"


def notebook_name() -> str:
    return os.environ.get("ARTLIB_NOTEBOOK", "interactive")


def status_file(outputs: Path, notebook: str | None = None) -> Path:
    return Path(outputs) / STATUS_DIR / f"{notebook or notebook_name()}.jsonl"


def record(outputs: Path, kind: str, **fields) -> None:
    """Append one record (``kind`` = ``data`` or ``unavailable``) for the running notebook."""
    path = status_file(outputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": kind, **fields}, ensure_ascii=False, default=str) + "\n")


def read(outputs: Path, notebook: str) -> list[dict]:
    path = status_file(outputs, notebook)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def clear(outputs: Path, notebook: str) -> None:
    status_file(outputs, notebook).unlink(missing_ok=True)


def used_data(cfg, what: str, images: int, source: str | None = None) -> None:
    """Record that an analysis ran on ``images`` images of ``source`` (default: the configured data)."""
    record(cfg.outputs, "data", what=what, source=source or cfg.source_label, images=int(images))


def unavailable(cfg, what: str, why: str) -> None:
    """Show a banner that ``what`` cannot run on the configured data, and record it."""
    source = "the generated fixture" if cfg.is_fixture else f"{cfg.dataset} data at {cfg.data}"
    text = f"NOT RUN: {what}. {why} (data: {source})"
    print("!" * 100 + f"\n!! {text}\n" + "!" * 100)
    try:
        from IPython.display import HTML, display
        display(HTML('<div style="border:4px solid #c0392b;background:#fdecea;padding:12px;font-size:1.1em">'
                     f"<b>&#9888; Not run: {html.escape(what)}</b><br>{html.escape(why)}<br>"
                     f"<small>data: {html.escape(source)}</small></div>"))
    except ImportError:
        pass
    record(cfg.outputs, "unavailable", what=what, why=why, source=source)
