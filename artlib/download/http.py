"""Resumable, verified HTTP downloads (standard library only).

A file is written to ``<dest>.part`` and renamed to ``dest`` only once its size
(and checksum, when known) is right, so a partial file is never taken for a
complete one. An interrupted ``.part`` is resumed with an HTTP ``Range`` request.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..utils.files import hash_file

log = logging.getLogger(__name__)

USER_AGENT = "artlib-downloader/0.1 (+research; polite)"


class DownloadError(RuntimeError):
    """A file could not be downloaded after all retries."""


class OfflineError(DownloadError):
    """The host cannot be reached at all (no network, DNS failure)."""


@dataclass
class FileResult:
    """What happened to one URL."""

    url: str
    path: str
    status: str  # "ok", "exists", "failed"
    bytes: int = 0
    error: str = ""
    attempts: int = 0


class RateLimiter:
    """At most ``per_second`` request starts per host, shared by all threads."""

    def __init__(self, per_second: float | None = 4.0) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_slot: dict[str, float] = {}
        self.lock = threading.Lock()

    def wait(self, url: str) -> None:
        if not self.interval:
            return
        host = urlparse(url).netloc
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot.get(host, now))
            self.next_slot[host] = slot + self.interval
        time.sleep(max(0.0, slot - now))


def _is_offline(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, (socket.gaierror, ConnectionRefusedError)) or "Name or service not known" in str(exc)


def _verify(path: Path, size: int | None, checksum: str | None) -> None:
    actual = path.stat().st_size
    if size is not None and actual != size:
        raise DownloadError(f"size mismatch for {path.name}: got {actual} bytes, expected {size}")
    if checksum:
        algorithm, _, expected = checksum.partition(":") if ":" in checksum else ("sha256", "", checksum)
        got = hash_file(path, algorithm)
        if got != expected.lower():
            raise DownloadError(f"{algorithm} mismatch for {path.name}: {got} != {expected}")


def _fetch_once(url: str, part: Path, timeout: float, limiter: RateLimiter | None) -> int | None:
    """Append to ``part`` from where it stops; return the total size announced by the server."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    if limiter:
        limiter.wait(url)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the part file already holds everything
            return offset
        raise
    with response:
        total = None
        if response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            total = (
                int(content_range.rsplit("/", 1)[1])
                if "/" in content_range and not content_range.endswith("*")
                else None
            )
            mode = "ab"
        else:  # 200: the server ignored the range, start over
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        with open(part, mode) as fh:
            while block := response.read(1 << 16):
                fh.write(block)
    got = part.stat().st_size
    if total is not None and got < total:
        raise DownloadError(f"connection closed early: {got} of {total} bytes")
    return total


def download_file(
    url: str,
    dest: str | Path,
    size: int | None = None,
    checksum: str | None = None,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
    limiter: RateLimiter | None = None,
) -> FileResult:
    """Download ``url`` to ``dest`` with resume, retries (exponential back-off) and verification.

    ``size`` (bytes) and ``checksum`` (``"sha256:<hex>"`` or ``"md5:<hex>"``) are
    checked when given; otherwise the server's Content-Length is. An existing
    ``dest`` that passes the checks is not fetched again. 404/410 fail at once;
    an unreachable host raises :class:`OfflineError`.
    """
    dest = Path(dest)
    if dest.exists():
        try:
            _verify(dest, size, checksum)
            return FileResult(url, str(dest), "exists", dest.stat().st_size)
        except DownloadError:
            dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last_error = ""
    for attempt in range(1, retries + 1):
        try:
            total = _fetch_once(url, part, timeout, limiter)
            _verify(part, size if size is not None else total, checksum)
            os.replace(part, dest)
            return FileResult(url, str(dest), "ok", dest.stat().st_size, attempts=attempt)
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code} {exc.reason}"
            if exc.code in (400, 401, 403, 404, 410):
                break
        except urllib.error.URLError as exc:
            if _is_offline(exc):
                raise OfflineError(
                    f"cannot reach {urlparse(url).netloc} ({exc.reason}); "
                    "check the network connection or download the files by hand"
                ) from exc
            last_error = f"network error: {exc.reason}"
        except DownloadError as exc:
            last_error = str(exc)
            if "mismatch" in last_error and part.exists():
                part.unlink()  # wrong content: start over rather than resume
        except (OSError, TimeoutError, http.client.HTTPException) as exc:  # reset, timeout, IncompleteRead
            last_error = f"{type(exc).__name__}: {exc}"
        if attempt < retries:
            time.sleep(backoff * 2 ** (attempt - 1))
    log.warning("failed %s: %s", url, last_error)
    return FileResult(url, str(dest), "failed", part.stat().st_size if part.exists() else 0, last_error, attempt)
