"""Start ``artlib-app`` in a child process on 127.0.0.1 and wait until it answers (tests, benchmarks, screenshots)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(outputs: str | Path, port: int | None = None, timeout: float = 90.0) -> Iterator[str]:
    """Serve the app over ``outputs``; yields its URL once ``/_stcore/health`` answers, stops it afterwards.

    Raises ``RuntimeError`` (with the server's output) when it exits or does not answer within ``timeout`` s.
    """
    port = port or free_port()
    env = {**os.environ, "ARTLIB_OUTPUTS": str(Path(outputs).resolve())}
    proc = subprocess.Popen(
        [sys.executable, "-m", "artlib.app", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                said = proc.stdout.read()[-2000:] if proc.stdout else ""
                raise RuntimeError(f"artlib-app exited with {proc.returncode}: {said}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"artlib-app did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
