"""*Suspects*: notebook 13's ranking of possibly mislabelled paintings, with images, and its CSV."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from artlib.app.explorer import Explorer
from artlib.app.views.common import explorer, start_page


def render(ex: Explorer) -> None:
    start_page(ex, "Suspicious labels", "suspects")
    if ex.suspects is None:
        return
    frame, meta = ex.suspect_table()
    task = (meta.get("info") or {}).get("task", "label")
    st.caption(
        f"{len(frame):,} training paintings ranked by notebook 13 for the task **{task}**, most "
        "suspicious first: the given label disagrees with out-of-fold predictions, neighbours and centroids."
    )
    shown = st.slider("rows", 10, min(200, max(10, len(frame))), min(30, len(frame)), key="suspects_rows")
    top = frame.head(shown).copy()
    root = Path((meta.get("info") or {}).get("root") or ".")
    top.insert(0, "image", [ex.thumbnail_uri(path=p if Path(p).is_absolute() else root / p) for p in top["path"]])
    columns = [c for c in ("image", "path", "given", "predicted", "score") if c in top]
    st.dataframe(
        top[columns],
        hide_index=True,
        row_height=72,
        height=38 + 73 * min(len(top), 10),
        column_config={
            "image": st.column_config.ImageColumn("painting", width="small"),
            "score": st.column_config.NumberColumn("suspicion", format="%.3f"),
        },
    )
    st.download_button(
        "Download the whole ranking (CSV)",
        frame.to_csv(index=False).encode(),
        file_name=f"suspects_{task}.csv",
        mime="text/csv",
        key="suspects_csv",
    )


if __name__ == "__main__":  # run by Streamlit as a page of the app
    render(explorer())
