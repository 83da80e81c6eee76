"""Fetching the datasets: resumable verified downloads, a parallel batch runner, per-dataset fetchers."""

from .batch import download_many
from .http import DownloadError, FileResult, OfflineError, RateLimiter, download_file
from .remote_zip import HTTPRangeFile, extract_remote_members
from .sources import (
    drop_failed,
    fetch_nga_images,
    fetch_nga_tables,
    fetch_painter_by_numbers,
    fetch_wga_images,
    fetch_wikiart,
    iiif_image_url,
    unpack_painter_by_numbers,
)

__all__ = [
    "DownloadError",
    "FileResult",
    "HTTPRangeFile",
    "OfflineError",
    "RateLimiter",
    "download_file",
    "download_many",
    "drop_failed",
    "extract_remote_members",
    "fetch_nga_images",
    "fetch_nga_tables",
    "fetch_painter_by_numbers",
    "fetch_wga_images",
    "fetch_wikiart",
    "iiif_image_url",
    "unpack_painter_by_numbers",
]
