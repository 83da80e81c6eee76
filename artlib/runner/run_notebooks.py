"""Run the numbered notebook series in order and keep the executed copies under ``<outputs>/notebooks``.

    python -m artlib.runner                # all, on the fixture (or ARTLIB_DATA)
    python -m artlib.runner --only 00 03   # a selection by number prefix
    python -m artlib.runner --html         # also an HTML copy of each executed notebook

``<outputs>`` is ``ARTLIB_OUTPUTS`` (default ``outputs/``), so a real-data run never overwrites the fixture
run's notebooks. The run ends with a summary table (notebook, seconds, status, the data it used, what it
could not do on this data), written to ``<outputs>/notebooks/summary.csv``, and the headline results with
their intervals in ``<outputs>/results/summary.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import inspect
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import nbformat
import pandas as pd
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from ..config import default_outputs, project_root
from ..evaluation.results import write_summary
from ..utils import run_status
from ..utils.locks import FolderBusyError, exclusive_folder

#: Settings that are paths, made absolute before the kernels start.
PATH_VARIABLES = ("ARTLIB_DATA", "ARTLIB_META", "ARTLIB_OUTPUTS")
#: The kernels' matplotlib backend: figures go into the executed notebook.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


#: A notebook of the series: two digits, an optional letter (``11b``: placed between 11 and 12), ``_``, a name.
NOTEBOOK_NAME = re.compile(r"^(\d\d[a-z]?)_.+\.ipynb$")


class UnknownNotebookError(ValueError):
    """``--only`` named a prefix no notebook of the series has."""


def notebook_paths(folder: Path, only: list[str] | None = None) -> list[Path]:
    """The series' notebooks in order, or those whose number (``00``, ``11b``) starts with one of ``only``; a
    prefix that matches none raises :class:`UnknownNotebookError` naming it and the numbers there are."""
    paths = sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))
    if only:
        numbers = {p: NOTEBOOK_NAME.match(p.name).group(1) for p in paths}  # type: ignore[union-attr]
        unknown = [o for o in only if not any(n.startswith(o) for n in numbers.values())]
        if unknown:
            raise UnknownNotebookError(
                f"no notebook numbered {', '.join(unknown)} in {folder} (there are {', '.join(numbers.values())})"
            )
        paths = [p for p in paths if any(numbers[p].startswith(o) for o in only)]
    return paths


def _quiet_kernel_start() -> None:
    """The debugger's notice about frozen modules says nothing useful in a batch run."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


class _Stopped(KeyboardInterrupt):
    """Raised in the main thread by the watchdog's signal. A ``KeyboardInterrupt``, because asyncio lets only
    those (and ``SystemExit``) out of a task: any other exception raised while one of nbclient's tasks runs
    (the output poller, say) is kept in that task, and the run went on until the cell's timeout."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped()


class _Watchdog(threading.Thread):
    """Stops a notebook's execution (SIGUSR1 to this process: the kernel client ignores SIGINT) when its
    kernel dies or a cell runs over ``timeout`` seconds: nbclient, given a kernel manager of its caller,
    notices neither."""

    def __init__(self, km: Any, timeout: float) -> None:
        super().__init__(daemon=True)
        self.km, self.timeout = km, timeout
        self.cell_started: float | None = None
        self.reason: str | None = None
        self.done = threading.Event()

    def on_cell_execute(self, **_: Any) -> None:
        self.cell_started = time.monotonic()

    def on_cell_executed(self, **_: Any) -> None:  # (nbclient's on_cell_complete comes as soon as the cell is sent)
        self.cell_started = None

    def run(self) -> None:
        # signals go to the main thread (where their handlers run, and where a blocked wait must be woken)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
        while not self.done.wait(0.5):
            if not self.reason:  # (the runner's SIGTERM handler may have set it)
                if _INTERRUPTED:  # (a stop before this notebook's watchdog ran)
                    self.reason = "interrupted"
                elif self.km.has_kernel and not self.km.is_alive():
                    self.reason = "dead"
                elif self.cell_started is not None and time.monotonic() - self.cell_started > self.timeout:
                    self.reason = "timeout"
            if self.reason:
                main = threading.main_thread().ident
                if main is not None:
                    signal.pthread_kill(main, signal.SIGUSR1)
                return


class _Client(NotebookClient):
    """nbclient sets its own SIGINT / SIGTERM handlers on its event loop for the whole execution (the kernel's
    start included), and they only clean up: a stop was swallowed and the series went on. Ours replace them
    before the kernel starts, as plain signal handlers: a loop's handler runs only when the loop next turns,
    and nbclient's tasks wait for the kernel in blocking calls, so a stop waited for the running cell."""

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
            signal.signal(signum, _interrupt)
        # figures render inline whatever backend the caller runs under (MPLBACKEND=Agg in a batch shell would
        # leave the executed notebooks and their HTML copies without a single figure)
        kwargs["env"] = kernel_environment({**os.environ, **kwargs.get("env", {})})
        await super().async_start_new_kernel(**kwargs)


