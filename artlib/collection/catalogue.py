"""A collection's items in one Parquet file, read in pieces: rows by position, a text search, the map's points.

    write_catalogue("catalogue.parquet", items)        # items: id (+ title, artist_name, style..., x, y), by position
    catalogue = Catalogue.open("catalogue.parquet")    # reads the file's footer only: as fast at 1M rows as at 1k
    catalogue.rows([12, 40_000])                       # those rows, in that order (from its memory-mapped copy)
    catalogue.find("sunflowers", limit=20)             # rows whose title, artist or id holds the words (DuckDB)
    catalogue.columns_of(["x", "y", "style"])          # whole columns as numpy arrays, for the map

A row's position is its position in the :class:`~artlib.retrieval.disk_index.DiskIndex` (the order the paintings
were indexed in), so a search's positions lead straight to their rows. Rows are read from an uncompressed copy of
the catalogue beside it (``catalogue.arrow``, :mod:`artlib.utils.arrow_file`), mapped into memory: a lookup touches
only its rows' bytes. The copy is written with the catalogue, and again whenever the Parquet file changed; where it
cannot be written (a read-only folder), a lookup reads the Parquet row groups of :data:`ROWS_PER_GROUP` its
positions fall in. Nothing holds the collection's items in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..utils.arrow_file import map_one_batch, write_one_batch
from ..utils.files import atomic_write
from .shards import refuse_repeated_ids

log = logging.getLogger(__name__)

#: rows per Parquet row group: a lookup reads whole groups, so small ones keep a search's rows cheap (8 rows of
#: a 1M catalogue: 2.5 ms at the median and 3.0 at p95 with 1,024, against 3.5 and 9.5 with 4,096; 2026-12-06)
ROWS_PER_GROUP = 1024
#: columns :meth:`Catalogue.find` searches, where the catalogue has them
SEARCHED = ("title", "artist_name", "id")


def _literal(word: str) -> str:
    """``word`` as a LIKE pattern that matches itself (``\\``, ``%`` and ``_`` escaped with ``\\``)."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def pa_indices(positions: np.ndarray) -> Any:
    import pyarrow as pa

    return pa.array(positions.astype(np.int64))


def write_catalogue(path: str | Path, items: pd.DataFrame) -> Path:
    """Write ``items`` (one row per painting, in index order, with a unique ``id``; any other columns are kept)
    as the catalogue ``path``, with a ``position`` column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if "id" not in items:
        raise ValueError(f"a catalogue needs an 'id' column; the items have {list(items.columns)}")
    ids = items["id"].astype(str)
    refuse_repeated_ids(ids)
    frame = items.assign(id=ids).reset_index(drop=True)
    frame.insert(0, "position", np.arange(len(frame), dtype=np.int64))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_write(path, suffix=".parquet") as tmp:
        pq.write_table(table, tmp, row_group_size=ROWS_PER_GROUP)
    write_one_batch(mapped_copy(path), table, source=_version(path))
    return path


def mapped_copy(path: Path) -> Path:
    """Where the memory-mapped copy of catalogue ``path`` lies: beside it, ``.arrow`` for ``.parquet``."""
    return path.with_suffix(".arrow")


def _version(path: Path) -> str:
    """The Parquet file's size and modification time: its copy was made from this version of it."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


