"""Line-level CSV reading that reports malformed rows instead of guessing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


class MalformedRowsError(ValueError):
    """Too many rows of a metadata file could not be parsed."""


@dataclass
class BadRows:
    """Rows skipped while parsing one file: ``(line_number, text, reason)``."""

    source: str
    rows: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, lineno: int, text: str, reason: str) -> None:
        self.rows.append((lineno, text, reason))

    def __len__(self) -> int:
        return len(self.rows)

    def check(self, total: int, on_bad_rows: str = "warn", max_fraction: float = 0.01) -> None:
        """Log the skipped rows; raise if ``on_bad_rows='raise'`` or too many are bad."""
        if not self.rows:
            return
        sample = "; ".join(f"line {n}: {reason} ({text[:60]!r})" for n, text, reason in self.rows[:3])
        msg = f"{self.source}: {len(self.rows)} malformed row(s) of {total} skipped: {sample}"
        if on_bad_rows == "raise" or len(self.rows) > max(1, max_fraction * total):
            raise MalformedRowsError(msg)
        log.warning(msg)


def read_text_lines(path: str | Path) -> list[str]:
    """Lines of a text file, UTF-8 (BOM tolerated), with CR/LF endings removed."""
    return read_text(path, fallback=None).splitlines()


def read_text(path: str | Path, fallback: str | None = "cp1252") -> str:
    """A text file as UTF-8 (BOM tolerated); a file that is not UTF-8 is read as ``fallback`` (Windows
    Latin-1, what spreadsheet exports use) with a warning naming the file and the first line that is not;
    ``fallback=None`` raises :class:`UnicodeDecodeError` instead."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"metadata file not found: {path}")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if fallback is None:
            raise
        line = data[: exc.start].count(b"\n") + 1
        log.warning(
            "%s is not UTF-8 (byte 0x%02x on line %d): read as %s; re-save it as UTF-8 if names look wrong",
            path,
            data[exc.start],
            line,
            fallback,
        )
        return data.decode(fallback, errors="replace")
