"""*Map*: the collection's image embeddings in 2-D (UMAP), coloured by a task; a chosen point opens in *Similar*."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from artlib.app.explorer import MAP_POINTS, Explorer
from artlib.app.views import at_scale
from artlib.app.views.common import QUERY_ID, SIMILAR_PAGE, explorer, start_page
from artlib.collection.point_map import PALETTE, common_labels, label_colours


@st.cache_data(show_spinner="Drawing the map...")
def _points(_ex: Explorer, explorer_id: int, color_by: str | None) -> pd.DataFrame:
    frame = _ex.map_points(color_by)
    frame["image"] = [_ex.thumbnail_uri(i) for i in frame["id"]]  # the tooltip shows a field named "image"
    return frame


def render(ex: Explorer) -> None:
    if ex.images is None and ex.large is not None:  # notebook 15's collection, of any size
        start_page(ex, "Map of the collection", "collection")
        at_scale.render_map(ex, ex.large)
        return
    start_page(ex, "Map of the collection", "image_index", "map")
    if ex.images is None or ex.map is None:
        return
    color_by = st.selectbox("colour by", ex.tasks, key="map_color") if ex.tasks else None
    frame = _points(ex, id(ex), color_by)
    if len(ex.images.items) > len(frame):
        st.caption(f"{len(frame):,} of {len(ex.images.items):,} paintings (a fixed random sample of {MAP_POINTS:,})")
    color: Any = alt.value(PALETTE[0])
    if color_by:  # a colour per label, distinct for the commonest, greys for "(other)" and "(no label)"
        labels = common_labels(frame[color_by])
        frame[color_by] = np.asarray(labels, dtype=object)
        colours = label_colours(list(labels.categories))
        scale = alt.Scale(domain=list(colours), range=list(colours.values()))
        color = alt.Color(color_by, scale=scale, legend=alt.Legend(orient="bottom", columns=4))
    tooltip = ["caption", *([color_by] if color_by else []), "image"]
    chart = (
        alt.Chart(frame)
        .mark_circle(size=45, opacity=0.8)
        .encode(
            x=alt.X("x", axis=None, scale=alt.Scale(zero=False)),
            y=alt.Y("y", axis=None, scale=alt.Scale(zero=False)),
            color=color,
            tooltip=tooltip,
        )
        .add_params(alt.selection_point(name="pick", fields=["id"], on="click"))
        .properties(height=560)
    )
    event = st.altair_chart(chart, on_select="rerun", key="map_chart", width="stretch")
    picked = (event.get("selection", {}).get("pick") or [{}]) if event else [{}]
    item_id = picked[0].get("id") if picked else None
    if item_id:
        st.session_state[QUERY_ID] = item_id
        st.markdown(f"chosen: **{ex.caption(ex.item(item_id))}**")
        if st.button("Open in Similar", key="map_to_similar"):
            st.switch_page(SIMILAR_PAGE)
    else:
        st.caption("Hover a point to see the painting; click it to choose it.")


if __name__ == "__main__":  # run by Streamlit as a page of the app
    render(explorer())
