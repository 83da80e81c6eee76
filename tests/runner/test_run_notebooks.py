"""The series runner notices what goes wrong, says so in its summary and goes on (or stops when told)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook


def _notebooks(folder, cells: dict[str, str]) -> None:
    folder.mkdir()
    for name, code in cells.items():
        if code is None:
            (folder / f"{name}.ipynb").write_text("not json")
        else:
            nbformat.write(new_notebook(cells=[new_code_cell(code)]), folder / f"{name}.ipynb")


def _run(folder, outputs, *args) -> subprocess.Popen:
    env = {**os.environ, "ARTLIB_OUTPUTS": str(outputs)}
    return subprocess.Popen(
        [sys.executable, "-m", "artlib.runner", "--notebooks", str(folder), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_timeout_dead_kernel_and_broken_file_are_reported_and_the_rest_runs(tmp_path):
    _notebooks(
        tmp_path / "nb",
        {
            "01_slow": "import time\ntime.sleep(60)",
            "02_killed": "import os\nos.kill(os.getpid(), 9)",
            "03_fine": "print('fine')",
            "04_broken": None,
        },
    )
    start = time.monotonic()
    proc = _run(tmp_path / "nb", tmp_path / "out", "--timeout", "3")
    output, _ = proc.communicate(timeout=150)
    assert proc.returncode == 1, output
    assert time.monotonic() - start < 60  # the 60 s cell was stopped at its limit
    status = pd.read_csv(tmp_path / "out" / "notebooks" / "summary.csv").set_index("notebook")["status"]
    assert status["01_slow"].startswith("TIMEOUT") and status["02_killed"].startswith("KERNEL DIED")
    assert status["03_fine"] == "ok" and status["04_broken"].startswith("FAILED: cannot read the notebook")
    assert "1 passed, 3 failed" in output


def _wait_for(path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear in {seconds} s"
        time.sleep(0.2)


def test_sigterm_stops_a_running_cell_at_once_with_a_summary(tmp_path):
    started = tmp_path / "started"
    slow = f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(300)"
    _notebooks(tmp_path / "nb", {"01_slow": slow, "02_slow": "import time\ntime.sleep(15)", "03_next": "print(1)"})
    proc = _run(tmp_path / "nb", tmp_path / "out", "--timeout", "600")
    _wait_for(started)  # the kernel is up and in the cell
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert time.monotonic() - signalled < 15, output  # not after the 300 s cell, nor the 600 s timeout
    assert proc.returncode == 130, output
    status = pd.read_csv(tmp_path / "out" / "notebooks" / "summary.csv").set_index("notebook")["status"]
    assert status.to_dict() == {"01_slow": "INTERRUPTED"} and "2 not started" in output


def test_a_dead_kernel_is_reported_at_once_under_a_long_timeout(tmp_path):
    """The kernel's death is noticed by the watchdog, not when --timeout runs out (it once took the timeout)."""
    started = tmp_path / "started"
    killed = f"import os, pathlib\npathlib.Path({str(started)!r}).touch()\nos.kill(os.getpid(), 9)"
    _notebooks(tmp_path / "nb", {"01_killed": killed, "02_fine": "print('fine')"})
    proc = _run(tmp_path / "nb", tmp_path / "out", "--timeout", "600")
    _wait_for(started)
    died = time.monotonic()
    output, _ = proc.communicate(timeout=300)
    assert time.monotonic() - died < 30, output  # the next kernel's start included
    assert proc.returncode == 1, output
    status = pd.read_csv(tmp_path / "out" / "notebooks" / "summary.csv").set_index("notebook")["status"]
    assert status["01_killed"].startswith("KERNEL DIED") and status["02_fine"] == "ok"
    assert "never awaited" not in output  # the abandoned client leaves no noise


