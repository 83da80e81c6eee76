"""The floors are enforced (the import-linter contract in pyproject.toml holds on the code), and the package
layout docs/guide.md draws is the one the code and the contract have: every subpackage on its floor, and the
subpackages each one uses (imports, lazy ones included; annotation-only ones left out) as the table says."""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

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
        tree = ast.parse(path.read_text())
        annotations_only = {  # imports under ``if TYPE_CHECKING:`` (the contract exempts them too)
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or id(node) in annotations_only:
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


def guide_rows() -> dict[str, tuple[int, set[str]]]:
    """Each subpackage of the guide's table: its floor and what it uses."""
    text = (ROOT / "docs" / "guide.md").read_text()
    table = text.split("## The package at a glance", 1)[1].split("\n## ", 1)[0]
    drawn = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].startswith("`"):
            continue
        for name in re.findall(r"`(\w+)`", cells[1]):
            drawn[name] = (int(cells[0]), set(re.findall(r"`(\w+)`", cells[3])))
    return drawn


def drawn_uses() -> dict[str, set[str]]:
    return {name: uses for name, (_, uses) in guide_rows().items()}


def contract_floors() -> dict[str, int]:
    """Each subpackage's floor in pyproject.toml's layers contract (0: the ground floor)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return {name.strip(): floor for floor, layer in enumerate(reversed(layers)) for name in layer.split("|")}


def test_the_floors_contract_holds_on_the_code():
    if shutil.which("lint-imports") is None:
        pytest.skip("import-linter is not installed (the dev extra)")
    done = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout


def test_every_subpackage_stands_on_the_floor_the_guide_draws():
    floors = contract_floors()
    subpackages = {p.stem for p in (ROOT / "artlib").iterdir() if (p / "__init__.py").exists() or (
        p.suffix == ".py" and p.stem != "__init__")}  # fmt: skip
    assert subpackages == set(floors), f"subpackages outside the contract: {sorted(subpackages ^ set(floors))}"
    drawn = {name: floor for name, (floor, _) in guide_rows().items()}
    assert drawn == floors, {n: (drawn.get(n), floors[n]) for n in floors if drawn.get(n) != floors[n]}


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
