"""ImageFolder trees and generic ``path,label`` CSV files."""

from __future__ import annotations

import csv
import io
import logging
import os
import posixpath
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .csv_rows import BadRows, read_text
from .table import ArtTable, encode_labels

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".avif")


def _above(target: str, root: str) -> bool:
    """Whether real path ``target`` is a folder strictly above real path ``root``."""
    return target != root and root.startswith(target.rstrip(os.sep) + os.sep)


def walk_files(folder: Path) -> list[Path]:
    """Every non-folder entry under ``folder`` (files, FIFOs, links to nothing), sorted, hidden ones left out.

    Symlinked sub-folders are followed, as real ones are (a dataset assembled from links is common); a link
    back to a folder already walked (a loop), or to a folder above ``folder`` (``b/up -> ..``, which
    would bring in other classes' images under this one), is skipped with a warning.
    """
    seen: set[str] = set()
    entries: list[Path] = []
    root = os.path.realpath(folder)
    for top, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            log.warning("%s leads back to %s, already read: a link loop, not followed", top, real)
            dirs[:] = []
            continue
        seen.add(real)
        upward = [d for d in dirs if _above(os.path.realpath(os.path.join(top, d)), root)]
        for d in upward:
            log.warning("%s links to %s, above the folder being read: not followed", Path(top, d), root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in upward)
        entries += [Path(top, f) for f in files if not f.startswith(".")]
    return sorted(entries)


def load_image_folder(root: str | Path, task: str = "label", extensions: Sequence[str] = IMAGE_EXTENSIONS) -> ArtTable:
    """``root/<class>/<image>`` as a single-task table (classes sorted by folder name).

    Hidden files and folders (``.ipynb_checkpoints``, which JupyterLab makes, ``.DS_Store``) are skipped;
    files with other extensions, entries that are not regular files (a FIFO, a link to nothing) and loose
    files in ``root`` are skipped with a warning that counts them; symlinked sub-folders are followed
    (:func:`walk_files`); an empty class folder is an error.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not class_dirs:
        raise ValueError(f"{root} has no class sub-folders (expected root/<class>/<image>)")
    loose = [p.name for p in root.iterdir() if p.is_file() and not p.name.startswith(".")]
    if loose:
        log.warning(
            "%s: %d file(s) directly in the root belong to no class and are skipped (e.g. %s); put "
            "them in a class folder",
            root,
            len(loose),
            sorted(loose)[:3],
        )
    rows: list[dict] = []
    skipped: Counter[str] = Counter()
    for code, class_dir in enumerate(class_dirs):
        files = []
        for p in walk_files(class_dir):
            if not p.is_file():
                skipped["(not a regular file: a FIFO, a socket or a link to nothing)"] += 1
            elif p.suffix.lower() in extensions:
                files.append(p)
            else:
                skipped[p.suffix.lower() or "(no extension)"] += 1
        if not files:
            raise ValueError(f"class folder {class_dir} holds no images with {tuple(extensions)}")
        rows += [{"path": str(p.relative_to(root)), task: code} for p in files]
    if skipped:
        log.warning(
            "%s: %d file(s) in class folders are not images (by their extension or their kind) and are skipped (%s); "
            "images with other extensions: pass extensions=",
            root,
            sum(skipped.values()),
            ", ".join(f"{n} {ext}" for ext, n in skipped.most_common()),
        )
    frame = pd.DataFrame(rows)
    return ArtTable(frame, {task: [d.name for d in class_dirs]}, root, name=root.name)


def load_split_folders(root: str | Path, task: str = "label") -> dict[str, ArtTable]:
    """``root/<split>/<class>/<image>`` (e.g. train/ and test/) as one table per split.

    Class lists are the union across splits so that codes agree.
    """
    root = Path(root)
    # hidden folders (.ipynb_checkpoints, which JupyterLab creates in data folders; .git) are not splits
    splits = {
        d.name: load_image_folder(d, task) for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(".")
    }
    if not splits:
        raise ValueError(f"{root} has no split folders")
    classes = sorted({c for t in splits.values() for c in t.classes[task]})
    out = {}
    for name, table in splits.items():
        frame = table.frame.copy()
        frame[task], _ = encode_labels(table.label_names(task), classes)
        frame["path"] = [f"{name}/{p}" for p in frame["path"]]
        out[name] = ArtTable(frame, {task: classes}, root, name=f"{root.name}-{name}")
    return out


def _clean_path(path: str) -> str:
    """A CSV's image path in one spelling: forward slashes, no ``.`` parts (``./0.jpg`` is ``0.jpg``)."""
    if not path:
        return path
    cleaned = posixpath.normpath(path.replace("\\", "/"))
    return "" if cleaned == "." else cleaned


