"""One call per dataset: fetch what the parsers in :mod:`artlib.data` read.

Every fetcher takes its base URL as an argument (the defaults are the public
sources) and writes a manifest CSV of what failed, so that broken links can be
dropped from a table with :func:`drop_failed`.
"""

from __future__ import annotations

import logging
import random
import shutil
import subprocess
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.table import ArtTable
from .batch import download_many
from .http import download_file
from .remote_zip import extract_remote_members

log = logging.getLogger(__name__)

WIKIART_ARCHIVE = "http://web.fsktm.um.edu.my/~cschan/source/ICIP2017/wikiart.zip"
WIKIART_CSV = "http://web.fsktm.um.edu.my/~cschan/source/ICIP2017/wikiart_csv.zip"
NGA_BASE = "https://github.com/NationalGalleryOfArt/opendata/raw/main/data/"
NGA_TABLES = ("objects", "published_images", "objects_terms", "objects_constituents")


def _unzip(zip_path: Path, dest: Path) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(dest)


def fetch_wikiart(
    dest: str | Path,
    styles: Sequence[str] | None = None,
    per_class: int | None = None,
    full: bool = False,
    seed: int = 0,
    archive_url: str = WIKIART_ARCHIVE,
    csv_url: str = WIKIART_CSV,
) -> dict[str, Path]:
    """ArtGAN WikiArt: the split CSVs, and all images or a subset.

    ``full=True`` downloads the whole archive (about 25 GB, resumable) and unpacks
    it. Otherwise only the members of ``styles`` (all when None), at most
    ``per_class`` per style (a seeded choice), are read out of the remote archive
    with range requests. Returns ``{'images': .../wikiart, 'meta': .../wikiart_csv}``:
    point ``ARTLIB_DATA`` and ``ARTLIB_META`` at them.
    """
    dest = Path(dest)
    csv_zip = dest / "wikiart_csv.zip"
    result = download_file(csv_url, csv_zip)
    if result.status == "failed":
        raise RuntimeError(f"could not fetch the WikiArt split files: {result.error}")
    _unzip(csv_zip, dest)
    if full:
        archive = dest / "wikiart.zip"
        result = download_file(archive_url, archive, timeout=300)
        if result.status == "failed":
            raise RuntimeError(f"could not fetch the WikiArt archive: {result.error} (run again to resume)")
        _unzip(archive, dest)
    else:
        wanted = set(styles) if styles else None

        def select(names: list[str]) -> list[str]:
            by_style = defaultdict(list)
            for name in names:
                parts = name.split("/")
                if len(parts) >= 3 and (wanted is None or parts[-2] in wanted):
                    by_style[parts[-2]].append(name)
            missing = (wanted or set()) - set(by_style)
            if missing:
                raise KeyError(f"styles not in the archive: {sorted(missing)}")
            rng = random.Random(seed)
            chosen = []
            for style in sorted(by_style):
                members = by_style[style]
                chosen += sorted(rng.sample(members, per_class)) if per_class and len(members) > per_class else members
            return chosen

        extract_remote_members(archive_url, dest, select)
    return {"images": dest / "wikiart", "meta": dest / "wikiart_csv"}


def fetch_nga_tables(dest: str | Path, base_url: str = NGA_BASE, tables: Sequence[str] = NGA_TABLES) -> pd.DataFrame:
    """The NGA open-data CSVs that :func:`artlib.data.load_nga` reads; returns the manifest."""
    dest = Path(dest)
    jobs = [{"url": f"{base_url.rstrip('/')}/{name}.csv", "dest": dest / f"{name}.csv"} for name in tables]
    manifest = download_many(jobs, workers=4, manifest=dest / "manifest_tables.csv", progress=False)
    failed = manifest[manifest["status"] == "failed"]
    if len(failed):
        raise RuntimeError(f"NGA tables failed: {failed[['url', 'error']].to_dict('records')}")
    return manifest


def iiif_image_url(iiif_base: str, size: int) -> str:
    """IIIF Image API URL of the whole image scaled to fit ``size`` x ``size``."""
    return f"{iiif_base.rstrip('/')}/full/!{size},{size}/0/default.jpg"


def fetch_nga_images(
    table: ArtTable, size: int = 640, workers: int = 8, per_second: float = 4.0, **kwargs: Any
) -> pd.DataFrame:
    """Download each painting of a :func:`load_nga` table through its IIIF URL to the table's paths.

    ``kwargs`` go to :func:`download_file` (retries, backoff, timeout).
    """
    root = table.root or Path(".")
    frame = table.frame[table.frame["iiifurl"].astype(str).str.len() > 0]
    jobs = [
        {"url": iiif_image_url(u, size), "dest": root / p} for u, p in zip(frame["iiifurl"], frame["path"], strict=True)
    ]
    return download_many(jobs, workers, per_second, manifest=root / "manifest_images.csv", **kwargs)


def fetch_wga_images(table: ArtTable, workers: int = 8, per_second: float = 2.0, **kwargs: Any) -> pd.DataFrame:
    """Download the WGA images of a :func:`load_wga` table (its ``url`` column) to the table's paths."""
    root = table.root or Path(".")
    jobs = [{"url": u, "dest": root / p} for u, p in zip(table.frame["url"], table.frame["path"], strict=True)]
    return download_many(jobs, workers, per_second, manifest=root / "manifest_images.csv", **kwargs)


def drop_failed(table: ArtTable, manifest: pd.DataFrame) -> ArtTable:
    """The rows of ``table`` whose download did not fail (broken links removed)."""
    failed = set(manifest.loc[manifest["status"] == "failed", "path"].map(lambda p: str(Path(p))))
    keep = [str(p) not in failed for p in table.image_paths()]
    if not all(keep):
        log.warning("%d row(s) with failed downloads dropped", len(keep) - sum(keep))
    return table.subset(pd.Series(keep).to_numpy())


def fetch_painter_by_numbers(
    dest: str | Path, files: Sequence[str] = ("train_info.csv", "train.zip"), competition: str = "painter-by-numbers"
) -> Path:
    """Painter by Numbers through the Kaggle CLI (``pip install kaggle`` and an API token), then unpacked.

    If you downloaded the files by hand, put them in ``dest`` and call
    :func:`unpack_painter_by_numbers` instead.
    """
    dest = Path(dest)
    if shutil.which("kaggle") is None:
        raise RuntimeError(
            "the Kaggle CLI is not installed: `pip install kaggle`, put your API token in "
            "~/.kaggle/kaggle.json, accept the competition rules on kaggle.com, then retry; "
            f"or download {list(files)} by hand into {dest} and call unpack_painter_by_numbers"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for name in files:
        cmd = ["kaggle", "competitions", "download", "-c", competition, "-f", name, "-p", str(dest)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"kaggle download of {name} failed: {done.stderr.strip() or done.stdout.strip()}")
    return unpack_painter_by_numbers(dest)


def unpack_painter_by_numbers(dest: str | Path) -> Path:
    """Unzip ``train.zip`` / ``train_info.csv.zip`` found in ``dest``; return the ``train_info.csv`` path."""
    dest = Path(dest)
    for zipped in sorted(dest.glob("*.zip")):
        _unzip(zipped, dest)
    info = dest / "train_info.csv"
    if not info.is_file():
        raise FileNotFoundError(f"{info} not found after unpacking; is this a Painter by Numbers download?")
    return info
