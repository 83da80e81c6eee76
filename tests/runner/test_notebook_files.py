"""The notebooks as files: valid nbformat 4.5 (every cell has an id), no stored outputs, a parameters cell."""

import json
from pathlib import Path

import pytest

from artlib.runner.notebook_files import main, notebook_problems

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_the_series_is_there():
    assert len(NOTEBOOKS) >= 15 and NOTEBOOKS[0].name.startswith("00_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_file_is_clean(path):
    assert notebook_problems(path) == []


def test_the_check_names_each_problem(tmp_path, capsys):
    raw = json.loads(NOTEBOOKS[0].read_text())
    code = next(c for c in raw["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
    code["execution_count"] = 1
    for cell in raw["cells"]:
        cell.get("metadata", {}).pop("tags", None)
    raw["cells"] = [c for c in raw["cells"] if c["cell_type"] == "code"]  # no story
    code["source"] = ["x = 1\n"] * 101
    (tmp_path / "dirty.ipynb").write_text(json.dumps(raw))
    (tmp_path / "broken.ipynb").write_text("not json")
    assert main([str(NOTEBOOKS[0])]) == 0
    assert main([str(tmp_path / "dirty.ipynb"), str(tmp_path / "broken.ipynb")]) == 1
    said = capsys.readouterr().out
    assert "dirty.ipynb: outputs are stored" in said and "dirty.ipynb: no cell tagged 'parameters'" in said
    assert "broken.ipynb: not a valid notebook" in said
    assert "dirty.ipynb: 0 markdown cell(s)" in said and "lines of code (at most 100)" in said


def test_a_guard_that_does_not_end_its_cell_is_named(tmp_path):
    """Found on odd collections: a stopped notebook skips its later cells, but the rest of the guard's own cell ran
    and met the names the step never made (NameError instead of the banner)."""
    import nbformat

    def notebook(guarded: str):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {i}") for i in range(3)]
        nb.cells += [nbformat.v4.new_code_cell("OVERRIDES = {}", metadata={"tags": ["parameters"]})]
        nb.cells += [nbformat.v4.new_code_cell(guarded)]
        path = tmp_path / "nb.ipynb"
        nbformat.write(nb, path)
        return notebook_problems(path)

    assert notebook("with guard(cfg, 'x'):\n    splits = load()\nsplits['train']") == [
        "code cell 1: line 1: a guard or stop_here step must end its cell"
    ]
    assert notebook("if t is None:\n    stop_here(cfg, 'x', why)\nt.go()")
    assert notebook("%matplotlib inline\nimport a\nwith guard(cfg, 'x'):\n    splits = load()") == []
    assert notebook("x = 1\nif t is None:\n    stop_here(cfg, 'x', why)") == []