def path_in_root(path: str, root: Path) -> str | None:
    """A CSV's (cleaned) image path relative to ``root``, or None when it lies outside: ``../x.jpg``, and an
    absolute path elsewhere (``/etc/hostname``). An absolute path inside ``root`` becomes relative, so that
    ``1.jpg`` and ``/data/art/1.jpg`` are seen as the same image."""
    if not os.path.isabs(path):
        return None if path.split("/")[0] == ".." else path
    for inner, outer in (
        (os.path.abspath(path), os.path.abspath(root)),
        (os.path.realpath(path), os.path.realpath(root)),
    ):
        relative = os.path.relpath(inner, outer)
        if relative.split(os.sep)[0] != "..":
            return "" if relative == "." else Path(relative).as_posix()
    return None


class _DiskSpelling:
    """The spelling on disk of a path whose file name is written in another Unicode normal form (``Café.jpg``
    composed in the CSV, decomposed by macOS on disk, or the other way round); other paths unchanged."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: dict[Path, dict[str, str]] = {}

    def __call__(self, path: str) -> str:
        if path.isascii() or (self.root / path).exists():
            return path
        folder, parts = self.root, []
        for part in path.split("/"):
            if folder not in self._folders:
                try:
                    self._folders[folder] = {unicodedata.normalize("NFC", n): n for n in os.listdir(folder)}
                except OSError:
                    return path  # (a missing folder: the missing file is reported where images are checked)
            name = self._folders[folder].get(unicodedata.normalize("NFC", part))
            if name is None:
                return path
            parts.append(name)
            folder = folder / name
        return "/".join(parts)


def _csv_records(
    csv_path: Path,
    path_column: str,
    label_columns: Sequence[str],
    keep_columns: Sequence[str] | None,
    on_bad_rows: str,
) -> tuple[pd.DataFrame, Sequence[str]]:
    """The CSV's well-formed rows as strings (with their ``_line``), and the metadata columns to keep."""
    rows = list(csv.reader(io.StringIO(read_text(csv_path), newline="")))
    if not rows:
        raise ValueError(f"{csv_path} is empty: expected a header with {path_column!r} and {list(label_columns)}")
    header = [h.strip() for h in rows[0]]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise ValueError(
            f"{csv_path}: the header names {repeated} more than once: which column is meant "
            "cannot be known; rename them"
        )
    if keep_columns is None:
        keep_columns = [c for c in header if c and c not in (path_column, "path", "_line", *label_columns)]
    missing = [c for c in [path_column, *label_columns, *keep_columns] if c not in header]
    if missing:
        raise KeyError(f"{csv_path}: columns {missing} not found; have {header}")
    bad = BadRows(str(csv_path))
    records = []
    for lineno, row in enumerate(rows[1:], 2):
        if not any(field.strip() for field in row):
            continue  # blank line
        if len(row) != len(header):
            bad.add(lineno, ",".join(row), f"{len(row)} fields, the header has {len(header)}")
            continue
        records.append(dict(zip(header, row, strict=True), _line=lineno))
    if not records:
        raise ValueError(f"{csv_path} has a header but no data rows")
    bad.check(total=len(records) + len(bad), on_bad_rows=on_bad_rows)
    return pd.DataFrame(records), keep_columns


