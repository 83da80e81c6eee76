"""Did an embedding job embed every painting exactly once? Checked by ids, shard against shard."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .shards import read_ids, shard_files


@dataclass
class CompletenessReport:
    """Per collection: ids listed, embedded, missing, repeated, unreadable; the shards not written yet."""

    listed: int = 0
    embedded: int = 0
    unreadable: int = 0
    missing: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    pending_shards: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.repeated or self.extra or self.pending_shards)


def check_complete(shards: str | Path | list[Path], out: str | Path) -> CompletenessReport:
    """Compare each input shard's ids with its output shard's (``out/<same name>``): every listed id must appear
    once (embedded, or with its error), none may be repeated or come from nowhere."""
    import pandas as pd

    inputs = shard_files(shards) if isinstance(shards, (str, Path)) else list(shards)
    report = CompletenessReport()
    for shard in inputs:
        listed = read_ids(shard)
        report.listed += len(listed)
        done = Path(out) / shard.name
        if not done.is_file():
            report.pending_shards.append(shard.name)
            report.missing += listed.tolist()
            continue
        written = pd.read_parquet(done, columns=["id", "error"])
        ids = written["id"].astype(str)
        report.repeated += ids[ids.duplicated()].tolist()
        report.missing += sorted(set(listed) - set(ids))
        report.extra += sorted(set(ids) - set(listed))
        failed = written["error"].notna()
        report.unreadable += int(failed.sum())
        report.embedded += int((~failed).sum())
    return report
