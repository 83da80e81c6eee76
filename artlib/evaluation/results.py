"""Headline results of a notebook run, each with its 95 % interval, and their summary table.

Notebooks call :func:`task_scores` / :func:`save_result`; ``python -m artlib.evaluation.results OUTPUTS`` (and
``run_notebooks`` at its end) gathers ``<outputs>/results/*.json`` into ``<outputs>/results/summary.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..utils.provenance import measured_on
from .metrics import TopK, top_ks
from .significance import accuracy_interval, bootstrap_interval, macro_f1

if TYPE_CHECKING:
    from ..config import Settings

RESULTS_DIR = "results"
#: Record keys that are not a result's free ``info`` (written apart in the summary).
_NOT_INFO = ("key", "title", "data", "profile", "rows", "measured_on")


def task_scores(
    labels: Mapping[str, np.ndarray], probs: Mapping[str, np.ndarray], top_k: TopK = 3, n_resamples: int = 1000
) -> pd.DataFrame:
    """Per task: test images, accuracy (Wilson interval), top-k accuracy (Wilson; ``top_k`` as every scoring
    function takes it: one k, several, or ``None``) and macro-F1 (bootstrap)."""
    rows = {}
    for task, p in probs.items():
        y = np.asarray(labels[task])
        keep = y >= 0
        y, p = y[keep], np.asarray(p)[keep]
        if len(y) < 2:
            continue
        pred = p.argmax(1)
        row: dict[str, float] = {"n": len(y)}
        row.update(zip(("accuracy", "accuracy_low", "accuracy_high"), accuracy_interval(pred == y), strict=True))
        for k in top_ks(top_k):
            if p.shape[1] <= k:
                continue
            top = np.argsort(-p, axis=1)[:, :k]
            row.update(
                zip(
                    (f"top{k}", f"top{k}_low", f"top{k}_high"),
                    accuracy_interval((top == y[:, None]).any(1)),
                    strict=True,
                )
            )
        row.update(
            zip(
                ("macro_f1", "macro_f1_low", "macro_f1_high"),
                bootstrap_interval(macro_f1, y, pred, n_resamples=n_resamples),
                strict=True,
            )
        )
        rows[task] = row
    return pd.DataFrame(rows).T.rename_axis("task")


def save_result(cfg: Settings, key: str, title: str, table: pd.DataFrame, **info: Any) -> Path:
    """Write ``<outputs>/results/<key>.json``: the table (rows = tasks or models) with what it was measured on
    (data, profile, ``info``, and the date, code and machine: :func:`~artlib.utils.provenance.measured_on`)."""
    record = {
        "key": key,
        "title": title,
        "data": cfg.source_label,
        "profile": cfg.profile,
        "rows": json.loads(table.reset_index().to_json(orient="records")),
        **info,
        "measured_on": measured_on(),
    }
    path = cfg.out(RESULTS_DIR, f"{key}.json")
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n")
    return path


def _cell(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if name == "n":
        return str(int(value))
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    if low is None or high is None:
        return f"{value:.3f}" if isinstance(value, float) else str(value)
    return f"{value:.3f} ({low:.3f}-{high:.3f})"


def _measured_line(m: dict) -> str:
    """``measured_on`` in one line: when, which code, on what."""
    machine = ", ".join(str(m[k]) for k in ("cpu", "cpu_capability") if m.get(k))
    threads = f", {m['torch_threads']} threads" if m.get("torch_threads") else ""
    return (
        f"measured {m.get('date', '?')} with artlib {m.get('code', '?')}, torch {m.get('torch', '?')}, "
        f"on {m.get('device', '?')} ({machine}{threads})"
    )


def summary_markdown(outputs: str | Path) -> str:
    """One markdown table per saved result, estimates with their 95 % intervals."""
    folder = Path(outputs) / RESULTS_DIR
    parts = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        rows = record.get("rows", [])
        if not rows:
            continue
        label = next(iter(rows[0]))
        metrics = [c for c in rows[0] if c != label and not c.endswith(("_low", "_high"))]
        lines = [
            f"### {record['title']}",
            "",
            f"data: {record['data']}, profile `{record['profile']}`"
            + "".join(f"; {k}: {v}" for k, v in record.items() if k not in _NOT_INFO),
            *(["", _measured_line(record["measured_on"])] if "measured_on" in record else []),
            "",
            "| " + " | ".join([label, *metrics]) + " |",
            "|" + "---|" * (len(metrics) + 1),
        ]
        lines += ["| " + " | ".join([str(r[label]), *(_cell(r, m) for m in metrics)]) + " |" for r in rows]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + ("\n" if parts else "")


def write_summary(outputs: str | Path) -> Path:
    path = Path(outputs) / RESULTS_DIR / "summary.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Results (95 % intervals in brackets)\n\n" + summary_markdown(outputs), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gather <outputs>/results/*.json into results/summary.md")
    parser.add_argument("outputs", type=Path, nargs="?", default=Path("outputs"))
    args = parser.parse_args(argv)
    print(write_summary(args.outputs).read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
