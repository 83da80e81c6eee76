"""The Similar and Map pages over a collection of any size (notebook 15's disk index and catalogue), used when
the run has no in-memory image index: paintings are found by words, searched on disk, and mapped by datashader."""

from __future__ import annotations

import base64
import io

import altair as alt
import pandas as pd
import streamlit as st
from PIL import Image

from artlib.app.explorer import Explorer
from artlib.app.views.common import SIMILAR_PAGE, UPLOAD_TYPES, read_upload
from artlib.collection.large import LargeCollection
from artlib.collection.point_map import View
from artlib.store.thumbnails import collection_thumbnails

#: Session key of the collection painting (its position) chosen on one page and shown on another.
QUERY_POSITION = "query_position"
MAP_SIZE = (800, 560)


def pick_position(large: LargeCollection) -> int | None:
    """A painting found by words (title, artist or id), or named by the page's ``?item=ID``; else the one chosen
    on another page."""
    named = st.query_params.get("item")
    if named:
        found = large.catalogue.position_of(named)
        if found is None:
            st.error(f"No painting {named!r} in the collection.")
        else:
            st.session_state[QUERY_POSITION] = found
    words = st.text_input("find a painting (words of its title, artist or id)", key="large_find")
    if words.strip():
        rows = large.find(words, limit=20)
        if rows.empty:
            st.warning(f"No painting's title, artist or id holds {words!r}.")
            return None
        captions = {int(r["position"]): large.caption(r) for r in rows.to_dict("records")}
        chosen = st.selectbox("paintings found", list(captions), format_func=captions.__getitem__, key="large_pick")
        st.session_state[QUERY_POSITION] = int(chosen or 0)
    return int(st.session_state.get(QUERY_POSITION, 0))


def thumbnail(ex: Explorer, large: LargeCollection, row: dict | pd.Series) -> bytes | None:
    path = large.image_path(row)
    return collection_thumbnails(ex.outputs).get(path) if path is not None else None


def hits_gallery(ex: Explorer, large: LargeCollection, hits: pd.DataFrame, columns: int = 4) -> None:
    labels = [c for c in large.labels if c in hits]
    for start in range(0, len(hits), columns):
        rows = hits.iloc[start : start + columns].to_dict("records")
        for col, row in zip(st.columns(columns), rows, strict=False):
            with col:
                thumb = thumbnail(ex, large, row)
                if thumb is not None:
                    st.image(thumb, width="content")
                else:
                    st.caption("(no image here)")
                label_text = " · ".join(str(row[c]) for c in labels if isinstance(row[c], str) and row[c])
                st.markdown(f"**{large.caption(row)}**  \n{label_text}  \nsimilarity {row['similarity']:.3f}")


def render_similar(ex: Explorer, large: LargeCollection) -> None:
    card = large.index.card
    recall = card.measured.get("recall")
    measured = f"; recall@10 {recall:.3f} on held-out queries" if recall is not None else ""
    st.caption(f"{len(large):,} paintings, searched on disk ({large.index.params.factory}, nprobe "
               f"{large.index.params.nprobe}{measured})")  # fmt: skip
    source = st.radio("query", ["from the collection", "upload"], horizontal=True, key="large_source")
    k = st.slider("how many", 4, 24, 8, step=4, key="large_k")
    if source == "upload":
        uploaded = st.file_uploader("a painting", type=UPLOAD_TYPES, key="large_upload")
        image = read_upload(uploaded) if uploaded is not None else None
        if image is None:
            return
        st.image(image, width=220)
        try:
            hits = large.similar(image=image, k=k)
        except Exception as exc:  # noqa: BLE001  (no embedding model recorded, or its weights are missing)
            st.error(f"The painting cannot be embedded for search: {exc}")
            return
        query = "the upload"
    else:
        position = pick_position(large)
        if position is None:
            return
        row = large.catalogue.rows([position]).iloc[0]
        thumb = thumbnail(ex, large, row)
        if thumb is not None:
            st.image(thumb, width=220)
        query = f"{large.caption(row)} ({row['id']})"
        hits = large.similar(position=position, k=k)
    st.markdown(f"nearest to **{query}**: {len(hits)} of {len(large):,} in {hits.attrs['ms']:.0f} ms")
    hits_gallery(ex, large, hits)


