"""The series' notebooks as files: valid nbformat 4.5, no stored outputs, a ``parameters`` cell, a story told in
at least :data:`MIN_MARKDOWN_CELLS` markdown cells and at most :data:`MAX_CODE_LINES` lines of code.

Run by the pre-commit hook: ``python -m artlib.runner.notebook_files notebooks/*.ipynb`` (exit 1, naming each problem).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: What each step does and what its result means, for a student reading in JupyterLab.
MIN_MARKDOWN_CELLS = 3
#: The logic lives in artlib; a notebook tells the story.
MAX_CODE_LINES = 100


def notebook_problems(path: str | Path) -> list[str]:
    """What keeps ``path`` from being committed as a clean notebook of the series (empty: nothing)."""
    import nbformat

    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        nbformat.validate(nbformat.from_dict(raw))
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        return [f"not a valid notebook: {str(exc).splitlines()[0]}"]
    problems = []
    missing_ids = [i for i, cell in enumerate(raw["cells"]) if "id" not in cell]
    if missing_ids:
        problems.append(f"cells {missing_ids} have no id (nbformat 4.5 requires one)")
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    if any(c.get("outputs") or c.get("execution_count") for c in code):
        problems.append("outputs are stored; clear them before committing (Edit > Clear Outputs of All Cells)")
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in code):
        problems.append("no cell tagged 'parameters' (it lets the notebook be pointed at real data)")
    markdown = sum(c["cell_type"] == "markdown" for c in raw["cells"])
    if markdown < MIN_MARKDOWN_CELLS:
        problems.append(f"{markdown} markdown cell(s): explain what it asks, each step and its result in >= 3")
    lines = sum(len("".join(c["source"]).splitlines()) for c in code)
    if lines > MAX_CODE_LINES:
        problems.append(f"{lines} lines of code (at most {MAX_CODE_LINES}): move recipes into artlib")
    return problems


def main(argv: list[str] | None = None) -> int:
    failed = 0
    for name in argv if argv is not None else sys.argv[1:]:
        for problem in notebook_problems(name):
            print(f"{name}: {problem}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