def _paths_in_folder(raw: pd.DataFrame, path_column: str, base: Path, csv_path: Path) -> pd.DataFrame:
    """Rows with a path inside ``base``, spelt one way and as on disk; the others dropped with a warning."""
    raw[path_column] = raw[path_column].str.strip().map(_clean_path)  # "./a.jpg", "a\\b.jpg" -> "a.jpg", "a/b.jpg"
    empty = raw[path_column] == ""
    if empty.any():
        log.warning(
            "%s: %d row(s) without an image path dropped (lines %s)",
            csv_path,
            int(empty.sum()),
            raw.loc[empty, "_line"].tolist()[:5],
        )
        raw = raw[~empty]
    inside = raw[path_column].map(lambda p: path_in_root(p, base))  # absolute paths made relative, or None
    outside = inside.isna()
    if outside.any():
        log.warning(
            "%s: %d row(s) whose path leaves the image folder %s dropped (lines %s, e.g. %r)",
            csv_path,
            int(outside.sum()),
            base,
            raw.loc[outside, "_line"].tolist()[:5],
            raw.loc[outside, path_column].iloc[0],
        )
    raw = raw[~outside].assign(**{path_column: inside[~outside].map(_DiskSpelling(base))})
    return raw


def load_csv_table(
    csv_path: str | Path,
    label_columns: Sequence[str],
    path_column: str = "path",
    root: str | Path | None = None,
    keep_columns: Sequence[str] | None = None,
    on_bad_rows: str = "warn",
) -> ArtTable:
    """A CSV with an image path column and string or integer label columns.

    ``keep_columns``: the other columns kept as metadata (title, date, artist names...); ``None`` keeps
    every column that is neither the path nor a label.

    ``root`` defaults to the CSV's folder. Checked line by line, like the other parsers:

    * a row with more or fewer fields than the header is skipped with a warning naming its line
      (more than 1 % such rows, or any with ``on_bad_rows='raise'``: :class:`MalformedRowsError`);
    * a row with an empty path is dropped with a warning; an empty label is a missing label (-1);
    * an image listed twice with the same labels is kept once; with different labels, both rows are
      dropped with a warning (which label is right cannot be known);
    * a file that is not UTF-8 is read as Windows Latin-1 with a warning; a file with no data rows is an error;
    * paths are spelt one way (``./0.jpg`` is ``0.jpg``; Windows backslashes become slashes; an absolute path
      inside the image folder is made relative, before the duplicate check); a path that leaves the image
      folder (``../x.jpg``, ``/etc/hostname``) is dropped with a warning; a file name written in another
      Unicode normal form than the file's on disk is matched to it; a header naming a column twice is an error.
    """
    csv_path = Path(csv_path)
    raw, keep_columns = _csv_records(csv_path, path_column, label_columns, keep_columns, on_bad_rows)
    base = Path(root) if root else csv_path.parent
    raw = _paths_in_folder(raw, path_column, base, csv_path)
    labels = raw[list(label_columns)].apply(lambda col: col.str.strip())
    raw = raw.assign(**{c: labels[c] for c in label_columns})
    exact = raw.duplicated([path_column, *label_columns])
    if exact.any():
        log.info("%s: %d repeated row(s) kept once", csv_path, int(exact.sum()))
        raw = raw[~exact]
    conflicts = raw[path_column].duplicated(keep=False)
    if conflicts.any():
        log.warning(
            "%s: %d image(s) listed with different labels; all their rows dropped (lines %s)",
            csv_path,
            raw.loc[conflicts, path_column].nunique(),
            raw.loc[conflicts, "_line"].tolist()[:6],
        )
        raw = raw[~conflicts]
    raw = raw.reset_index(drop=True)
    frame = pd.DataFrame({"path": raw[path_column]})
    classes = {}
    for col in label_columns:
        frame[col], classes[col] = encode_labels(raw[col].replace("", pd.NA))
    for col in keep_columns:
        frame[col] = raw[col].str.strip()
    return ArtTable(frame, classes, base, name=csv_path.stem)
