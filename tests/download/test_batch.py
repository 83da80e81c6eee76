import socket

import pandas as pd
import pytest
from http_fixture_server import dead_url

from artlib.download import (
    OfflineError,
    download_many,
)


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


def test_offline_batch_with_more_jobs_than_workers_writes_its_manifest(tmp_path):
    url = dead_url()
    jobs = [{"url": f"{url}/{i}.jpg", "dest": tmp_path / f"{i}.jpg"} for i in range(12)]
    with pytest.raises(OfflineError, match="network"):
        download_many(jobs, workers=2, per_second=None, manifest=tmp_path / "manifest.csv", progress=False)
    manifest = pd.read_csv(tmp_path / "manifest.csv")
    assert len(manifest) == 12 and set(manifest["status"]) == {"failed"}
    assert manifest["error"].str.contains("offline|cannot reach", regex=True).all()
