import logging
import os

import pytest

from artlib.utils import page_cache
from artlib.utils.page_cache import PageCacheWarmer, available_memory


@pytest.fixture
def files(tmp_path):
    made = []
    for name, size in (("lists.ivfdata", 3 * page_cache.CHUNK + 17), ("vectors.f16", 1000), ("empty", 0)):
        (tmp_path / name).write_bytes(os.urandom(size))
        made.append(tmp_path / name)
    return made


def test_files_that_fit_are_read_to_the_end(files, monkeypatch):
    read: list[int] = []
    real_open = open

    def counting_open(path, *args, **kwargs):  # every byte of every file goes through readinto
        handle = real_open(path, *args, **kwargs)
        original = handle.readinto

        def readinto(buffer):
            n = original(buffer)
            read.append(n)
            return n

        class Handle:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

        wrapped = Handle()
        wrapped.readinto = readinto
        return wrapped

    monkeypatch.setattr(page_cache, "open", counting_open, raising=False)
    warmer = PageCacheWarmer(files)
    assert warmer.wait(30) and warmer.state == "warm"
    assert sum(read) == sum(f.stat().st_size for f in files)


def test_files_too_large_for_memory_are_left_on_disk(files, monkeypatch, caplog):
    monkeypatch.setattr(page_cache, "available_memory", lambda: 1000)  # a machine with 1 kB free
    with caplog.at_level(logging.INFO, logger="artlib.utils.page_cache"):
        warmer = PageCacheWarmer(files)
    assert warmer.wait(0) and warmer.state.startswith("not warmed: 0.0 GB of files, 0.0 GB available")
    assert "queries read from disk" in caplog.text
    monkeypatch.setattr(page_cache, "available_memory", lambda: None)  # no way to tell: not read
    assert PageCacheWarmer(files).state.startswith("not warmed: 0.0 GB of files, the memory available is unknown")


def test_an_unreadable_file_is_said_not_raised(files, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="artlib.utils.page_cache"):
        warmer = PageCacheWarmer([*files, tmp_path / "gone.f16"])
        assert warmer.wait(30)
    assert warmer.state.startswith("not warmed: [Errno 2]") and "gone.f16" in warmer.state
    assert "gone.f16" in caplog.text


def test_a_stopped_warmer_says_so(files):
    warmer = PageCacheWarmer(files)
    warmer.stop()
    assert warmer.wait(30) and warmer.state in ("stopped", "warm")  # a small file may be read before the stop


def test_the_memory_available_is_read():
    memory = available_memory()
    assert memory is not None and memory > 1 << 20  # at least a megabyte on any machine that runs the tests
