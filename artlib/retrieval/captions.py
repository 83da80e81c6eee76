"""How a painting is named to a person, in one place: the explorer's pages, the large collection's and notebook 14."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def painting_caption(row: Mapping[str, Any], fallback: str = "path") -> str:
    """``Title — Artist``: the title (else the file name of ``row[fallback]``, a path or an id), and the artist where
    the collection knows one (``artist_name``)."""
    given = row.get("title")
    title = given if isinstance(given, str) and given else Path(str(row.get(fallback, ""))).stem
    artist = row.get("artist_name")
    return f"{title} — {artist}" if isinstance(artist, str) and artist else title
