"""What several pages share: the cached explorer, notes, the query picker and the thumbnail gallery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from artlib.app.explorer import Explorer
from artlib.config import default_outputs
from artlib.data.folders import IMAGE_EXTENSIONS
from artlib.data.images import ImageLoadError
from artlib.store import artifacts

#: Session key of the collection painting chosen on one page (Map, Classify) and shown on another (Similar).
QUERY_ID = "query_id"
#: The Similar page, relative to the main script (``st.switch_page`` / ``AppTest.switch_page`` take it).
SIMILAR_PAGE = "views/similar.py"
#: What an upload may be: every image type the collection loaders read (AVIF included).
UPLOAD_TYPES = [extension.lstrip(".") for extension in IMAGE_EXTENSIONS]


def _stamp(outputs: Path) -> float:
    folder = outputs / artifacts.ARTIFACTS_DIR
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0) if folder.is_dir() else 0.0


@st.cache_resource(show_spinner="Loading the run's models and indexes...")
def _open(outputs: str, stamp: float) -> Explorer:
    return Explorer.open(outputs)


def explorer() -> Explorer:
    """The explorer of ``ARTLIB_OUTPUTS`` (loaded once; again when a notebook saves new artefacts)."""
    outputs = default_outputs()
    return _open(str(outputs), _stamp(outputs))


def show_notes(ex: Explorer, *topics: str) -> None:
    for note in ex.notes_for(*topics):
        {"error": st.error, "info": st.info}.get(note.level, st.warning)(note.text)


def start_page(ex: Explorer, title: str, *topics: str) -> None:
    """The page's header, then what the run lacks for it (no artefacts at all, and the page's ``topics``)."""
    st.header(title)
    show_notes(ex, "outputs", *topics)


def read_upload(uploaded: Any) -> np.ndarray | None:
    """The uploaded painting's pixels, or None after an error message saying what is wrong with the file."""
    try:
        return Explorer.decode_upload(uploaded.getvalue(), uploaded.name)
    except ImageLoadError as exc:
        st.error(
            f"This file cannot be used as a painting: {exc}. Upload a JPEG, PNG, TIFF or WebP image "
            "(up to about 89 megapixels)."
        )
        return None


def pick_item(ex: Explorer, key: str) -> str:
    """A collection painting chosen by its caption (defaults to the one chosen on another page)."""
    items = ex.collection.items
    ids = items["id"].tolist()
    current = st.session_state.get(QUERY_ID)
    chosen = st.selectbox(
        "painting from the collection",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=ex.captions.__getitem__,
        key=key,
    )
    st.session_state[QUERY_ID] = chosen
    return chosen


def label_line(ex: Explorer, row: pd.Series) -> str:
    parts = [str(row[t]) for t in ex.tasks if t in row and isinstance(row[t], str) and row[t]]
    return " · ".join(parts)


def gallery(ex: Explorer, frame: pd.DataFrame, score: str = "similarity", columns: int = 4) -> None:
    """Thumbnails with caption, labels and scores, ``columns`` per row."""
    for start in range(0, len(frame), columns):
        for col, (_, row) in zip(st.columns(columns), frame.iloc[start : start + columns].iterrows(), strict=False):
            with col:
                thumb = ex.thumbnail(row["id"])
                if thumb is not None:
                    st.image(thumb, width="content")
                else:
                    st.caption("(image not readable)")
                text = f"**{ex.caption(row)}**  \n{label_line(ex, row)}  \n{score} {row[score]:.3f}"
                if "same_artist" in row and pd.notna(row["same_artist"]):
                    text += f" · same artist {row['same_artist']:.0%}"
                st.markdown(text)
