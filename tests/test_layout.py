"""The package layout docs/guide.md draws is the one the code has: every subpackage listed, and the
subpackages each one uses (imports, lazy ones included) as the table says."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: used by every layer, left out of the table's "uses" column
FOUNDATION = {"config", "errors", "utils"}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def actual_uses() -> dict[str, set[str]]:
    uses: dict[str, set[str]] = {}
    for path in (ROOT / "artlib").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        package = list(parts[:-1])
        me = _part(".".join(parts[:-1] if path.name == "__init__.py" else parts))
        if me is None:
            continue
        found = uses.setdefault(me, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                target = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("artlib"):
                continue
            targets = [f"artlib.{a.name}" for a in node.names] if target == "artlib" else [target]
            found.update(
                t for t in map(_part, targets) if t and t != me and t not in FOUNDATION and not t.startswith("__")
            )
    return uses


def drawn_uses() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "guide.md").read_text()
    table = text.split("## The package at a glance", 1)[1].split("\n## ", 1)[0]
    drawn = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        uses = set(re.findall(r"`(\w+)`", cells[2]))
        for name in re.findall(r"`(\w+)`", cells[0]):
            drawn[name] = uses
    return drawn


def test_the_guide_draws_every_subpackage_and_what_it_uses():
    actual, drawn = actual_uses(), drawn_uses()
    assert set(actual) - set(drawn) == set(), "subpackages missing from the guide's layout table"
    wrong = {name: (sorted(drawn[name]), sorted(actual[name])) for name in actual if drawn[name] != actual[name]}
    assert not wrong, f"'uses' in docs/guide.md differs from the imports (drawn, actual): {wrong}"


def test_tests_mirror_the_package():
    """Each module's tests live at tests/<subpackage>/test_<module>.py, never flat beside another package's."""
    subpackages = {p.name for p in (ROOT / "artlib").iterdir() if (p / "__init__.py").exists()}

    def misplaced(stem: str) -> bool:
        if (ROOT / "artlib" / f"{stem}.py").exists():  # a top-level module's tests stay at the top
            return False
        return stem in subpackages or any((ROOT / "artlib" / s / f"{stem}.py").exists() for s in subpackages)

    flat = [p.name for p in (ROOT / "tests").glob("test_*.py") if misplaced(p.stem.removeprefix("test_"))]
    assert not flat, f"move these into the folder of their subpackage: {flat}"
