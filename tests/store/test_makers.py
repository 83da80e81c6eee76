import ast
import json
from pathlib import Path

import pytest

from artlib.store import artifacts
from artlib.store.makers import declared_makers, maker

ROOT = Path(__file__).resolve().parents[2]
SAVERS = {"save_model", "save_identity", "save_siamese_head", "save_params", "save_frame", "save_index"}
#: save_collection(cfg, ...) and SearchableCollection.save_indexes(cfg) write these two indexes
COLLECTION = ["image_index", "title_index"]


def _saved_names(notebook: Path) -> list[str]:
    """The artefact names a notebook's code saves (f-strings as fnmatch patterns: metric_{task} -> metric_*)."""
    code = "\n".join(
        "".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"
    )
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    names = []
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if func in ("save_collection", "save_indexes"):
            names += COLLECTION
        if func in SAVERS and len(node.args) >= 2:
            arg = node.args[1]
            if isinstance(arg, ast.Constant):
                names.append(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                names.append("".join(v.value if isinstance(v, ast.Constant) else "*" for v in arg.values))
    return names


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_each_notebook_declares_exactly_the_artefacts_it_saves(notebook):
    declared = json.loads(notebook.read_text())["metadata"].get("artlib", {}).get("makes", [])
    assert sorted(_saved_names(notebook)) == sorted(declared), notebook.name


def test_the_store_names_no_notebook_and_finds_them_in_their_metadata(tmp_path, monkeypatch):
    source = (ROOT / "artlib" / "store" / "artifacts.py").read_text()
    assert "08_efficientnet" not in source and "MAKERS" not in source
    assert maker("classifier") == "08_efficientnet" and maker("metric_style") == "10_metric_learning"
    assert maker("classifier", made_by="99_mine") == "99_mine"  # the stamp of the notebook that saved it wins
    assert maker("classifier", made_by="interactive") == "08_efficientnet"  # not a notebook: the declared one
    assert maker("no_such_thing") is None
    # a user's own series: its notebooks say what they make
    (tmp_path / "01_mine.ipynb").write_text(json.dumps({"cells": [], "metadata": {"artlib": {"makes": ["mine_*"]}}}))
    (tmp_path / "02_broken.ipynb").write_text("{not json")
    monkeypatch.setenv("ARTLIB_NOTEBOOKS", str(tmp_path))
    assert declared_makers() == {"mine_*": "01_mine"} and maker("mine_a") == "01_mine"
    with pytest.raises(artifacts.ArtifactNotFoundError, match="run notebook 01_mine"):
        artifacts.load_params(tmp_path, "mine_a")


def test_an_artefact_of_other_data_names_the_notebook_that_saved_it(tmp_path):
    from artlib.config import settings

    cfg = settings(outputs=tmp_path)
    artifacts.save_params(cfg, "hpo_params", {"lr": 0.1})
    record = tmp_path / "artifacts" / "params" / "hpo_params.json"
    saved = json.loads(record.read_text())
    record.write_text(json.dumps({**saved, "made_by": "42_elsewhere"}))
    with pytest.raises(artifacts.ArtifactNotFoundError, match="run notebook 42_elsewhere"):
        artifacts.load_params(tmp_path, "hpo_params", data={"label": "other", "signature": "x"})
