import hashlib

from artlib.download import (
    download_file,
)


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_plain_download_and_checksum(server, tmp_path):
    url, root, _ = server
    data = (root / "blob.bin").read_bytes()
    res = download_file(f"{url}/files/blob.bin", tmp_path / "out" / "b.bin", checksum=_sha(data))
    assert res.status == "ok" and (tmp_path / "out" / "b.bin").read_bytes() == data
    again = download_file(f"{url}/files/blob.bin", tmp_path / "out" / "b.bin", checksum=_sha(data))
    assert again.status == "exists"


def test_dropped_connection_is_resumed_with_a_range(server, tmp_path):
    url, root, hits = server
    res = download_file(f"{url}/drop/blob.bin", tmp_path / "b.bin", backoff=0.01)
    assert res.status == "ok" and res.attempts == 2 and hits["/drop/blob.bin"] == 2
    assert (tmp_path / "b.bin").read_bytes() == (root / "blob.bin").read_bytes()
    assert not (tmp_path / "b.bin.part").exists()


def test_truncated_file_is_never_taken_for_complete(server, tmp_path):
    url, _, _ = server
    res = download_file(f"{url}/truncated/blob.bin", tmp_path / "b.bin", retries=2, backoff=0.01)
    assert res.status == "failed" and not (tmp_path / "b.bin").exists()
    assert "closed early" in res.error or "Incomplete" in res.error


def test_wrong_checksum_fails(server, tmp_path):
    url, _, _ = server
    res = download_file(
        f"{url}/files/blob.bin", tmp_path / "b.bin", checksum="sha256:" + "0" * 64, retries=2, backoff=0.01
    )
    assert res.status == "failed" and "mismatch" in res.error and not (tmp_path / "b.bin").exists()


def test_404_fails_at_once(server, tmp_path):
    url, _, hits = server
    res = download_file(f"{url}/files/nothing.bin", tmp_path / "x.bin", retries=4, backoff=0.01)
    assert res.status == "failed" and "404" in res.error and res.attempts == 1


def test_server_ignoring_ranges_restarts(server, tmp_path):
    url, root, _ = server
    data = (root / "blob.bin").read_bytes()
    (tmp_path / "b.bin.part").write_bytes(b"garbage" * 10)
    res = download_file(f"{url}/norange/blob.bin", tmp_path / "b.bin")
    assert res.status == "ok" and (tmp_path / "b.bin").read_bytes() == data
