import hashlib
import socket
import zipfile

import numpy as np
import pandas as pd
import pytest
from http_fixture_server import serve

from artlib.data import load_nga, load_wga, load_wikiart
from artlib.download import (
    OfflineError,
    download_file,
    download_many,
    drop_failed,
    fetch_nga_images,
    fetch_nga_tables,
    fetch_wga_images,
    fetch_wikiart,
    unpack_painter_by_numbers,
)
from artlib.download.remote_zip import HTTPRangeFile


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    rng = np.random.default_rng(0)
    (root / "blob.bin").write_bytes(rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    srv, hits = serve(root)
    yield f"http://127.0.0.1:{srv.server_address[1]}", root, hits
    srv.shutdown()


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


def test_batch_manifest_and_offline(server, tmp_path):
    url, _, _ = server
    jobs = [
        {"url": f"{url}/files/blob.bin", "dest": tmp_path / "a.bin"},
        {"url": f"{url}/files/missing.jpg", "dest": tmp_path / "m.jpg"},
        {"url": f"{url}/drop/blob.bin", "dest": tmp_path / "d.bin"},
    ]
    manifest = download_many(
        jobs, workers=3, per_second=None, manifest=tmp_path / "manifest.csv", progress=False, backoff=0.01
    )
    status = dict(zip(manifest["url"].str.rsplit("/", n=2).str[-2:].str.join("/"), manifest["status"], strict=True))
    assert status == {"files/blob.bin": "ok", "files/missing.jpg": "failed", "drop/blob.bin": "ok"}
    assert pd.read_csv(tmp_path / "manifest.csv").shape[0] == 3
    with socket.socket() as s:  # a port nobody listens on: connection refused, as offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OfflineError, match="network"):
        download_many([{"url": f"http://127.0.0.1:{port}/x", "dest": tmp_path / "x"}], progress=False)


def _dead_url() -> str:
    with socket.socket() as s:  # a port nobody listens on: connection refused, as offline
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_offline_batch_with_more_jobs_than_workers_writes_its_manifest(tmp_path):
    url = _dead_url()
    jobs = [{"url": f"{url}/{i}.jpg", "dest": tmp_path / f"{i}.jpg"} for i in range(12)]
    with pytest.raises(OfflineError, match="network"):
        download_many(jobs, workers=2, per_second=None, manifest=tmp_path / "manifest.csv", progress=False)
    manifest = pd.read_csv(tmp_path / "manifest.csv")
    assert len(manifest) == 12 and set(manifest["status"]) == {"failed"}
    assert manifest["error"].str.contains("offline|cannot reach", regex=True).all()


def test_range_file_offline_is_an_offline_error():
    from artlib.download import HTTPRangeFile

    with pytest.raises(OfflineError, match="cannot reach"):
        HTTPRangeFile(f"{_dead_url()}/wikiart.zip")


def test_fetch_wikiart_subset_reads_only_chosen_members(server, tmp_path, fixture_paths):
    url, root, hits = server
    with zipfile.ZipFile(root / "wikiart.zip", "w") as z:
        for p in sorted(fixture_paths.wikiart_images.rglob("*.jpg")):
            z.write(p, "wikiart/" + p.relative_to(fixture_paths.wikiart_images).as_posix())
    with zipfile.ZipFile(root / "wikiart_csv.zip", "w") as z:
        for p in sorted(fixture_paths.wikiart_csv.rglob("*")):
            if p.is_file():
                z.write(p, "wikiart_csv/" + p.relative_to(fixture_paths.wikiart_csv).as_posix())
    out = fetch_wikiart(
        tmp_path / "wa",
        styles=["Cubism"],
        per_class=5,
        archive_url=f"{url}/files/wikiart.zip",
        csv_url=f"{url}/files/wikiart_csv.zip",
    )
    images = sorted(out["images"].rglob("*.jpg"))
    assert len(images) == 5 and all(p.parent.name == "Cubism" for p in images)
    table = load_wikiart(out["meta"], image_root=out["images"])
    assert table.num_classes["style"] == 3
    with pytest.raises(KeyError, match="not in the archive"):
        fetch_wikiart(
            tmp_path / "wb",
            styles=["Fauvism"],
            archive_url=f"{url}/files/wikiart.zip",
            csv_url=f"{url}/files/wikiart_csv.zip",
        )
    f = HTTPRangeFile(f"{url}/files/wikiart.zip")
    f.seek(-22, 2)
    assert f.read(4) == b"PK\x05\x06"  # end-of-central-directory record, read by range


def test_fetch_nga_tables_and_images(server, tmp_path, fixture_paths):
    url, root, _ = server
    for name in ("objects", "published_images", "objects_terms", "objects_constituents"):
        (root / f"{name}.csv").write_bytes((fixture_paths.nga / f"{name}.csv").read_bytes())
    dest = tmp_path / "nga"
    fetch_nga_tables(dest, base_url=f"{url}/files")
    table = load_nga(dest)
    # serve a few IIIF images: <uuid>/full/!64,64/0/default.jpg -> flat files
    frame = table.frame.head(4).copy()
    for k, oid in enumerate(frame["objectid"]):
        name = f"iiif{k}"
        if k < 3:
            (root / f"{name}").mkdir()
            (root / f"{name}/full").mkdir()
            (root / f"{name}/full/!64,64").mkdir()
            (root / f"{name}/full/!64,64/0").mkdir()
            (root / f"{name}/full/!64,64/0/default.jpg").write_bytes(
                (fixture_paths.nga / "images" / f"{oid}.jpg").read_bytes()
            )
        frame.loc[frame.index[k], "iiifurl"] = f"{url}/files/{name}"
    small = table.subset(np.arange(4))
    small.frame["iiifurl"] = frame["iiifurl"].to_numpy()
    manifest = fetch_nga_images(small, size=64, per_second=100, backoff=0.01)
    assert (manifest["status"] == "ok").sum() == 3 and (manifest["status"] == "failed").sum() == 1
    kept = drop_failed(small, manifest)
    assert len(kept) == 3 and all(p.is_file() for p in kept.image_paths())


def test_fetch_wga_images_drops_broken_links(server, tmp_path, fixture_paths):
    url, root, _ = server
    table = load_wga(fixture_paths.wga_csv).subset(np.arange(3))
    first = table.image_paths()[0]
    (root / "w0.jpg").write_bytes(first.read_bytes())
    table.frame["url"] = [f"{url}/files/w0.jpg", f"{url}/files/gone.jpg", f"{url}/truncated/w0.jpg"]
    table.root = tmp_path / "wga"
    manifest = fetch_wga_images(table, per_second=100, backoff=0.01)
    assert sorted(manifest["status"]) == ["failed", "failed", "ok"]
    assert len(drop_failed(table, manifest)) == 1


def test_unpack_painter_by_numbers(tmp_path, fixture_paths):
    with zipfile.ZipFile(tmp_path / "train_info.csv.zip", "w") as z:
        z.write(fixture_paths.pbn_csv, "train_info.csv")
    assert unpack_painter_by_numbers(tmp_path).is_file()
    with pytest.raises(FileNotFoundError):
        unpack_painter_by_numbers(tmp_path / "empty")