class Catalogue:
    """The items of a collection, read from their Parquet file as queries need them."""

    def __init__(self, path: Path, file: Any) -> None:
        self.path = path
        metadata = file.metadata
        self.count = int(metadata.num_rows)
        self.columns = list(file.schema_arrow.names)
        self.text_columns = [f.name for f in file.schema_arrow if str(f.type) in ("string", "large_string")]
        self._group_rows = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
        self._group_start = np.concatenate([[0], np.cumsum(self._group_rows)])
        self._readers = threading.local()  # a Parquet reader per thread: the app's sessions read side by side
        self._readers.file = file
        self._mapped: Any = None  # the copy's one record batch, once mapped (False: it cannot be written here)
        self._mapping = threading.Lock()

    def _file_of_this_thread(self) -> Any:
        import pyarrow.parquet as pq

        file = getattr(self._readers, "file", None)
        if file is None:  # this thread's first read: its own reader (the footer again, milliseconds)
            file = self._readers.file = pq.ParquetFile(self.path)
        return file

    @classmethod
    def open(cls, path: str | Path) -> Catalogue:
        """The catalogue at ``path``; only its footer is read."""
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no catalogue at {path}: write it with write_catalogue (notebook 15)")
        try:
            file = pq.ParquetFile(path)
        except Exception as exc:  # noqa: BLE001  (pyarrow's ArrowInvalid and friends)
            raise ValueError(f"{path} is not a readable Parquet catalogue ({exc}): write it again") from exc
        missing = {"position", "id"} - set(file.schema_arrow.names)
        if missing:
            raise ValueError(f"{path} is not an artlib catalogue: it has no {sorted(missing)} column")
        return cls(path, file)

    def __len__(self) -> int:
        return self.count

    def rows(self, positions: Sequence[int] | np.ndarray, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows at ``positions`` in that order (all columns, or ``columns``); ``IndexError`` for a position
        outside the catalogue."""
        wanted = np.asarray(positions, dtype=np.int64).reshape(-1)
        if len(wanted) and (wanted.min() < 0 or wanted.max() >= self.count):
            raise IndexError(f"positions must lie in [0, {self.count}): got {wanted.min()}..{wanted.max()}")
        mapped = self._mapped_rows()
        if mapped is not False:
            table = mapped.select(list(columns)) if columns else mapped
            return table.take(pa_indices(wanted)).to_pandas()
        group_of = np.searchsorted(self._group_start, wanted, side="right") - 1
        groups = np.unique(group_of)
        table = self._file_of_this_thread().read_row_groups(groups.tolist(), columns=list(columns) if columns else None)
        offsets = np.concatenate([[0], np.cumsum([self._group_rows[g] for g in groups])])[:-1]  # in ``table``
        take = offsets[np.searchsorted(groups, group_of)] + (wanted - self._group_start[group_of])
        return table.take(pa_indices(take)).to_pandas()

    def files_read_by_queries(self) -> list[Path]:
        """The file a query's rows are read from: the memory-mapped copy (where it was written)."""
        copy = mapped_copy(self.path)
        return [copy] if copy.is_file() else []

    def _mapped_rows(self) -> Any:
        """The catalogue's memory-mapped copy (one record batch), written from the Parquet file when it is missing,
        damaged or older than the file; False when it cannot be written (the Parquet row groups are read then)."""
        if self._mapped is None:
            with self._mapping:
                if self._mapped is None:
                    self._mapped = self._map_or_write()
        return self._mapped

    def _map_or_write(self) -> Any:
        import pyarrow.parquet as pq

        copy, version = mapped_copy(self.path), _version(self.path)
        batch = map_one_batch(copy, self.count, self.columns, source=version)
        if batch is None:
            try:
                write_one_batch(copy, pq.read_table(self.path), source=version)
            except OSError as exc:
                log.warning("rows of %s are read from its row groups: no copy can be written (%s)", self.path, exc)
                return False
            batch = map_one_batch(copy, self.count, self.columns, source=version)
        return False if batch is None else batch

    def position_of(self, item_id: str) -> int | None:
        """The position of painting ``item_id``, None if the catalogue has no such id."""
        found = self._query("SELECT position FROM read_parquet(?) WHERE id = ? LIMIT 1", [str(self.path), str(item_id)])
        return int(found["position"].iloc[0]) if len(found) else None

    def find(self, text: str, limit: int = 20) -> pd.DataFrame:
        """At most ``limit`` rows whose title, artist or id contains every word of ``text`` (any case; ``%`` and
        ``_`` are letters like any other, not SQL wildcards)."""
        words = [w for w in text.split() if w]
        if not words:
            raise ValueError("type a few words to look for")
        searched = [c for c in SEARCHED if c in self.columns]
        haystack = " || ' ' || ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in searched)
        where = " AND ".join(f"({haystack}) ILIKE ? ESCAPE '\\'" for _ in words)
        sql = f"SELECT * FROM read_parquet(?) WHERE {where} ORDER BY position LIMIT {int(limit)}"
        return self._query(sql, [str(self.path), *[f"%{_literal(w)}%" for w in words]])

    def labelled(self, column: str) -> int:
        """How many rows have a value in ``column``, from the row groups' statistics (the column itself is read
        only when the file keeps none)."""
        metadata = self._file_of_this_thread().metadata
        at = self.columns.index(column)
        nulls = 0
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(at).statistics
            if stats is None or not stats.has_null_count:
                return int(pd.notna(self.columns_of([column])[column]).sum())
            nulls += stats.null_count
        return self.count - nulls

    def distinct(self, column: str) -> int:
        """How many different values ``column`` holds (missing ones not counted); reads the column."""
        import pyarrow.compute as pc

        table = self._file_of_this_thread().read(columns=[column])
        return int(pc.count_distinct(table.column(column), mode="only_valid").as_py())

    def columns_of(self, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """Whole columns as numpy arrays (text columns as objects), e.g. the map's ``x``, ``y`` and a label."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise KeyError(f"the catalogue has no {missing} column (it has {self.columns})")
        table = self._file_of_this_thread().read(columns=list(columns))
        return {c: table.column(c).to_numpy(zero_copy_only=False) for c in columns}

    def _query(self, sql: str, parameters: list) -> pd.DataFrame:
        import duckdb

        # one per query (connections are not shared across threads), one thread each: the app's sessions query
        # side by side, and each DuckDB thread pool would want every core
        with duckdb.connect(config={"threads": 1}) as connection:
            return connection.execute(sql, parameters).df()
