"""One record batch in a memory-mapped IPC file: written whole, refused when it is not what was asked for."""

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

from artlib.utils.arrow_file import map_one_batch, write_one_batch  # noqa: E402


@pytest.mark.parametrize("rows", [0, 1, 7, 5000])
def test_a_table_comes_back_as_one_batch_with_its_values(tmp_path, rows):
    rng = np.random.default_rng(rows)
    chunks = np.array_split(np.arange(rows), 3)  # a chunked table is written as one batch
    schema = pa.schema([("id", pa.string()), ("x", pa.float64()), ("n", pa.int64())])
    table = pa.concat_tables(
        [pa.table({"id": [f"p{i}" for i in c], "x": rng.random(len(c)), "n": c}, schema=schema) for c in chunks]
    )
    write_one_batch(tmp_path / "t.arrow", table, source="v1")
    batch = map_one_batch(tmp_path / "t.arrow", rows, ["id", "x"], source="v1")
    assert batch is not None and batch.num_rows == rows
    assert batch.schema.field("id").type == pa.large_string()  # 64-bit offsets: any amount of text
    assert batch.column("id").to_pylist() == table.column("id").to_pylist()
    assert batch.column("x").to_pylist() == table.column("x").to_pylist()
    if rows:
        picked = batch.take(pa.array([rows - 1, 0]))
        assert picked.column("n").to_pylist() == [rows - 1, 0]


def test_a_file_unlike_what_is_asked_for_is_refused(tmp_path):
    path = tmp_path / "t.arrow"
    assert map_one_batch(path, 3) is None  # missing
    write_one_batch(path, pa.table({"id": ["a", "b", "c"]}), source="v1")
    assert map_one_batch(path, 3, source="v1") is not None
    assert map_one_batch(path, 4, source="v1") is None  # shorter than the source
    assert map_one_batch(path, 3, ["title"], source="v1") is None  # a column missing
    assert map_one_batch(path, 3, source="v2") is None  # made from another version
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, pa.schema([("id", pa.string())])) as writer:
        writer.write_table(pa.table({"id": ["a", "b", "c"]}), max_chunksize=2)  # two batches
    assert map_one_batch(path, 3) is None
    path.write_bytes(b"garbage")
    assert map_one_batch(path, 3) is None