def image_layer(picture: Image.Image, view: View) -> alt.Chart:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    corner = pd.DataFrame({"x": [view.x0], "y": [view.y1], "url": [url]})
    return (
        alt.Chart(corner)
        .mark_image(width=MAP_SIZE[0], height=MAP_SIZE[1], align="left", baseline="top")
        .encode(x=alt.X("x", scale=alt.Scale(domain=[view.x0, view.x1], nice=False, zero=False), axis=None),
                y=alt.Y("y", scale=alt.Scale(domain=[view.y0, view.y1], nice=False, zero=False), axis=None),
                url="url")
    )  # fmt: skip


def render_map(ex: Explorer, large: LargeCollection) -> None:
    if not large.has_map:
        st.info("The collection's catalogue has no map coordinates: notebook 15 writes them.")
        return
    labels = large.map_labels()  # the most useful colouring first
    color_by = st.selectbox("colour by", ["(none)", *labels], key="large_color") if labels else "(none)"
    points = large.point_map(None if color_by == "(none)" else color_by)
    view = st.session_state.get("large_view") or points.full_view()
    if st.button("whole map", key="large_whole", disabled="large_view" not in st.session_state):
        st.session_state.pop("large_view", None)
        view = points.full_view()
    picked = points.clickable(view)
    rows = large.catalogue.rows(
        picked["position"], columns=[c for c in ("id", "title", "artist_name") if c in large.catalogue.columns]
    )
    picked["caption"] = [large.caption(r) for r in rows.to_dict("records")]
    shown = int(picked["in_cell"].sum())  # every painting in view is in one cell
    each = "one per cell" if len(picked) and picked["in_cell"].max() > 1 else "each painting"
    st.caption(
        f"every one of {shown:,} paintings in view, drawn by datashader; draw a box to zoom in, click a point to "
        f"choose it ({len(picked):,} points to click: {each})"
    )
    zoom = alt.selection_interval(name="zoom", encodings=["x", "y"])
    pick = alt.selection_point(name="pick", fields=["position"], on="click")
    dots = (
        alt.Chart(picked)
        .mark_circle(size=30, opacity=0.35, color="#222")
        .encode(x="x", y="y", tooltip=["caption", *(["label"] if "label" in picked else []), "in_cell"])
        .add_params(zoom, pick)
    )
    chart = alt.layer(image_layer(points.render(view, *MAP_SIZE), view), dots).properties(
        width=MAP_SIZE[0], height=MAP_SIZE[1]
    )
    event = st.altair_chart(chart, on_select="rerun", key="large_map", width="content")
    selection = event.get("selection", {}) if event else {}
    box = selection.get("zoom") or {}
    if box.get("x") and box.get("y") and box != st.session_state.get("large_box"):
        st.session_state["large_box"] = box  # the chart keeps its last box across reruns: apply each box once
        zoomed = view.zoomed(*box["x"], *box["y"])
        if zoomed != view:
            st.session_state["large_view"] = zoomed
            st.rerun()
    chosen = (selection.get("pick") or [{}])[0].get("position")
    if chosen is not None:
        st.session_state[QUERY_POSITION] = int(chosen)
        st.markdown(f"chosen: **{picked.set_index('position').loc[int(chosen), 'caption']}**")
        if st.button("Open in Similar", key="large_to_similar"):
            st.switch_page(SIMILAR_PAGE)
    if color_by != "(none)":
        legend = " ".join(f"<span style='color:{c}'>&#9679;</span> {n}" for n, c in points.colours().items())
        st.markdown(legend, unsafe_allow_html=True)
