"""A notebook whose data cannot give a step shows a banner and skips the rest: the run says NOT RUN, not FAILED."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook


def test_guard_banners_and_skips_the_rest_of_the_notebook(tmp_path):
    cells = [
        "from artlib.runner.notebook import guard, start\ncfg = start({})",
        "from artlib.errors import NotEnoughDataError\n"
        "with guard(cfg, 'metric learning'):\n    raise NotEnoughDataError('2 images: a batch needs 4')",
        "raise RuntimeError('this cell must not run')",
    ]
    (tmp_path / "nb").mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells]), tmp_path / "nb" / "01_guarded.ipynb")
    env = {**os.environ, "ARTLIB_OUTPUTS": str(tmp_path / "out")}
    proc = subprocess.run(
        [sys.executable, "-m", "artlib.runner", "--notebooks", str(tmp_path / "nb")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = pd.read_csv(tmp_path / "out" / "notebooks" / "summary.csv").iloc[0]
    assert summary["status"] == "ok, partly not run"
    assert "NOT RUN: metric learning: 2 images: a batch needs 4" in summary["not run on this data"]
    executed = nbformat.read(tmp_path / "out" / "notebooks" / "01_guarded.ipynb", as_version=4)
    assert "skipped: metric learning cannot run" in executed.cells[2].outputs[0]["text"]


def test_start_gives_torch_the_thread_count_the_settings_name(monkeypatch):
    import torch

    from artlib.runner.notebook import start

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("ARTLIB_THREADS", "1")
        assert start().threads == 1 and torch.get_num_threads() == 1
        monkeypatch.delenv("ARTLIB_THREADS")
        torch.set_num_threads(before)
        assert start().threads == 0 and torch.get_num_threads() == before  # 0: torch's own count is left alone
    finally:
        torch.set_num_threads(before)
