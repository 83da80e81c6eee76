"""Run the numbered notebook series in order and keep the executed copies under ``outputs/notebooks``.

    python -m artlib.run_notebooks                # all, on the fixture (or ARTLIB_DATA)
    python -m artlib.run_notebooks --only 00 03   # a selection by number prefix
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .config import project_root


def notebook_paths(folder: Path, only: list[str] | None = None) -> list[Path]:
    paths = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.name.startswith(o) for o in only)]
    return paths


def run_notebook(path: Path, out_dir: Path, timeout: int = 1800, kernel: str = "python3") -> float:
    """Execute ``path`` with its folder as working directory; write the result to ``out_dir``."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    finally:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / path.name)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=project_root() / "notebooks")
    parser.add_argument("--out", type=Path, default=project_root() / "outputs" / "notebooks")
    parser.add_argument("--only", nargs="*", help="number prefixes to run, e.g. 00 03")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.notebooks, args.only)
    if not paths:
        print(f"no notebooks found in {args.notebooks}", file=sys.stderr)
        return 2
    failed = []
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        try:
            seconds = run_notebook(path, args.out, args.timeout)
            print(f"  ok in {seconds:.0f}s -> {args.out / path.name}", flush=True)
        except CellExecutionError as exc:
            failed.append(path.name)
            print(f"  FAILED: {str(exc).splitlines()[-1] if str(exc) else exc}", flush=True)
    print(f"{len(paths) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
