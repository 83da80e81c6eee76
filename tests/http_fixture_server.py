"""A local HTTP server (127.0.0.1 only) with the failure modes real hosts have."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Handler(BaseHTTPRequestHandler):
    """Routes: /files/<name> (ranges), /drop/<name> (first response cut off), /truncated/<name>
    (always cut off), /norange/<name> (ignores Range), anything else 404."""

    root: Path
    hits: dict

    def log_message(self, *args):  # keep test output quiet
        pass

    def _body(self):
        route, _, name = self.path.lstrip("/").partition("/")
        path = self.root / name
        if route not in ("files", "drop", "truncated", "norange") or not path.is_file():
            return route, None
        return route, path.read_bytes()

    def do_HEAD(self):
        route, data = self._body()
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Accept-Ranges", "bytes" if route != "norange" else "none")
        self.end_headers()

    def do_GET(self):
        route, data = self._body()
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if data is None:
            self.send_error(404)
            return
        start, end = 0, len(data) - 1
        ranged = self.headers.get("Range") if route != "norange" else None
        if ranged:
            a, _, b = ranged.removeprefix("bytes=").partition("-")
            start, end = int(a), int(b) if b else len(data) - 1
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        chunk = data[start : end + 1]
        self.send_header("Content-Length", str(len(chunk)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        cut = route == "truncated" or (route == "drop" and self.hits[self.path] == 1)
        self.wfile.write(chunk[: len(chunk) // 2] if cut else chunk)
        if cut:
            self.wfile.flush()
            self.close_connection = True


def serve(root: Path):
    handler = type("FixtureHandler", (Handler,), {"root": root, "hits": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, handler.hits


def dead_url() -> str:
    """A local URL nobody listens on: connection refused, as offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"
