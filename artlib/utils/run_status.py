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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Settings
    from ..data.table import ArtTable

STATUS_DIR = "run_status"


def notebook_name() -> str:
    return os.environ.get("ARTLIB_NOTEBOOK", "interactive")


def status_file(outputs: Path, notebook: str | None = None) -> Path:
    return Path(outputs) / STATUS_DIR / f"{notebook or notebook_name()}.jsonl"


def record(outputs: Path, kind: str, **fields: Any) -> None:
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


def used_data(cfg: Settings, what: str, images: int, source: str | None = None) -> None:
    """Record that an analysis ran on ``images`` images of ``source`` (default: the configured data)."""
    record(cfg.outputs, "data", what=what, source=source or cfg.source_label, images=int(images))


def _banner(label: str, what: str, why: str, source: str) -> None:
    print("!" * 100 + f"\n!! {label.upper()}: {what}. {why} (data: {source})\n" + "!" * 100)
    title = f"{label}: {what}"
    try:
        from IPython.display import HTML, display

        display(
            HTML(
                '<div style="border:4px solid #c0392b;background:#fdecea;padding:12px;font-size:1.1em">'
                f"<b>&#9888; {html.escape(title)}</b><br>{html.escape(why)}<br>"
                f"<small>data: {html.escape(source)}</small></div>"
            )
        )
    except ImportError:
        pass


def unavailable(cfg: Settings, what: str, why: str) -> None:
    """Show a banner that ``what`` cannot run on the configured data, and record it."""
    source = "the generated fixture" if cfg.is_fixture else f"{cfg.dataset} data at {cfg.data}"
    _banner("Not run", what, why, source)
    record(cfg.outputs, "unavailable", what=what, why=why, source=source)


def sparse_tasks(cfg: Settings, train: ArtTable, min_images: int = 5, share: float = 0.5) -> list[str]:
    """Tasks of a training table (an :class:`~artlib.data.ArtTable`) most of whose classes have fewer than
    ``min_images`` training images: their test scores say little. A banner and a record each (the run
    summary lists them); returns their names."""
    source = "the generated fixture" if cfg.is_fixture else f"{cfg.dataset} data at {cfg.data}"
    weak = []
    for task in train.tasks:
        counts = train.counts(task)
        few = int((counts < min_images).sum())
        if few > share * len(counts):
            why = (
                f"{few} of its {len(counts)} classes have fewer than {min_images} training images "
                f"({int((counts == 0).sum())} have none): the model cannot learn them and its scores on "
                f"this task mean little. Keep fewer classes (ARTLIB_TASKS, or merge rare ones) or add images."
            )
            _banner("Hopeless task", task, why, source)
            record(cfg.outputs, "sparse", what=f"the {task} task", why=why, source=source)
            weak.append(task)
    return weak