def kernel_environment(environ: dict[str, str]) -> dict[str, str]:
    """The kernels' environment: ``environ`` with figures inline, and the folder holding the artlib that runs the
    series first on ``PYTHONPATH``, so every kernel imports this artlib (a checkout run without ``pip install``
    gave each notebook ``No module named 'artlib'``, and an older installed copy would have run instead)."""
    here = str(Path(__file__).resolve().parents[2])
    path = [here] + [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != here]
    return {**environ, "MPLBACKEND": INLINE_BACKEND, "PYTHONPATH": os.pathsep.join(path)}


def run_notebook(path: Path, out_dir: Path, timeout: int = 1800, kernel: str = "python3", html: bool = False) -> float:
    """Execute ``path`` with its folder as working directory; write the result (and its HTML) to ``out_dir``,
    also when it stops early (the copy shows how far it got).

    Raises nbclient's ``CellExecutionError`` (a cell raised), ``CellTimeoutError`` (a cell ran over ``timeout``
    seconds) or ``DeadKernelError`` (the kernel died, e.g. killed for memory), the last two within a second.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    from jupyter_client import KernelManager

    # IPC (a Unix socket) rather than loopback TCP: nothing to encrypt, and no per-kernel warning about it
    sockets = tempfile.mkdtemp(prefix="artlib-kernel-")  # an absolute socket path: the kernel runs elsewhere
    km = (
        KernelManager(kernel_name=kernel, transport="ipc", ip=os.path.join(sockets, "kernel"))
        if os.name == "posix"
        else KernelManager(kernel_name=kernel)
    )
    watchdog = _Watchdog(km, timeout)
    client = _Client(
        nb,
        km=km,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=watchdog.on_cell_execute,
        on_cell_executed=watchdog.on_cell_executed,
    )
    previous = signal.signal(signal.SIGUSR1, _stop)
    _RUNNING[:] = [watchdog]
    watchdog.start()
    try:
        client.execute()
    except (_Stopped, asyncio.CancelledError):
        _abandon(client)
        if watchdog.reason == "dead":
            raise DeadKernelError("the kernel died") from None
        if watchdog.reason == "timeout":
            raise CellTimeoutError(f"a cell ran over {timeout} s") from None
        raise KeyboardInterrupt("stopped") from None
    finally:
        watchdog.done.set()
        _RUNNING.clear()
        signal.signal(signal.SIGUSR1, previous)
        signal.signal(signal.SIGTERM, _interrupt)  # (nbclient leaves the default, which kills without a summary)
        signal.signal(signal.SIGINT, _interrupt)
        if km.has_kernel:  # a client given its kernel manager leaves the kernel to its owner
            km.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / path.name)
        if html:
            from nbconvert import HTMLExporter

            body, _ = HTMLExporter().from_notebook_node(nb)
            (out_dir / path.with_suffix(".html").name).write_text(body, encoding="utf-8")
    return time.perf_counter() - start


def slowest_cell(path: Path) -> str:
    """ "cell N: S s" for the code cell of an executed notebook that took longest (nbclient's timing of each
    cell), "" when none was timed: where a slow notebook spends its time."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return ""
    times = {}
    for number, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.cell_type == "code" and began and ended:
            times[number] = (pd.Timestamp(ended) - pd.Timestamp(began)).total_seconds()
    if not times:
        return ""
    number = max(times, key=times.__getitem__)
    return f"cell {number}: {times[number]:.0f} s"


def _abandon(client: NotebookClient) -> None:
    """Drop a stopped client's event loop unrun. Its tasks wait for the kernel in blocking calls: run again
    (by the kernel's shutdown, which reuses the thread's loop), one of them would hold the run until the
    cell's timeout, which is what made a dead kernel be reported only when ``--timeout`` ran out."""
    from jupyter_core.utils import ensure_event_loop

    atexit.unregister(client._cleanup_kernel)  # (nbclient's hook for a run cut short; we shut the kernel down)
    if client.kc is not None:
        client.kc.stop_channels()
    loop = ensure_event_loop()
    for task in asyncio.all_tasks(loop):
        coro = task.get_coro()
        if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()  # (a task never started: else "coroutine ... was never awaited" at exit)
    loop.close()  # (the next run_sync makes a fresh loop)


