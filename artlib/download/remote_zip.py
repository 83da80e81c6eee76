"""Read members of a zip archive on a web server without downloading all of it.

:class:`HTTPRangeFile` is a seekable read-only file over HTTP ``Range``
requests; :mod:`zipfile` reads the central directory from the end of the
archive and then only the chosen members, so a few classes of the 25 GB WikiArt
archive cost a few MB.
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .http import USER_AGENT, DownloadError, OfflineError, _is_offline


class HTTPRangeFile(io.RawIOBase):
    """A read-only, seekable file backed by HTTP range requests (server must answer 206)."""

    def __init__(self, url: str, timeout: float = 60.0, block: int = 1 << 20) -> None:
        super().__init__()
        self.url, self.timeout, self.block = url, timeout, block
        self.pos = 0
        self.cache_start, self.cache = -1, b""
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": USER_AGENT})
        with self._open(request) as response:
            length = response.headers.get("Content-Length")
            if response.headers.get("Accept-Ranges", "").lower() != "bytes" or not length:
                raise DownloadError(f"{url} does not support range requests; download the whole archive instead")
            self.size = int(length)

    def _open(self, request: urllib.request.Request) -> Any:
        """``urlopen`` with network failures as :class:`OfflineError` / :class:`DownloadError`."""
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raise DownloadError(f"{self.url}: HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            if _is_offline(exc):
                raise OfflineError(
                    f"cannot reach {self.url} ({exc.reason}); check the network connection or "
                    "download the archive by hand"
                ) from exc
            raise DownloadError(f"{self.url}: network error: {exc.reason}") from exc
        except (OSError, TimeoutError) as exc:
            raise DownloadError(f"{self.url}: {type(exc).__name__}: {exc}") from exc

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.pos, os.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def _range(self, start: int, end: int) -> bytes:
        request = urllib.request.Request(self.url, headers={"User-Agent": USER_AGENT, "Range": f"bytes={start}-{end}"})
        with self._open(request) as response:
            if response.status != 206:
                raise DownloadError(f"{self.url} ignored the range request (HTTP {response.status})")
            data = response.read()
        if len(data) != end - start + 1:
            raise DownloadError(f"short range read from {self.url}: {len(data)} of {end - start + 1} bytes")
        return data

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        start = self.pos
        if not (self.cache_start <= start and start + n <= self.cache_start + len(self.cache)):
            if n >= self.block:
                data = self._range(start, start + n - 1)
                self.pos += n
                return data
            self.cache_start = start
            self.cache = self._range(start, min(self.size, start + self.block) - 1)
        offset = start - self.cache_start
        self.pos += n
        return self.cache[offset : offset + n]

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def extract_remote_members(
    url: str, dest: str | Path, select: Callable[[list[str]], Iterable[str]], progress: bool = True
) -> list[Path]:
    """Extract the members chosen by ``select(all_names)`` from the zip at ``url`` into ``dest``.

    Members already present with the right size are skipped; each file is written
    to a ``.part`` name first and renamed when complete.
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    written = []
    with zipfile.ZipFile(HTTPRangeFile(url)) as archive:
        infos = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        chosen = list(select(sorted(infos)))
        for name in tqdm(chosen, desc="extracting", unit="file", disable=not progress):
            info = infos[name]
            target = dest / name
            if target.is_file() and target.stat().st_size == info.file_size:
                written.append(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(target.name + ".part")
            with archive.open(info) as src, open(part, "wb") as out:
                while block := src.read(1 << 20):
                    out.write(block)
            if part.stat().st_size != info.file_size:
                raise DownloadError(f"{name}: extracted {part.stat().st_size} of {info.file_size} bytes")
            os.replace(part, target)
            written.append(target)
    return written
