"""The datasets artlib reads, by name (``ARTLIB_DATASET``), as timm registers models: each is one loader
registered with :func:`register_dataset`, with its default tasks and where the generated fixture keeps a copy.

A new dataset is one decorated function (and its test); settings, :func:`artlib.data.prepare.load_source` and
the notebooks then know it::

    @register_dataset("museum", default_tasks=("artist",))
    def load_museum(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
        return {"all": load_csv_table(meta, tasks, root=images)}

A loader returns ``{'all': table}`` or the data's own splits (``{'train': ..., 'val': ...}``).

Datasets of user code are found in a fresh kernel or process too: a package declares its module under the
``artlib.datasets`` entry-point group (``[project.entry-points."artlib.datasets"] museum = "mypkg.museum"``), or
``ARTLIB_DATASET_MODULES=mypkg.museum,other`` names modules to import. Either is imported before a name is looked
up; one that cannot be imported raises ``ImportError`` naming it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from .folders import load_csv_table, load_image_folder, load_split_folders
from .nga import load_nga
from .painter_by_numbers import load_painter_by_numbers
from .table import ArtTable
from .wga import load_wga
from .wikiart import load_wikiart

if TYPE_CHECKING:
    from ..config import Settings
    from ..fixtures import FixturePaths

#: ``(images root, metadata, tasks, settings) -> {split or 'all': table}``
Loader = Callable[[Path, Path, tuple[str, ...], "Settings"], dict[str, ArtTable]]


@dataclass(frozen=True)
class DataSource:
    """A registered dataset: its loader, the tasks it reads when ``ARTLIB_TASKS`` is unset (empty: the loader's
    own), and where the fixture keeps it (``None``: it needs ``ARTLIB_DATA``)."""

    name: str
    load: Loader
    default_tasks: tuple[str, ...] = ()
    fixture: Callable[[FixturePaths], tuple[Path, Path]] | None = None

    def tasks(self, s: Settings) -> tuple[str, ...]:
        """The tasks to read: ``ARTLIB_TASKS`` when set, else the defaults."""
        return tuple(s.tasks) if s.tasks else self.default_tasks


_SOURCES: dict[str, DataSource] = {}
#: the entry-point group of dataset modules, and the variable naming more of them
ENTRY_POINTS = "artlib.datasets"
MODULES_VARIABLE = "ARTLIB_DATASET_MODULES"
_imported: set[str] = set()


def import_dataset_modules() -> list[str]:
    """Import the dataset modules that entry points (:data:`ENTRY_POINTS`) and ``ARTLIB_DATASET_MODULES`` name
    (each once per process); returns the modules imported now."""
    named = [(ep.name, ep.value.split(":")[0]) for ep in entry_points(group=ENTRY_POINTS)]
    named += [(MODULES_VARIABLE, m.strip()) for m in os.environ.get(MODULES_VARIABLE, "").split(",") if m.strip()]
    done = []
    for source, module in named:
        if module in _imported:
            continue
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ImportError(f"the dataset module {module!r} (from {source}) cannot be imported: {exc}") from exc
        _imported.add(module)
        done.append(module)
    return done


def register_dataset(
    name: str,
    *,
    default_tasks: tuple[str, ...] = (),
    fixture: Callable[[FixturePaths], tuple[Path, Path]] | None = None,
) -> Callable[[Loader], Loader]:
    """Register the decorated loader as dataset ``name`` (a second registration of a name is refused)."""

    def register(load: Loader) -> Loader:
        if name in _SOURCES:
            raise ValueError(f"dataset {name!r} is already registered (by {_SOURCES[name].load.__qualname__})")
        _SOURCES[name] = DataSource(name, load, tuple(default_tasks), fixture)
        return load

    return register


def get_dataset(name: str) -> DataSource:
    """The registered dataset ``name``; an unknown one raises ``ValueError`` listing the known."""
    if name not in _SOURCES:
        import_dataset_modules()
    if name not in _SOURCES:
        raise ValueError(f"ARTLIB_DATASET must be one of {list_datasets()}, got {name!r}")
    return _SOURCES[name]


def list_datasets(fixture_only: bool = False) -> list[str]:
    """The registered dataset names (with ``fixture_only``: those the generated fixture has), in order."""
    import_dataset_modules()
    return [name for name, source in _SOURCES.items() if source.fixture is not None or not fixture_only]


@register_dataset("wikiart", fixture=lambda fx: (fx.wikiart_images, fx.wikiart_csv))
def _wikiart(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """The ArtGAN CSVs with their own train / val split (every task they label)."""
    return {split: load_wikiart(meta, split, image_root=images) for split in ("train", "val")}


@register_dataset("pbn", default_tasks=("artist", "style", "genre"), fixture=lambda fx: (fx.pbn_images, fx.pbn_csv))
def _painter_by_numbers(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """Painter by Numbers' ``train_info.csv`` (real data: artists of 10+ works, as the competition's pairs)."""
    return {"all": load_painter_by_numbers(meta, tasks, image_dir=images, min_images=1 if s.is_fixture else 10)}


@register_dataset("nga", default_tasks=("style", "school", "artist"), fixture=lambda fx: (fx.nga, fx.nga))
def _nga(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """The National Gallery of Art open-data CSVs."""
    return {"all": load_nga(meta, tasks, image_dir=images)}


@register_dataset(
    "wga", default_tasks=("type", "school", "timeframe"), fixture=lambda fx: (fx.wga_csv.parent / "images", fx.wga_csv)
)
def _wga(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """The Web Gallery of Art catalogue."""
    return {"all": load_wga(meta, tasks, image_dir=images)}


@register_dataset("imagefolder", fixture=lambda fx: (fx.imagefolder, fx.imagefolder))
def _image_folder(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """One folder per class, or ``train/`` with ``val/`` and/or ``test/`` folders of class folders."""
    subdirs = {d.name for d in Path(images).iterdir() if d.is_dir()}
    if "train" in subdirs and subdirs & {"val", "test"}:
        return load_split_folders(images)
    return {"all": load_image_folder(images)}


@register_dataset("cnpaint", default_tasks=("label",))
def _cnpaint(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """Chinese paintings of three genres (``flowerBird``, ``human``, ``landscape``) in their given ``train/`` and
    ``test/`` folders: a benchmark with known label noise. The genre is the task ``label``, as the benchmarks'
    stored results name it; copies of test images in ``train/`` are removed when splits are made."""
    tables = load_split_folders(images)
    missing = sorted({"train", "test"} - set(tables))
    if missing:
        raise ValueError(f"cnpaint at {images} needs train/ and test/ folders of genre folders; missing {missing}")
    return {"train": tables["train"], "test": tables["test"]}


@register_dataset("csv", default_tasks=("label",))
def _labels_csv(images: Path, meta: Path, tasks: tuple[str, ...], s: Settings) -> dict[str, ArtTable]:
    """A labels CSV (a ``path`` column, one column per task; other columns kept as metadata), its titles in
    ``ARTLIB_TITLE_COLUMN`` when that column is not called ``title``."""
    table = load_csv_table(meta, tasks, root=images if s.meta else None)
    if s.title_column:
        if s.title_column not in table.frame:
            raise KeyError(
                f"ARTLIB_TITLE_COLUMN={s.title_column}: no such column in {meta} (columns: {list(table.frame.columns)})"
            )
        table.frame["title"] = table.frame[s.title_column]
    return {"all": table}