_INTERRUPTED: list[int] = []  # the signals received
_RUNNING: list[_Watchdog] = []  # the watchdog of the notebook running now


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM / Ctrl-C: stop the running notebook through its watchdog (which the kernel client cannot
    swallow), within a second also while a cell runs; no further cell or notebook starts."""
    _INTERRUPTED.append(signum)
    if _RUNNING:
        _RUNNING[0].reason = _RUNNING[0].reason or "interrupted"


def _describe(records: list[dict]) -> tuple[str, str]:
    """The data a notebook used and what it could not do, from its run-status records."""
    data = "; ".join(dict.fromkeys(f"{r['what']} ({r['source']})" for r in records if r["kind"] == "data"))
    missing = "; ".join(
        [f"NOT RUN: {r['what']}: {r['why']}" for r in records if r["kind"] == "unavailable"]
        + [f"HOPELESS: {r['what']}: {r['why']}" for r in records if r["kind"] == "sparse"]
    )
    return data, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=project_root() / "notebooks")
    parser.add_argument("--out", type=Path, default=None, help="executed notebooks (default <outputs>/notebooks)")
    parser.add_argument("--only", nargs="*", help="number prefixes to run, e.g. 00 03")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--html", action="store_true", help="also export each executed notebook to HTML")
    args = parser.parse_args(argv)
    for var in PATH_VARIABLES:  # kernels run in the notebooks' folder: relative paths mean the caller's folder
        if os.environ.get(var, "").strip():
            os.environ[var] = str(Path(os.environ[var].strip()).expanduser().resolve())
    outputs = default_outputs()
    out_dir = args.out or outputs / "notebooks"
    try:
        paths = notebook_paths(args.notebooks, args.only)
    except UnknownNotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not paths:
        print(f"no notebooks found in {args.notebooks}", file=sys.stderr)
        return 2
    _quiet_kernel_start()
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # the tasks of a stopped notebook's client
    _INTERRUPTED.clear()
    for signum in (signal.SIGTERM, signal.SIGINT):  # `kill`, a scheduler's stop, Ctrl-C: stop, write the summary
        signal.signal(signum, _interrupt)
    try:
        with exclusive_folder(outputs, "another notebook run (run_notebooks)", lock_name=".run_notebooks.lock"):
            return _run_series(paths, out_dir, outputs, args.timeout, args.html)
    except FolderBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _print_artifacts(outputs: Path) -> None:
    """What the run left for the app and for reuse (``artifacts.list_artifacts``), one line each."""
    from ..store.artifacts import list_artifacts

    made = list_artifacts(outputs)
    if len(made):
        with pd.option_context("display.max_colwidth", 60, "display.width", 250):
            print(f"\nartefacts in {outputs} (artlib.store.artifacts.load_* by name):\n" + made.to_string(index=False))


def _run_series(paths: list[Path], out_dir: Path, outputs: Path, timeout: int, html: bool) -> int:
    """Run ``paths`` in order, print and write the summary; the exit code of :func:`main`."""
    rows = []
    for path in paths:
        if _INTERRUPTED:  # a stop between two notebooks
            break
        print(f"running {path.name} ...", flush=True)
        name = path.stem
        run_status.clear(outputs, name)
        os.environ["ARTLIB_NOTEBOOK"] = name  # the kernel inherits it: run_status records land under this name
        status, start = "ok", time.perf_counter()
        try:
            run_notebook(path, out_dir, timeout, html=html)
        except CellExecutionError as exc:
            status = "FAILED"
            print(f"  FAILED: {str(exc).splitlines()[-1] if str(exc) else exc}", flush=True)
        except CellTimeoutError:
            status = f"TIMEOUT: a cell ran over {timeout} s"
        except DeadKernelError:
            status = "KERNEL DIED (killed, e.g. for memory)"
        except (KeyboardInterrupt, asyncio.CancelledError):
            status = "INTERRUPTED"
        except (OSError, ValueError) as exc:  # not a notebook (not JSON), an unreadable file
            status = f"FAILED: cannot read the notebook ({type(exc).__name__}: {exc})"
        except Exception as exc:  # noqa: BLE001  (the runner reports and goes on to the next notebook)
            status = f"FAILED: {type(exc).__name__}: {exc}"
        finally:
            os.environ.pop("ARTLIB_NOTEBOOK", None)
        if _INTERRUPTED:  # however the stop surfaced (a dead kernel, a cancelled task)
            status = "INTERRUPTED"
        seconds = time.perf_counter() - start
        data, missing = _describe(run_status.read(outputs, name))
        if missing:
            status = "ok, partly not run" if status == "ok" else status
            print(f"  {missing}", flush=True)
        print(f"  {status} in {seconds:.0f}s -> {out_dir / path.name}", flush=True)
        rows.append(
            {
                "notebook": name,
                "seconds": round(seconds),
                "slowest cell": slowest_cell(out_dir / path.name),
                "status": status,
                "data used": data,
                "not run on this data": missing,
            }
        )
        if status == "INTERRUPTED":
            break
    if not rows:
        print("stopped before the first notebook", flush=True)
        return 130
    summary = pd.DataFrame(rows)
    summary.to_csv(out_dir / "summary.csv", index=False)
    with pd.option_context("display.max_colwidth", 90, "display.width", 250):
        print("\n" + summary.to_string(index=False))
    _print_artifacts(outputs)
    print(f"\ntotal {summary['seconds'].sum() / 60:.1f} min; results with intervals: {write_summary(outputs)}")
    failed = int((~summary["status"].str.startswith("ok")).sum())
    print(
        f"{len(summary) - failed} passed, {failed} failed"
        + (f", {len(paths) - len(summary)} not started" if len(summary) < len(paths) else "")
    )
    if (summary["status"] == "INTERRUPTED").any():
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
