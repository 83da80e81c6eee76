"""atomic_write and hash_file: what readers see while a file is being replaced."""

import hashlib

import pytest

from artlib.utils import atomic_write, hash_file


def test_atomic_write_replaces_the_file_only_when_the_block_ends(tmp_path):
    target = tmp_path / "sub" / "table.csv"
    with atomic_write(target) as tmp:
        tmp.write_text("new")
        assert not target.exists()  # nothing at the final name until the block ends
    assert target.read_text() == "new"
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_write_suffix_ends_the_temporary_name(tmp_path):
    with atomic_write(tmp_path / "vectors.npy", suffix=".npy") as tmp:
        assert tmp.name.endswith(".npy") and tmp.parent == tmp_path
        tmp.write_bytes(b"x")


def test_hash_file_matches_hashlib(tmp_path):
    data = bytes(range(256)) * 5000  # more than one read block
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert hash_file(path) == hashlib.sha256(data).hexdigest()
    assert hash_file(path, "md5") == hashlib.md5(data).hexdigest()
