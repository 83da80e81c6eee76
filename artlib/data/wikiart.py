"""WikiArt as split by ArtGAN (cs-chan/ArtGAN ``wikiart_csv``): artist, genre and style files.

Real quirks handled: the artist files use a ``,,`` separator and start with a
``(Path to image),, (Groundtruth class)`` header and a blank line; genre and style
files have CRLF endings; class files are ``"<index> <name>"`` lines; file names
come with or without ``.csv`` / ``.txt`` extensions, in per-task folders or flat.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_rows import BadRows, read_text_lines
from .table import MISSING, ArtTable

log = logging.getLogger(__name__)

TASKS = ("artist", "genre", "style")


def file_name_fields(path: str) -> tuple[str, str]:
    """Artist slug and readable title of an ArtGAN path.

    ``Impressionism/claude-monet_water-lilies-1919.jpg`` -> ``('claude-monet', 'Water lilies 1919')``;
    a name without ``_`` gives an empty artist and the whole stem as title.
    """
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    artist, sep, title = stem.partition("_")
    if not sep:
        artist, title = "", stem
    title = " ".join(title.replace("-", " ").replace("_", " ").split())
    return artist, title[:1].upper() + title[1:]


def read_class_list(path: str | Path) -> list[str]:
    """Parse an ArtGAN class file (``0 Albrecht_Durer`` per line) into names by index."""
    names: dict[int, str] = {}
    for lineno, line in enumerate(read_text_lines(path), 1):
        if not line.strip():
            continue
        idx, _, name = line.strip().partition(" ")
        if not idx.isdigit() or not name.strip():
            raise ValueError(f"{path}:{lineno}: expected '<index> <name>', got {line!r}")
        if int(idx) in names:
            raise ValueError(
                f"{path}:{lineno}: class index {int(idx)} is listed twice ({names[int(idx)]!r} and "
                f"{name.strip()!r}): one of the classes would vanish; fix the class file"
            )
        if name.strip() in names.values():
            raise ValueError(
                f"{path}:{lineno}: class name {name.strip()!r} is listed twice: two indices would "
                "be one class; fix the class file"
            )
        names[int(idx)] = name.strip()
    if sorted(names) != list(range(len(names))):
        raise ValueError(f"{path}: class indices are not 0..{len(names) - 1}")
    return [names[i] for i in range(len(names))]


def read_split_file(path: str | Path, num_classes: int | None = None, on_bad_rows: str = "warn") -> pd.DataFrame:
    """Parse an ArtGAN split file into a frame ``path, label``.

    Accepts ``,`` and ``,,`` separators, a header line and blank lines. Rows with
    no label, a non-integer label or a label outside ``[0, num_classes)`` are
    skipped and logged (or raise with ``on_bad_rows='raise'``).
    """
    lines = read_text_lines(path)
    bad = BadRows(str(path))
    paths, labels = [], []
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("(Path"):
            continue
        image, sep, label = text.rpartition(",")
        image = image.rstrip(",").strip()
        label = label.strip()
        if not sep or not image:
            bad.add(lineno, line, "no '<path>,<label>' pair")
        elif not label.lstrip("-").isdigit():
            bad.add(lineno, line, f"label {label!r} is not an integer")
        elif int(label) < 0 or (num_classes is not None and int(label) >= num_classes):
            bad.add(lineno, line, f"label {label} outside [0, {num_classes})")
        else:
            paths.append(image)
            labels.append(int(label))
    bad.check(total=len(paths) + len(bad), on_bad_rows=on_bad_rows)
    frame = pd.DataFrame({"path": paths, "label": np.asarray(labels, dtype=np.int64)})
    conflicts = frame.groupby("path")["label"].nunique()
    conflicts = conflicts[conflicts > 1]
    if len(conflicts):
        log.warning("%s: %d image(s) listed with different labels; dropped", path, len(conflicts))
        frame = frame[~frame["path"].isin(conflicts.index)]
    return frame.drop_duplicates("path").reset_index(drop=True)


def _find(meta_root: Path, task: str, kind: str) -> Path:
    """Locate ``{task}_{kind}`` (any extension) anywhere under ``meta_root``."""
    hits = sorted(p for p in meta_root.rglob(f"{task}_{kind}*") if p.is_file())
    hits += sorted(p for p in meta_root.rglob(f"{task.capitalize()}_{kind}*") if p.is_file())
    if not hits:
        raise FileNotFoundError(f"no ArtGAN file '{task}_{kind}*' under {meta_root}")
    return hits[0]


def load_task(
    meta_root: str | Path, task: str, split: str = "train", on_bad_rows: str = "warn"
) -> tuple[pd.DataFrame, list[str]]:
    """One task's split as ``path, <task>`` plus its class names."""
    meta_root = Path(meta_root)
    classes = read_class_list(_find(meta_root, task, "class"))
    frame = read_split_file(_find(meta_root, task, split), len(classes), on_bad_rows)
    return frame.rename(columns={"label": task}), classes


def load_wikiart(
    meta_root: str | Path,
    split: str = "train",
    tasks: Sequence[str] = TASKS,
    join: str = "union",
    image_root: str | Path | None = None,
    on_bad_rows: str = "warn",
) -> ArtTable:
    """Multitask WikiArt table keyed by image path.

    ``join='union'`` keeps every image listed by any task, with ``-1`` for the
    tasks that do not label it; ``join='intersection'`` keeps only images labelled
    for all ``tasks``. ``image_root`` is where ``Style/artist_title.jpg`` paths live
    (defaults to ``meta_root``). The ``style_dir`` column holds the folder of each path; ``artist_slug`` and
    ``title`` come from the file name (:func:`file_name_fields`).
    """
    if join not in ("union", "intersection"):
        raise ValueError(f"join must be 'union' or 'intersection', got {join!r}")
    frames, classes = [], {}
    for task in tasks:
        frame, names = load_task(meta_root, task, split, on_bad_rows)
        frames.append(frame)
        classes[task] = names
    how = "outer" if join == "union" else "inner"
    merged = reduce(lambda a, b: a.merge(b, on="path", how=how), frames)
    for task in tasks:
        merged[task] = merged[task].fillna(MISSING).astype(np.int64)
    merged["style_dir"] = merged["path"].str.split("/").str[0]
    fields = [file_name_fields(p) for p in merged["path"]]
    merged["artist_slug"] = [a for a, _ in fields]  # every image has one (the artist task covers ~35 %)
    merged["title"] = [t for _, t in fields]
    merged = merged.sort_values("path").reset_index(drop=True)
    root = Path(image_root) if image_root is not None else Path(meta_root)
    return ArtTable(merged, classes, root, name=f"wikiart-{split}")


def split_overlap(meta_root: str | Path, tasks: Sequence[str] = TASKS) -> pd.DataFrame:
    """Images that are in one task's train split and another task's val split.

    ArtGAN split each task separately, so a multitask model trained on the union
    of train splits sees some images that other tasks validate on.
    """
    rows = []
    sets = {(t, s): set(load_task(meta_root, t, s)[0]["path"]) for t in tasks for s in ("train", "val")}
    for a in tasks:
        for b in tasks:
            n = len(sets[(a, "train")] & sets[(b, "val")])
            rows.append({"train_task": a, "val_task": b, "images": n})
    return pd.DataFrame(rows).pivot(index="train_task", columns="val_task", values="images")
