"""Files read once into the operating system's page cache, in the background, when they fit in memory.

    warmer = PageCacheWarmer([index / "lists.ivfdata", index / "vectors.f16"])   # starts at once, returns at once
    warmer.state     # "warming", "warm", "not warmed: ..." (too large for memory, unreadable)
    warmer.wait(30)  # True once every file was read

A disk index answers a query with a few hundred small reads at scattered places. From a cold cache each is a disk
read (a 1M index, 10 threads: p95 61 ms read from disk against 47-56 ms with its files read first, 2026-12-07,
``benchmarks/page_cache_warmer.py``), so a server reads the index's files once from start to end, as ``pg_prewarm``
does for PostgreSQL: sequential reads take seconds (2.7 GB in 3.6-4.8 s here). Only when the files fit in a share of
the memory available now: a 10M index's 24 GB are left on disk and read by the queries that need them. The cache is
the kernel's: it gives the memory back to any process that needs it, and the files are never held by this process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

#: the files are read only when together they take at most this share of the memory available
MEMORY_SHARE = 0.5
#: bytes per read: large enough for the disk to stream, small enough to stop soon when asked
CHUNK = 8 << 20


def available_memory() -> int | None:
    """Bytes of memory available to new work now (Linux's ``MemAvailable``; else free pages), None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


class PageCacheWarmer:
    """Reads ``files`` from start to end on a daemon thread, once, if they fit in ``share`` of the available memory
    (the reads release the GIL: queries go on meanwhile). :attr:`state` says where it stands."""

    def __init__(self, files: Sequence[str | Path], share: float = MEMORY_SHARE) -> None:
        self.files = [Path(f) for f in files]
        self._done = threading.Event()
        self._stop = threading.Event()
        self.state = "warming"
        total = sum(f.stat().st_size for f in self.files if f.is_file())
        memory = available_memory()
        if memory is None or total > share * memory:
            known = f"{memory / 2**30:.1f} GB available" if memory is not None else "the memory available is unknown"
            self.state = f"not warmed: {total / 2**30:.1f} GB of files, {known}; queries read from disk"
            log.info("page cache %s", self.state)
            self._done.set()
            return
        self._thread = threading.Thread(target=self._read_all, name="page-cache-warmer", daemon=True)
        self._thread.start()

    def _read_all(self) -> None:
        buffer = bytearray(CHUNK)
        try:
            for path in self.files:
                with open(path, "rb", buffering=0) as handle:
                    while not self._stop.is_set() and handle.readinto(buffer):
                        pass
            self.state = "stopped" if self._stop.is_set() else "warm"
        except OSError as exc:
            self.state = f"not warmed: {exc}"
            log.warning("page cache %s", self.state)
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the warmer has finished (warm, or found it could not), waiting up to ``timeout`` seconds."""
        return self._done.wait(timeout)

    def stop(self) -> None:
        """Stop reading after the current chunk (the files read so far stay cached)."""
        self._stop.set()
