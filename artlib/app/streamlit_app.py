"""The Streamlit script of ``artlib-app``: navigation and the sidebar; each page is a module of
:mod:`artlib.app.views` that Streamlit runs as a script (its ``render`` on the shared explorer)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from artlib.app.views.common import explorer

PAGES = Path(__file__).with_name("views")

st.set_page_config(page_title="artlib explorer", page_icon="🖼", layout="wide")
ex = explorer()
st.sidebar.title("artlib explorer")
st.sidebar.caption(f"outputs: `{ex.outputs}`")
if ex.images is not None:
    st.sidebar.caption(f"collection: {ex.images.data.get('label', '?')} · {len(ex.images.items):,} paintings")
elif ex.large is not None:
    st.sidebar.caption(f"collection: {ex.large.folder} · {len(ex.large):,} paintings (on disk)")

pages = [
    st.Page(PAGES / "classify.py", title="Classify", url_path="classify", default=True),
    st.Page(PAGES / "similar.py", title="Similar", url_path="similar"),
    st.Page(PAGES / "search.py", title="Search", url_path="search"),
    st.Page(PAGES / "map_page.py", title="Map", url_path="map"),
    st.Page(PAGES / "suspects.py", title="Suspects", url_path="suspects"),
]
st.navigation(pages).run()
