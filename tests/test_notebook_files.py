"""The notebooks as files: valid nbformat 4.5 (every cell has an id), no stored outputs, a parameters cell."""

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_series_is_there():
    assert len(NOTEBOOKS) >= 15 and NOTEBOOKS[0].name.startswith("00_")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_file_is_clean(path):
    raw = json.loads(path.read_text())
    missing_ids = [i for i, cell in enumerate(raw["cells"]) if "id" not in cell]
    assert not missing_ids, f"cells {missing_ids} have no id (nbformat 4.5 requires one)"
    nbformat.validate(nbformat.from_dict(raw))
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert not any(c.get("outputs") for c in code), "outputs are stored; clear them before committing"
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code), (
        "a cell tagged 'parameters' lets the notebook be pointed at real data"
    )
