"""The Python blocks of the README and the guides run, as written, on the generated fixture.

Each file's blocks run top to bottom in one namespace, as a reader runs them. What a block takes from the page
around it (``cfg``, the splits, labels and scores) is given by :data:`GIVEN`; :data:`SMALLER` shrinks epochs,
image sizes and workers to the fixture's scale, and nothing else. Blocks that need the network are
compiled, and every name they use must exist.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/guide.md", "docs/real_data.md"]
#: blocks (by their first code line) that download: compiled and their names checked, not run
NEEDS_NETWORK = {"from artlib import download"}
#: the fixture's scale: (written, run)
SMALLER = [
    ("image_size=224", "image_size=32"),
    ("batch_size=64", "batch_size=16"),
    ("num_workers=8", "num_workers=0"),
    ("epochs=30", "epochs=1"),
    ('"rla_resnet50_se"', '"rla_resnet_compact"'),
    ('"efficientnet_lite1", table.classes, 240', '"simple_cnn", table.classes, 32'),
    ('FrozenReference("efficientnet_lite0", 224)', 'FrozenReference("efficientnet_lite0", 64)'),
]


def blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), re.S)


def fixture_settings(ns: dict) -> None:
    from artlib.config import settings

    ns["cfg"] = settings(outputs="outputs")


def fixture_splits(ns: dict) -> None:
    from artlib.data.loaders import make_loaders
    from artlib.data.prepare import get_splits

    fixture_settings(ns)
    ns["splits"] = get_splits(ns["cfg"])
    ns["loaders"] = make_loaders(ns["splits"], 32, 16, 0)


def scores(ns: dict) -> None:
    rng = np.random.default_rng(0)
    ns["y_test"] = rng.integers(0, 3, 120)
    for name, skill in (("p_rla", 1.0), ("p_se", 1.5), ("p_lite0", 3.0)):
        logits = rng.normal(size=(120, 3)) + skill * np.eye(3)[ns["y_test"]]
        ns[name] = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


def files_to_classify(ns: dict) -> None:
    images = sorted(Path("wikiart").rglob("*.jpg"))
    shutil.copy(images[0], "query.jpg")
    Path("new_paintings").mkdir(exist_ok=True)
    for image in images[1:4]:
        shutil.copy(image, Path("new_paintings") / image.name)


#: what a block takes from its page, by its first code line
GIVEN: dict[str, Callable[[dict], None]] = {
    "from artlib.evaluation.significance import compare_classifiers": scores,
    "from artlib.studies.attention import attention_significance, comparison_table, train_attention_variants": (
        fixture_splits
    ),
    "from artlib.store import artifacts": lambda ns: (fixture_settings(ns), files_to_classify(ns)),
    "from artlib.trust import classifier_trust_report, fit_classifier_trust, split_predictions": fixture_settings,
    "from artlib.data.prepare import get_splits": fixture_settings,
}


@pytest.fixture
def in_fixture_folder(fixture_paths, tmp_path, monkeypatch):
    """A working folder where the pages' paths lead to the fixture: ``wikiart/``, ``wikiart_csv/``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wikiart").symlink_to(fixture_paths.wikiart_images, target_is_directory=True)
    (tmp_path / "wikiart_csv").symlink_to(fixture_paths.wikiart_csv, target_is_directory=True)
    monkeypatch.setenv("ARTLIB_DATASET", "wikiart")
    monkeypatch.setenv("ARTLIB_DATA", str(fixture_paths.wikiart_images))
    monkeypatch.setenv("ARTLIB_META", str(fixture_paths.wikiart_csv))
    monkeypatch.setenv("ARTLIB_PROFILE", "ci")
    return tmp_path


def test_every_page_has_blocks_and_each_given_block_exists():
    firsts = {block.strip().splitlines()[0] for page in PAGES for block in blocks(page)}
    assert all(blocks(page) for page in PAGES)
    assert set(GIVEN) | NEEDS_NETWORK <= firsts, sorted((set(GIVEN) | NEEDS_NETWORK) - firsts)


@pytest.fixture
def registry_kept(monkeypatch):
    """Datasets a page registers (the guide's "museum") leave with the test."""
    from artlib.data import sources

    monkeypatch.setattr(sources, "_SOURCES", dict(sources._SOURCES))


@pytest.mark.parametrize("page", PAGES)
def test_the_blocks_of_a_page_run_on_the_fixture(page, in_fixture_folder, registry_kept):
    ns: dict = {"__name__": "docs"}
    for number, block in enumerate(blocks(page)):
        first = block.strip().splitlines()[0]
        if first in NEEDS_NETWORK:
            tree = ast.parse(block)
            imports = ast.Module([n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)], [])
            exec(compile(imports, page, "exec"), ns)  # noqa: S102
            used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id == "download"}  # fmt: skip
            assert used and all(hasattr(ns["download"], name) for name in used), used
            continue
        if first in GIVEN:
            GIVEN[first](ns)
        for written, run in SMALLER:
            block = block.replace(written, run)
        try:
            exec(compile(block, f"{page} block {number + 1}", "exec"), ns)  # noqa: S102
        except Exception as exc:
            raise AssertionError(f"{page}, block {number + 1} ({first!r}) fails: {exc!r}") from exc
