"""From the configured source to train / val / test: load it, check every image, split it, save the splits.

Notebook 00 prepares the splits; every later notebook reads them back with :func:`get_splits` (fresh ones when the
configured data changed). ``Settings.protocol`` chooses the split: the data's own, or seed 000's intersection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import NotEnoughDataError
from ..utils import run_status
from . import ArtTable, Splits, drop_empty_classes, stratified_split
from .dataset import verify_images
from .duplicates import drop_overlap
from .io import load_table, save_table
from .sources import get_dataset

if TYPE_CHECKING:
    from ..config import Settings
    from ..fixtures import FixturePaths

log = logging.getLogger(__name__)

SPLIT_NAMES = ("train", "val", "test")


def fixture_paths() -> FixturePaths:
    """Write (once) and return the synthetic fixture under ``data/fixture``."""
    from ..fixtures import make_fixture
    from ..utils.paths import project_root

    return make_fixture(project_root() / "data" / "fixture")


def source_paths(s: Settings) -> tuple[str, Path, Path]:
    """``(dataset, images_root, metadata)`` for the configured source, the fixture included."""
    if s.data is not None:
        return s.dataset, s.data, s.meta or s.data
    source = get_dataset(s.dataset)
    if source.fixture is None:
        raise ValueError(f"ARTLIB_DATASET={s.dataset} needs ARTLIB_DATA: the generated fixture has no copy of it")
    return s.dataset, *source.fixture(fixture_paths())


def load_source(s: Settings) -> dict[str, ArtTable]:
    """The configured dataset as given (its registered loader, :mod:`artlib.data.sources`): ``{'all': table}``
    or its own splits (e.g. train/val); only ``ARTLIB_TASKS`` when set, a task no image is labelled with left out."""
    dataset, images, meta = source_paths(s)
    source = get_dataset(dataset)
    tables = source.load(Path(images), Path(meta), source.tasks(s), s)
    if s.tasks:
        tables = {k: t.select_tasks(s.tasks) for k, t in tables.items()}
    return _drop_empty_tasks(tables)


def _drop_empty_tasks(tables: dict[str, ArtTable]) -> dict[str, ArtTable]:
    """Leave out (with a warning) a task no image is labelled with, e.g. an ``artist`` column left blank."""
    first = next(iter(tables.values()))
    empty = [t for t in first.tasks if not any((table.frame[t] >= 0).any() for table in tables.values())]
    if not empty:
        return tables
    if len(empty) == len(first.tasks):
        raise ValueError(f"no image is labelled with any task ({', '.join(empty)}): the labels are all blank")
    log.warning("task(s) %s left out: no image is labelled with them", ", ".join(empty))
    kept = {k: t.select_tasks([x for x in t.tasks if x not in empty]) for k, t in tables.items()}
    for table in kept.values():  # their columns hold only the code -1, which would read as a name
        table.frame = table.frame.drop(columns=empty)  # (pandas 4 drops `inplace`)
    return kept


def source_signature(s: Settings) -> dict:
    """What the splits were made from: saved splits of other data are never reused."""
    return {
        "dataset": s.dataset,
        "data": str(s.data) if s.data else "fixture",
        "meta": str(s.meta) if s.meta else None,
        "tasks": list(s.tasks) if s.tasks else None,  # as JSON reads it back
        "seed": s.seed,
        **({"protocol": s.protocol} if s.protocol != "official" else {}),  # official: signatures as before
    }


def labelled_for_every_task(tables: dict[str, ArtTable]) -> ArtTable:
    """The images of ``tables`` (e.g. a source's own train and val) that carry a label for every task, in one
    table: seed 000's intersection protocol. Refused when the data has one task or no such image."""
    parts = list(tables.values())
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.concat(part)
    if len(combined.tasks) < 2:
        raise ValueError(f"ARTLIB_PROTOCOL=intersection needs several tasks; the data has {combined.tasks}")
    keep = np.flatnonzero((combined.frame[combined.tasks].to_numpy() >= 0).all(axis=1))
    if not len(keep):
        raise ValueError(f"no image is labelled for every task of {combined.tasks}: no intersection to split")
    log.info("intersection protocol: %d of %d images carry all of %s", len(keep), len(combined), combined.tasks)
    return combined.subset(keep)


def split_given(train: ArtTable, test: ArtTable, seed: int = 0) -> tuple[Splits, pd.DataFrame]:
    """A source's own split: ``test`` stays the test set, the training images that copy a test image are removed
    (returned, as a table of the removed copies), and 10 % of the rest (stratified) becomes ``val``."""
    kept, leaked = drop_overlap(train, test)
    inner = stratified_split(kept, (0.9, 0.1), ("train", "val"), seed=seed)
    return Splits({"train": inner.train, "val": inner.val, "test": test}, inner.duplicates), leaked


def prepare_splits(s: Settings, verify: bool = True) -> Splits:
    """Build train/val/test, dropping unreadable images, and save them under ``outputs/splits``.

    A source that ships a train/val (or train/test) split keeps its held-out part
    as ``test`` and carves ``val`` (10 %) out of its training part; otherwise an
    80/10/10 split stratified on the first task. Duplicates never straddle splits.
    Classes without any image in the loaded data are dropped (:func:`drop_empty_classes`).
    """
    source = load_source(s)
    if verify:
        # every image decoded once (a truncated file passes a header check, then shifts rows of features later)
        source = {k: verify_images(t, decode=True).table for k, t in source.items()}
    if s.protocol == "intersection":
        source = {"all": labelled_for_every_task(source)}
    if "all" in source:
        splits = stratified_split(source["all"], (0.8, 0.1, 0.1), SPLIT_NAMES, seed=s.seed)
    else:
        held_out = source["test"] if "test" in source else source["val"]
        splits, leaked = split_given(source["train"], held_out, s.seed)
        leaked.to_csv(s.out("splits", "removed_test_copies.csv"), index=False)
    splits = Splits(drop_empty_classes(splits.tables), splits.duplicates)
    for name, table in splits.tables.items():
        save_table(table, s.out("splits", name))
    splits.duplicates.to_csv(s.out("splits", "duplicates.csv"), index=False)
    s.out("splits", "source.json").write_text(json.dumps(source_signature(s), indent=1))
    _record_splits(s, "prepared splits", splits.tables)
    return splits


def _record_splits(s: Settings, what: str, tables: dict[str, ArtTable]) -> None:
    run_status.used_data(
        s, what + " " + " / ".join(f"{k} {len(t)}" for k, t in tables.items()), sum(len(t) for t in tables.values())
    )


def get_splits(s: Settings) -> dict[str, ArtTable]:
    """Saved splits of notebook 00 when they were made from the configured data, else fresh ones."""
    folder = s.outputs / "splits"
    saved = json.loads((folder / "source.json").read_text()) if (folder / "source.json").is_file() else None
    if saved == source_signature(s):
        try:
            tables = {name: load_table(folder / name) for name in SPLIT_NAMES}
            _record_splits(s, "splits", tables)
            return tables
        except FileNotFoundError:
            pass
    elif saved is not None:
        log.warning(
            "saved splits in %s were made from %s, not from the configured %s: preparing new ones",
            folder,
            saved.get("data"),
            source_signature(s)["data"],
        )
    return prepare_splits(s).tables


#: The fewest labelled images a validation or test split needs for a task's scores to mean anything.
MIN_EVAL_IMAGES = 2


def learnable_tasks(tables: dict[str, ArtTable]) -> dict[str, str]:
    """Why each task cannot be learned and scored on these splits (``{}``: every task can): the training split
    needs 2 classes with images, validation and test :data:`MIN_EVAL_IMAGES` labelled images each."""
    why = {}
    for task in tables["train"].tasks:
        trained = tables["train"].frame[task]
        n_classes = int(trained[trained >= 0].nunique())
        short = {n: int((t.frame[task] >= 0).sum()) for n, t in tables.items() if n != "train"}
        short = {n: k for n, k in short.items() if k < MIN_EVAL_IMAGES}
        if n_classes < 2:
            why[task] = f"the training split holds {n_classes} {task} class(es) with images; a classifier needs 2"
        elif short:
            held = ", ".join(f"{n} {k}" for n, k in short.items())
            why[task] = f"labelled {task} images: {held}; scoring needs {MIN_EVAL_IMAGES} in each split"
    return why


def learnable_splits(s: Settings, tasks: Sequence[str] | None = None) -> dict[str, ArtTable]:
    """:func:`get_splits` keeping the tasks (of ``tasks``, default all) a classifier can learn and be scored on
    (:func:`learnable_tasks`); the others are dropped with a warning. When none is left it raises
    :class:`~artlib.errors.NotEnoughDataError` saying why, for a notebook's
    banner (:func:`~artlib.runner.notebook.guard`)."""
    tables = get_splits(s)
    if tasks is not None:
        tables = {n: t.select_tasks(tasks) for n, t in tables.items()}
    why = learnable_tasks(tables)
    keep = [t for t in tables["train"].tasks if t not in why]
    if not keep:
        raise NotEnoughDataError("; ".join(f"{task}: {reason}" for task, reason in why.items()) or "no task")
    for task, reason in why.items():
        log.warning("task %r left out: %s", task, reason)
    return {n: t.select_tasks(keep) for n, t in tables.items()} if why else tables


#: The fewest training images that ``train_fraction`` / ``train_images`` leave a from-scratch model (all of a
#: smaller split): a quarter of 213 images (53) left every from-scratch model of a museum CSV at chance.
MIN_SCRATCH_IMAGES = 500


def scratch_images(s: Settings, n: int) -> int:
    """How many of ``n`` training images from-scratch models train on: the profile's share and cap, never
    fewer than :data:`MIN_SCRATCH_IMAGES` (or all ``n``)."""
    keep = round(s.train_fraction * n)
    if s.train_images:
        keep = min(keep, s.train_images)
    return min(n, max(keep, MIN_SCRATCH_IMAGES))


def scratch_train(s: Settings, table: ArtTable, stratify: str | None = None) -> ArtTable:
    """The part of a training table that from-scratch models train on (stratified): :func:`scratch_images`."""
    keep = scratch_images(s, len(table))
    if keep >= len(table):
        return table
    share = keep / len(table)
    part = stratified_split(
        table, (share, 1 - share), ("keep", "rest"), stratify=stratify, seed=s.seed, group_duplicates=False
    )
    log.info(
        "from-scratch models train on %d of %d training images (train_fraction=%s, train_images=%s)",
        len(part["keep"]),
        len(table),
        s.train_fraction,
        s.train_images or "no cap",
    )
    return part["keep"]
