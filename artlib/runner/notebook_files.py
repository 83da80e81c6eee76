"""The series' notebooks as files: valid nbformat 4.5, no stored outputs, a ``parameters`` cell, a story told in
at least :data:`MIN_MARKDOWN_CELLS` markdown cells and at most :data:`MAX_CODE_LINES` lines of code.

Run by the pre-commit hook: ``python -m artlib.runner.notebook_files notebooks/*.ipynb`` (exit 1, naming each problem).
"""

from __future__ import annotations

import ast
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
    problems += [f"code cell {i}: {why}" for i, why in _guards_not_last(code)]
    lines = sum(len("".join(c["source"]).splitlines()) for c in code)
    if lines > MAX_CODE_LINES:
        problems.append(f"{lines} lines of code (at most {MAX_CODE_LINES}): move recipes into artlib")
    return problems


#: The calls that stop a notebook when the data cannot give a step (artlib.runner.notebook).
STOPPERS = ("guard", "stop_here")


def _guards_not_last(cells: list[dict]) -> list[tuple[int, str]]:
    """Cells where a statement follows a ``guard`` / ``stop_here`` step: a stopped notebook skips the later cells,
    but the rest of the same cell still runs (and meets the names the step did not make)."""
    found = []
    for number, cell in enumerate(cells):
        source = "\n".join(
            line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        try:
            body = ast.parse(source).body
        except SyntaxError:
            continue
        for statement in body[:-1]:
            calls = [n for n in ast.walk(statement) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
            if any(call.func.id in STOPPERS for call in calls if isinstance(call.func, ast.Name)):
                found.append((number, f"line {statement.lineno}: a guard or stop_here step must end its cell"))
                break
    return found


def main(argv: list[str] | None = None) -> int:
    failed = 0
    for name in argv if argv is not None else sys.argv[1:]:
        for problem in notebook_problems(name):
            print(f"{name}: {problem}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
