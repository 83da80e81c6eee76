"""`ArtTable`: the one labelled-image table every parser returns."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Code of a missing label in a task column.
MISSING = -1


@dataclass
class ArtTable:
    """Images with integer-coded labels for one or more tasks.

    ``frame`` has a ``path`` column (relative to ``root``, or absolute) and one
    int column per task holding class codes, ``-1`` (:data:`MISSING`) where the
    label is unknown. Other columns (title, date, ids) are kept as metadata.
    ``classes[task]`` lists the class names in code order.
    """

    frame: pd.DataFrame
    classes: dict[str, list[str]]
    root: Path | None = None
    name: str = "art"
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "path" not in self.frame.columns:
            raise ValueError("ArtTable.frame needs a 'path' column")
        for task, names in self.classes.items():
            if task not in self.frame.columns:
                raise ValueError(f"task column {task!r} missing from frame")
            codes = self.frame[task].to_numpy()
            bad = (codes < MISSING) | (codes >= len(names))
            if bad.any():
                raise ValueError(f"task {task!r}: {int(bad.sum())} codes outside [-1, {len(names) - 1}]")
            self.frame[task] = self.frame[task].astype(np.int64)
        if self.root is not None:
            self.root = Path(self.root)

    # -- views -------------------------------------------------------------
    @property
    def tasks(self) -> list[str]:
        return list(self.classes)

    @property
    def num_classes(self) -> dict[str, int]:
        return {t: len(c) for t, c in self.classes.items()}

    def __len__(self) -> int:
        return len(self.frame)

    def image_paths(self) -> list[Path]:
        """Absolute (root-joined) path of every row."""
        root = self.root or Path()
        return [Path(p) if Path(p).is_absolute() else root / p for p in self.frame["path"]]

    def label_names(self, task: str) -> pd.Series:
        """Class names of ``task`` per row (``None`` where missing)."""
        names = np.array(self.classes[task] + [None], dtype=object)
        return pd.Series(names[self.frame[task].to_numpy()], index=self.frame.index, name=task)

    def counts(self, task: str) -> pd.Series:
        """Images per class of ``task`` (all classes, zeros included; missing labels excluded)."""
        codes = self.frame[task]
        counts = np.bincount(codes[codes >= 0], minlength=len(self.classes[task]))
        return pd.Series(counts, index=self.classes[task], name=task)

    # -- derived tables ----------------------------------------------------
    def subset(self, rows: Sequence[int] | np.ndarray | pd.Series) -> ArtTable:
        """Rows by position (or a boolean mask), same classes and root."""
        rows = np.asarray(rows)
        frame = self.frame[rows] if rows.dtype == bool else self.frame.iloc[rows]
        return ArtTable(frame.reset_index(drop=True), dict(self.classes), self.root, self.name, dict(self.extra))

    def without(self, paths: Iterable[str]) -> ArtTable:
        """The table without the rows of ``paths`` (e.g. suspected mislabels); every path must be in it."""
        drop, present = set(map(str, paths)), self.frame["path"].astype(str)
        unknown = drop - set(present)
        if unknown:
            raise KeyError(f"{len(unknown)} path(s) to leave out are not in this table, e.g. {sorted(unknown)[0]!r}")
        return self.subset(~present.isin(drop).to_numpy())

    def select_tasks(self, tasks: Iterable[str]) -> ArtTable:
        tasks = list(tasks)
        unknown = set(tasks) - set(self.classes)
        if unknown:
            raise KeyError(f"unknown tasks {sorted(unknown)}; have {self.tasks}")
        return ArtTable(self.frame.copy(), {t: self.classes[t] for t in tasks}, self.root, self.name, dict(self.extra))

    def labelled(self, task: str) -> ArtTable:
        """Only the rows that have a label for ``task``."""
        return self.subset(self.frame[task].to_numpy() != MISSING)

    def with_classes(self, classes: dict[str, list[str]]) -> ArtTable:
        """The same rows re-coded to ``classes`` (a subset of each task's names: rows of a dropped class lose
        that label, -1)."""
        frame = self.frame.copy()
        for task, names in classes.items():
            unknown = set(names) - set(self.classes[task])
            if unknown:
                raise KeyError(f"task {task!r} has no classes {sorted(unknown)}")
            frame[task], _ = encode_labels(self.label_names(task), names)
        return ArtTable(frame, {**self.classes, **classes}, self.root, self.name, dict(self.extra))

    def concat(self, other: ArtTable) -> ArtTable:
        """Rows of both tables; classes must match."""
        if other.classes != self.classes:
            raise ValueError("cannot concatenate tables with different classes")
        frame = pd.concat([self.frame, other.frame], ignore_index=True)
        return ArtTable(frame, dict(self.classes), self.root, self.name, dict(self.extra))

    def summary(self) -> pd.DataFrame:
        """One row per task: classes, labelled images, missing labels, min/max class size."""
        rows = []
        for task in self.tasks:
            counts = self.counts(task)
            rows.append(
                {
                    "task": task,
                    "classes": len(counts),
                    "labelled": int(counts.sum()),
                    "missing": int((self.frame[task] == MISSING).sum()),
                    "smallest_class": int(counts.min()) if len(counts) else 0,
                    "largest_class": int(counts.max()) if len(counts) else 0,
                }
            )
        return pd.DataFrame(rows).set_index("task")


def _spelling_key(name: str) -> str:
    """One key for spellings of a label: case and spacing folded, ``1`` / ``01`` / ``1.0`` one number."""
    folded = " ".join(str(name).replace("_", " ").split()).casefold()
    try:
        number = float(folded)
    except ValueError:
        return folded
    return repr(number) if np.isfinite(number) else folded


def spelling_variants(names: Sequence[str]) -> list[list[str]]:
    """Groups of class names that differ only in case, spacing or how a number is written."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_spelling_key(name), []).append(name)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def warn_spelling_variants(names: Sequence[str], column: str) -> None:
    """Log a warning when some classes look like one label spelt several ways (they stay separate classes)."""
    variants = spelling_variants(names)
    if variants:
        shown = "; ".join(" / ".join(repr(n) for n in g) for g in variants[:5])
        log.warning(
            "column %r: %d label(s) are spelt several ways and become separate classes: %s%s. If they "
            "are one class, write them one way in the data",
            column,
            len(variants),
            shown,
            " ..." if len(variants) > 5 else "",
        )


