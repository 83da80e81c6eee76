"""*Similar*: the k nearest paintings of the collection, with labels, similarity and same-artist probability."""

from __future__ import annotations

import streamlit as st

from artlib.app.explorer import Explorer
from artlib.app.views import at_scale
from artlib.app.views.classify import QUERY_IMAGE
from artlib.app.views.common import UPLOAD_TYPES, explorer, gallery, pick_item, read_upload, start_page
from artlib.trust.painting_check import why_refused

SOURCES = ["from the collection", "upload", "the classified painting"]


def render(ex: Explorer) -> None:
    # the same-artist value comes from notebook 11b's identity model, else from notebook 12's head: notes for
    # the one that is missing only matter when the other is missing too
    values = ("identity", "same_artist") if ex.identity is None and ex.same_artist is None else ()
    if ex.images is None and ex.large is not None:  # notebook 15's collection, of any size
        start_page(ex, "Similar paintings", "collection")
        at_scale.render_similar(ex, ex.large)
        return
    start_page(ex, "Similar paintings", "image_index", *values, "artists")
    if ex.images is None:
        return
    choices = SOURCES if QUERY_IMAGE in st.session_state else SOURCES[:2]
    default = st.session_state.pop("similar_source", None)
    source = st.radio(
        "query",
        choices,
        horizontal=True,
        key="similar_source_radio",
        index=choices.index(default) if default in choices else 0,
    )
    k = st.slider("how many", 4, 24, 8, step=4, key="similar_k")
    if source == "from the collection":
        item_id = pick_item(ex, "similar_pick")
        thumb = ex.thumbnail(item_id)
        if thumb is not None:
            st.image(thumb, caption=ex.caption(ex.item(item_id)), width=220)
        hits = ex.similar(item_id=item_id, k=k)
    else:
        if source == "upload":
            uploaded = st.file_uploader("a painting", type=UPLOAD_TYPES, key="similar_upload")
            image = read_upload(uploaded) if uploaded is not None else None
        else:
            image = st.session_state[QUERY_IMAGE]
        if image is None:
            return
        st.image(image, width=220)
        try:
            hits = ex.similar(image=image, k=k)
        except Exception as exc:  # noqa: BLE001  (e.g. the embedding weights are not installed)
            st.error(f"The painting cannot be embedded for search: {exc}")
            return
    if hits.attrs.get("refused"):
        refused = hits.attrs["refused"]
        st.warning(
            f"**{refused.capitalize()}**: {hits.attrs.get('refused_by', 'the identity model (notebook 11b)')} finds "
            f"this image {why_refused(refused, 'it was trained')}, so no same-artist value is given. These are the "
            "collection's nearest paintings by look."
        )
    elif "same_artist" not in hits:
        st.caption(
            "No same-artist probabilities: neither notebook 11b's identity model nor notebook 12's head is "
            "available for this collection."
        )
    elif hits.attrs.get("same_artist_from") == "identity":
        st.caption(
            "Same-artist values come from the identity embedding (notebook 11b), calibrated on "
            "nearest-neighbour pairs like these, painters never seen in training included."
        )
    elif not hits.attrs.get("same_artist_calibrated"):
        st.caption(
            "Same-artist values are the head's raw output (uncalibrated: rerun notebook 12): read them as a ranking."
        )
    else:
        st.caption("Same-artist values are calibrated on nearest-neighbour pairs like these (notebook 12).")
    gallery(ex, hits)


if __name__ == "__main__":  # run by Streamlit as a page of the app
    render(explorer())
