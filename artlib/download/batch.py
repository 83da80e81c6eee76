"""Many downloads at once: a thread pool, a progress bar, a per-host rate limit and a manifest."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from .http import FileResult, OfflineError, RateLimiter, download_file

log = logging.getLogger(__name__)


def download_many(
    jobs: Iterable[dict],
    workers: int = 8,
    per_second: float | None = 4.0,
    manifest: str | Path | None = None,
    progress: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Fetch ``jobs`` (dicts with ``url``, ``dest`` and optional ``size`` / ``checksum``) in parallel.

    Returns (and writes to ``manifest`` as CSV, if given) one row per job with its
    status (``ok``, ``exists``, ``failed``) and error. Files that fail are listed,
    never left half-written. If the first attempts show the network is down, the
    jobs not yet started are cancelled, the manifest is written all the same, and (when
    nothing was downloaded) the batch stops with :class:`OfflineError`.
    """
    jobs = list(jobs)
    limiter = RateLimiter(per_second)
    results: list[FileResult] = []
    offline: OfflineError | None = None
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {
            pool.submit(
                download_file, job["url"], job["dest"], job.get("size"), job.get("checksum"), limiter=limiter, **kwargs
            ): job
            for job in jobs
        }
        with tqdm(total=len(futures), desc="downloading", unit="file", disable=not progress) as bar:
            for future in as_completed(futures):
                job = futures[future]
                if future.cancelled():  # never started: an earlier job found the network down
                    results.append(
                        FileResult(
                            job["url"],
                            str(job["dest"]),
                            "failed",
                            error="not attempted: the host was unreachable (offline)",
                        )
                    )
                    bar.update()
                    continue
                try:
                    results.append(future.result())
                except OfflineError as exc:
                    offline = offline or exc
                    results.append(FileResult(job["url"], str(job["dest"]), "failed", error=str(exc)))
                    for other in futures:
                        other.cancel()
                bar.update()
    frame = pd.DataFrame([asdict(r) for r in results], columns=list(FileResult.__dataclass_fields__))
    if manifest is not None:
        Path(manifest).parent.mkdir(parents=True, exist_ok=True)
        frame.sort_values("url").to_csv(manifest, index=False)
    if offline is not None and not (frame["status"] != "failed").any():
        raise offline
    failed = int((frame["status"] == "failed").sum())
    if failed:
        log.warning("%d of %d downloads failed (see the manifest)", failed, len(frame))
    return frame