def encode_labels(values: pd.Series, classes: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Map string labels to codes (``-1`` for NaN/empty); classes sorted unless given."""
    clean = values.astype("string").str.strip()
    present = clean.notna() & (clean != "")
    if classes is None:
        classes = sorted(clean[present].unique().tolist())
        warn_spelling_variants(classes, str(values.name or "label"))
    lookup = {c: i for i, c in enumerate(classes)}
    codes = np.full(len(values), MISSING, dtype=np.int64)
    idx = np.flatnonzero(present.to_numpy())
    mapped = clean[present].map(lookup)
    known = mapped.notna().to_numpy()
    codes[idx[known]] = mapped[known].astype(np.int64).to_numpy()
    return codes, list(classes)


def drop_empty_classes(tables: dict[str, ArtTable]) -> dict[str, ArtTable]:
    """Tables sharing classes, without the classes no table has an image of (re-coded, names kept).

    A partial download (``fetch_wikiart(per_class=...)``) lists every class of the metadata; heads and
    metrics should only see the classes the data has. Logs one line per task that lost classes.
    """
    first = next(iter(tables.values()))
    keep = {}
    for task in first.tasks:
        counts = sum(t.counts(task).to_numpy() for t in tables.values())
        names = [n for n, c in zip(first.classes[task], counts, strict=True) if c > 0]
        if len(names) < len(first.classes[task]):
            dropped = [n for n, c in zip(first.classes[task], counts, strict=True) if c == 0]
            log.warning(
                "task %r: %d of %d classes have no image in the loaded data and are dropped from heads and "
                "metrics: %s%s",
                task,
                len(dropped),
                len(counts),
                ", ".join(dropped[:6]),
                " ..." if len(dropped) > 6 else "",
            )
            keep[task] = names
    useless = [task for task, names in keep.items() if len(names) < 2]
    if useless:
        log.warning("task(s) %s left out: fewer than 2 classes have images", useless)
    tasks = [t for t in first.tasks if t not in useless]
    if not tasks:
        raise ValueError("no task has images of at least 2 classes in the loaded data")
    keep = {task: names for task, names in keep.items() if task in tasks}
    return {name: t.select_tasks(tasks).with_classes(keep) for name, t in tables.items()}
