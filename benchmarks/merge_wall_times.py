"""Merge a run_notebooks summary.csv into a wall-time table: the notebooks of the new run replace their
earlier rows (dated), the others keep theirs.

    python benchmarks/merge_wall_times.py outputs/wikiart_sample/notebooks/summary.csv \
        outputs/results/wikiart_sample/wall_times.csv
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pandas as pd


def merge(new_csv: Path, table_csv: Path, date: str | None = None) -> pd.DataFrame:
    new = pd.read_csv(new_csv).assign(measured=date or str(datetime.date.today()))
    old = pd.read_csv(table_csv) if table_csv.is_file() else new.iloc[:0]
    merged = pd.concat([old[~old["notebook"].isin(new["notebook"])], new]).sort_values("notebook")
    merged.to_csv(table_csv, index=False)
    return merged


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    table = merge(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wall times: {sys.argv[2]} ({len(table)} notebooks, {table['seconds'].sum() / 60:.1f} min in all)")
