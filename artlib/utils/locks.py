"""One writer per folder: an exclusive lock file that says who holds it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class FolderBusyError(RuntimeError):
    """Another process (or another object in this one) is writing into the same folder."""


@contextmanager
def exclusive_folder(folder: str | Path, what: str, lock_name: str = ".artlib.lock") -> Iterator[Path]:
    """Hold ``<folder>/<lock_name>`` for the block, or raise :class:`FolderBusyError` at once.

    ``what`` names the writer in the message (e.g. ``"a training run"``). The lock is an OS lock
    (``filelock``): it is released when the holder exits, even when it is killed, so a stale lock file
    never blocks a later run. The holder's pid and host are written beside it for the message.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / lock_name
    holder_path = folder / f"{lock_name}.holder"
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        holder = holder_path.read_text().strip() if holder_path.is_file() else "unknown"
        raise FolderBusyError(
            f"{folder} is in use by {what} already running ({holder}); two writers would overwrite each other's "
            "files. Wait for it to end, or give this one another folder."
        ) from None
    try:
        holder_path.write_text(f"pid {os.getpid()} on {socket.gethostname()}\n")
        yield folder
    finally:
        holder_path.unlink(missing_ok=True)
        lock.release()
