"""*Search*: free text over the collection's titles (MiniLM), filtered by the data's tasks."""

from __future__ import annotations

import streamlit as st

from artlib.app.explorer import Explorer
from artlib.app.views.common import explorer, gallery, start_page


def render(ex: Explorer) -> None:
    start_page(ex, "Search the titles", "image_index", "titles", "title_index")
    if ex.images is None or ex.titles is None:
        return
    text = st.text_input("words in a title", placeholder="a river landscape with a windmill", key="search_text")
    items = ex.titles.items
    filters = {}
    columns = st.columns(max(1, len(ex.tasks)))
    for column, task in zip(columns, ex.tasks, strict=False):
        options = sorted(items[task].dropna().unique().tolist())
        filters[task] = column.multiselect(task, options, key=f"search_filter_{task}")
    k = st.slider("how many", 4, 48, 12, step=4, key="search_k")
    if not text.strip():
        st.caption(f"{len(items):,} titled paintings; type a few words.")
        return
    with st.spinner("Searching..."):
        hits = ex.search(text, k, filters)
    if hits.empty:
        st.warning("No painting matches these filters: remove some.")
        return
    gallery(ex, hits)


if __name__ == "__main__":  # run by Streamlit as a page of the app
    render(explorer())
