"""The dataset registry: a new dataset is one decorated loader, and settings and load_source then know it."""

from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from artlib.config import settings
from artlib.data import load_csv_table, sources
from artlib.data.prepare import load_source, source_paths
from artlib.data.sources import get_dataset, list_datasets, register_dataset


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry, so that what a test registers does not outlive it."""
    monkeypatch.setattr(sources, "_SOURCES", dict(sources._SOURCES))


def test_the_built_in_datasets_and_which_the_fixture_has():
    assert list_datasets() == ["wikiart", "pbn", "nga", "wga", "imagefolder", "cnpaint", "csv"]
    assert list_datasets(fixture_only=True) == ["wikiart", "pbn", "nga", "wga", "imagefolder"]
    assert get_dataset("pbn").default_tasks == ("artist", "style", "genre")


def test_cnpaint_is_a_registered_dataset_of_given_train_and_test_folders(tmp_path):
    for split in ("train", "test"):
        for genre in ("flowerBird", "human", "landscape"):
            folder = tmp_path / "cnpaint" / split / genre
            folder.mkdir(parents=True)
            for i in range(2):
                Image.new("RGB", (40, 30), (i * 90, 20, 200)).save(folder / f"{genre}{i}.jpg")
    tables = load_source(settings(dataset="cnpaint", data=tmp_path / "cnpaint"))
    assert set(tables) == {"train", "test"} and tables["test"].classes == {
        "label": ["flowerBird", "human", "landscape"]
    }
    assert len(tables["train"]) == len(tables["test"]) == 6
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "cnpaint"
    if shared.is_dir():  # the real benchmark: 2,400 training and 300 test paintings
        real = load_source(settings(dataset="cnpaint", data=shared))
        assert (len(real["train"]), len(real["test"])) == (2400, 300)
    import shutil

    shutil.rmtree(tmp_path / "cnpaint" / "test")
    with pytest.raises(ValueError, match="missing \\['test'\\]"):
        load_source(settings(dataset="cnpaint", data=tmp_path / "cnpaint"))


@pytest.mark.parametrize("name", ["wikiart", "pbn", "nga", "wga", "imagefolder"])
def test_every_fixture_dataset_loads_its_default_tasks(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))
    s = settings(dataset=name)
    dataset, images, meta = source_paths(s)
    tables = load_source(s)
    assert dataset == name and images.exists() and meta.exists() and all(len(t) > 0 for t in tables.values())
    defaults = get_dataset(name).default_tasks
    assert not defaults or list(next(iter(tables.values())).tasks) == list(defaults)


def test_a_registered_dataset_is_known_to_settings_and_load_source(registry, monkeypatch, tmp_path):
    images = tmp_path / "museum"
    images.mkdir()
    for i in range(4):
        Image.new("RGB", (8, 8), (i * 60, 0, 0)).save(images / f"{i}.jpg")
    pd.DataFrame({"file": [f"{i}.jpg" for i in range(4)], "maker": list("abab")}).to_csv(images / "works.csv")

    @register_dataset("museum", default_tasks=("maker",))
    def load_museum(images, meta, tasks, s):
        frame = pd.read_csv(meta / "works.csv").rename(columns={"file": "path"})
        frame.to_csv(meta / "labels.csv", index=False)
        return {"all": load_csv_table(meta / "labels.csv", tasks, root=images)}

    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "out"))
    with pytest.raises(ValueError, match="ARTLIB_DATASET=museum needs ARTLIB_DATA"):
        settings(dataset="museum")  # no fixture copy
    tables = load_source(settings(dataset="museum", data=images))
    assert list(tables) == ["all"] and tables["all"].classes == {"maker": ["a", "b"]} and len(tables["all"]) == 4


def test_a_name_is_registered_once_and_an_unknown_one_is_named(registry):
    with pytest.raises(ValueError, match="'csv' is already registered"):
        register_dataset("csv")(lambda images, meta, tasks, s: {})
    with pytest.raises(ValueError, match=r"ARTLIB_DATASET must be one of \['wikiart'.*got 'wikiarts'"):
        get_dataset("wikiarts")


MUSEUM = """
from artlib.data import load_image_folder
from artlib.data.sources import register_dataset


@register_dataset("{name}")
def load(images, meta, tasks, s):
    return {{"all": load_image_folder(images)}}
"""


def _fresh_python(code: str, path, **env) -> str:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(path), **env},
        cwd=path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_dataset_of_user_code_is_found_in_a_fresh_process_by_variable_or_entry_point(tmp_path, fixture_paths):
    (tmp_path / "museum_mod.py").write_text(MUSEUM.format(name="museum"))
    (tmp_path / "gallery_mod.py").write_text(MUSEUM.format(name="gallery"))
    dist = tmp_path / "gallery_plugin-1.0.dist-info"  # what pip writes for a package declaring the entry point
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gallery-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[artlib.datasets]\ngallery = gallery_mod\n")
    code = (
        "from artlib.config import settings; from artlib.data.sources import list_datasets; "
        f"s = settings(dataset='museum', data={str(fixture_paths.imagefolder)!r}); "
        "print(s.dataset, 'gallery' in list_datasets())"
    )
    assert _fresh_python(code, tmp_path, ARTLIB_DATASET_MODULES="museum_mod") == "museum True"
    missing = (
        "from artlib.data.sources import get_dataset\n"
        "try:\n    get_dataset('nope')\nexcept ImportError as exc:\n    print(exc)"
    )
    said = _fresh_python(missing, tmp_path, ARTLIB_DATASET_MODULES="no_such_module")
    assert "the dataset module 'no_such_module' (from ARTLIB_DATASET_MODULES) cannot be imported" in said
