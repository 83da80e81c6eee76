import numpy as np
import pytest
from http_fixture_server import serve


@pytest.fixture()
def server(tmp_path):
    """A local HTTP server over a folder holding ``blob.bin`` (300 kB): its URL, the folder and its hit log."""
    root = tmp_path / "srv"
    root.mkdir()
    rng = np.random.default_rng(0)
    (root / "blob.bin").write_bytes(rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    srv, hits = serve(root)
    yield f"http://127.0.0.1:{srv.server_address[1]}", root, hits
    srv.shutdown()
