"""A table as one uncompressed Arrow record batch in an IPC file, mapped into memory and read row by row.

    write_one_batch(path, table, source="...")    # text columns with 64-bit offsets, one batch however long
    batch = map_one_batch(path, rows=len(table), source="...")  # None: missing, damaged, chunked, short, stale
    batch.take(pa.array([12, 40_000]))            # reads only the pages of those rows

A lookup of a few rows in a compressed Parquet file decodes every row group they fall in; in a memory-mapped IPC
file it touches only the rows' own bytes. One batch, not chunks: a lookup in a chunked column joined all of its
chunks first (77 chunks of 10M ids: 78 ms and 350 MB per lookup, 2026-12-07).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .files import atomic_write


def _wide_text(table: Any) -> Any:
    """``table`` with its text columns as ``large_string`` (64-bit offsets: more than 2 GB of text in one batch)."""
    import pyarrow as pa

    fields = [pa.field(f.name, pa.large_string(), f.nullable) if f.type == pa.string() else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


#: the schema metadata key naming what a file was written from (:func:`map_one_batch` refuses another's)
SOURCE_KEY = b"artlib.source"


def write_one_batch(path: str | Path, table: Any, source: str | None = None) -> Path:
    """Write the Arrow ``table`` to ``path`` (atomically) as one uncompressed record batch; ``source`` names what
    it was made from (e.g. another file's size and time), for :func:`map_one_batch` to check."""
    import pyarrow as pa

    table = _wide_text(table.combine_chunks())
    if source is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), SOURCE_KEY: source.encode()})
    with atomic_write(path, suffix=".arrow") as tmp:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(len(table), 1))
    return Path(path)


def map_one_batch(path: str | Path, rows: int, columns: list[str] | None = None, source: str | None = None) -> Any:
    """The one record batch of the IPC file ``path`` (memory-mapped), or None when the file is missing or
    unreadable, holds other than one batch of ``rows`` rows, lacks one of ``columns`` or was written from another
    ``source`` than the one given."""
    import pyarrow as pa

    try:
        reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
        if reader.num_record_batches == 0 and rows == 0:  # (an empty table is written as no batch)
            return pa.RecordBatch.from_pylist([], schema=reader.schema)
        if reader.num_record_batches != 1:
            return None
        batch = reader.get_batch(0)
    except (OSError, pa.ArrowInvalid):
        return None
    if batch.num_rows != rows or any(c not in batch.schema.names for c in columns or []):
        return None
    if source is not None and (batch.schema.metadata or {}).get(SOURCE_KEY) != source.encode():
        return None
    return batch