def test_a_stop_while_the_kernel_starts_is_not_swallowed(tmp_path, monkeypatch):
    """nbclient's own handlers hold SIGTERM while a kernel starts; the run must still stop there."""
    from jupyter_client import KernelManager

    from artlib.runner import run_notebooks

    start_kernel = KernelManager.start_kernel

    def start_then_stop(self, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # a scheduler's stop, in the middle of the kernel's start
        return start_kernel(self, **kwargs)

    _notebooks(tmp_path / "nb", {"01_first": "print(1)", "02_second": "print(2)"})
    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setattr(KernelManager, "start_kernel", start_then_stop)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = run_notebooks.main(["--notebooks", str(tmp_path / "nb")])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert code == 130
    status = pd.read_csv(tmp_path / "out" / "notebooks" / "summary.csv").set_index("notebook")["status"]
    assert status.to_dict() == {"01_first": "INTERRUPTED"}


def test_a_second_run_into_the_same_outputs_is_refused(tmp_path):
    _notebooks(tmp_path / "nb", {"01_slow": "import time\ntime.sleep(12)"})
    first = _run(tmp_path / "nb", tmp_path / "out")
    time.sleep(6)  # the first run holds the outputs folder
    second = _run(tmp_path / "nb", tmp_path / "out")
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 2 and "is in use by another notebook run (run_notebooks)" in output, output
    first_output, _ = first.communicate(timeout=60)
    assert first.returncode == 0, first_output
    status = pd.read_csv(tmp_path / "out" / "notebooks" / "summary.csv")
    assert status["status"].tolist() == ["ok"]  # one run's record, not a mix
    third = _run(tmp_path / "nb", tmp_path / "other")  # another outputs folder runs alongside
    assert third.wait(timeout=60) == 0


def test_run_notebooks_makes_relative_data_paths_absolute(tmp_path, monkeypatch):
    """Kernels run in the notebooks' folder: a relative ARTLIB_DATA must mean the caller's folder."""
    from artlib.runner import run_notebooks

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mydata").mkdir()
    monkeypatch.setenv("ARTLIB_DATA", "mydata")
    monkeypatch.setenv("ARTLIB_OUTPUTS", "out")
    empty = tmp_path / "no_notebooks"
    empty.mkdir()
    assert run_notebooks.main(["--notebooks", str(empty)]) == 2  # nothing to run
    import os

    assert os.environ["ARTLIB_DATA"] == str(tmp_path / "mydata")
    assert os.environ["ARTLIB_OUTPUTS"] == str(tmp_path / "out")


def test_figures_are_kept_when_the_caller_runs_under_agg(tmp_path):
    """A batch shell sets MPLBACKEND=Agg (CI, benchmarks/wikiart_series.sh): the executed copy still holds the plot."""
    _notebooks(tmp_path / "nb", {"01_plot": "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"})
    env = {**os.environ, "MPLBACKEND": "Agg", "ARTLIB_OUTPUTS": str(tmp_path / "out")}
    done = subprocess.run(
        [sys.executable, "-m", "artlib.runner", "--notebooks", str(tmp_path / "nb"), "--html"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    executed = nbformat.read(tmp_path / "out" / "notebooks" / "01_plot.ipynb", as_version=4)
    images = [o for c in executed.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1
    assert "data:image/png;base64" in (tmp_path / "out" / "notebooks" / "01_plot.html").read_text()


def test_the_run_ends_listing_the_artefacts_it_left(tmp_path, capsys, monkeypatch):
    import pandas as pd

    from artlib.config import settings
    from artlib.runner.run_notebooks import _print_artifacts
    from artlib.store import artifacts

    monkeypatch.setenv("ARTLIB_OUTPUTS", str(tmp_path))

    _print_artifacts(tmp_path)  # nothing saved: nothing printed
    assert capsys.readouterr().out == ""
    artifacts.save_frame(settings(), "suspects", pd.DataFrame({"path": ["a.jpg"], "score": [0.9]}), task="genre")
    _print_artifacts(tmp_path)
    out = capsys.readouterr().out
    assert "artefacts in" in out and "suspects" in out and "tables" in out


def test_only_names_unknown_numbers_and_runs_lettered_notebooks(tmp_path):
    """``--only 00 99`` names 99 and exits non-zero; ``11b`` belongs to the series (between 11 and 12)."""
    from artlib.runner.run_notebooks import UnknownNotebookError, main, notebook_paths

    _notebooks(tmp_path / "nb", {"00_a": "1", "11_b": "2", "11b_c": "3", "12_d": "4", "notes": "5"})
    names = [p.name for p in notebook_paths(tmp_path / "nb")]
    assert names == ["00_a.ipynb", "11_b.ipynb", "11b_c.ipynb", "12_d.ipynb"]
    assert [p.name for p in notebook_paths(tmp_path / "nb", ["11b"])] == ["11b_c.ipynb"]
    try:
        notebook_paths(tmp_path / "nb", ["00", "99"])
    except UnknownNotebookError as exc:
        assert "99" in str(exc) and "11b" in str(exc)
    else:
        raise AssertionError("an unknown number must be named")
    assert main(["--notebooks", str(tmp_path / "nb"), "--only", "00", "99"]) == 2


def test_the_former_command_still_runs_the_series(tmp_path):
    _notebooks(tmp_path / "nb", {"00_ok": "print('ran')"})
    env = {**os.environ, "ARTLIB_OUTPUTS": str(tmp_path / "out")}
    done = subprocess.run(
        [sys.executable, "-m", "artlib.run_notebooks", "--notebooks", str(tmp_path / "nb")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "python -m artlib.runner" in done.stderr and (tmp_path / "out" / "notebooks" / "00_ok.ipynb").is_file()


def test_the_slowest_cell_is_named_from_the_executed_notebook(tmp_path):
    from artlib.runner.run_notebooks import slowest_cell

    def timed(code, began, ended):
        cell = new_code_cell(code)
        cell.metadata["execution"] = {
            "iopub.execute_input": f"2026-12-07T00:00:{began:02d}.000Z",
            "shell.execute_reply": f"2026-12-07T00:00:{ended:02d}.500Z",
        }
        return cell

    cells = [nbformat.v4.new_markdown_cell("# a"), timed("a = 1", 0, 1), timed("b = 2", 2, 40), new_code_cell("c")]
    nbformat.write(new_notebook(cells=cells), tmp_path / "run.ipynb")
    assert slowest_cell(tmp_path / "run.ipynb") == "cell 2: 38 s"
    nbformat.write(new_notebook(cells=[new_code_cell("x")]), tmp_path / "never.ipynb")
    assert slowest_cell(tmp_path / "never.ipynb") == "" and slowest_cell(tmp_path / "absent.ipynb") == ""


def test_every_kernel_imports_the_artlib_that_runs_the_series(tmp_path):
    """A checkout run without ``pip install`` (or beside an older installed copy): each kernel imports the artlib
    the runner runs, not another one on its path (before: ``No module named 'artlib'`` in every notebook)."""
    from pathlib import Path

    import artlib

    repo = Path(artlib.__file__).resolve().parents[1]
    shadow = tmp_path / "shadow" / "artlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('the shadow copy, not the series runner')")
    _notebooks(tmp_path / "nb", {"01_which": "import artlib\nprint(artlib.__file__)"})
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "shadow"), "ARTLIB_OUTPUTS": str(tmp_path / "out")}
    done = subprocess.run(
        [sys.executable, "-m", "artlib.runner", "--notebooks", str(tmp_path / "nb")],
        cwd=repo,  # the runner itself imports the checkout's artlib
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    executed = nbformat.read(tmp_path / "out" / "notebooks" / "01_which.ipynb", as_version=4)
    printed = executed.cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == repo / "artlib" / "__init__.py"


def test_the_kernel_path_puts_this_artlib_first_once_and_keeps_the_rest():
    from pathlib import Path

    import artlib
    from artlib.runner.run_notebooks import kernel_environment

    repo = str(Path(artlib.__file__).resolve().parents[1])
    env = kernel_environment({"PYTHONPATH": os.pathsep.join(["/a", repo, "", "/b"]), "X": "1"})
    assert env["PYTHONPATH"].split(os.pathsep) == [repo, "/a", "/b"]
    assert env["X"] == "1" and env["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert kernel_environment({})["PYTHONPATH"] == repo
