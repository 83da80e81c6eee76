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
    info = meta.get("info") or {}
    task = info.get("task", "label")
    st.caption(
        f"{len(frame):,} training paintings ranked by notebook 13 for the task **{task}**, most "
        "suspicious first: the given label disagrees with out-of-fold predictions, neighbours and centroids."
    )
    calibration = info.get("calibration") or {}
    if "ece" in calibration:
        st.caption(
            "Probabilities come from a classifier that never saw the painting, calibrated by a temperature fitted on "
            f"the other paintings (ECE {calibration['ece_raw']:.3f} before, {calibration['ece']:.3f} after, 95 % "
            f"interval {calibration['ece_low']:.3f}-{calibration['ece_high']:.3f}, on {calibration['n']:,} paintings)."
        )
    elif "given_prob" not in frame:
        st.caption("This ranking holds no label probabilities: rerun notebook 13 to see them.")
    shown = st.slider("rows", 10, min(200, max(10, len(frame))), min(30, len(frame)), key="suspects_rows")
    top = frame.head(shown).copy()
    root = Path(info.get("root") or ".")
    top.insert(0, "image", [ex.thumbnail_uri(path=p if Path(p).is_absolute() else root / p) for p in top["path"]])
    top["rank"] = [f"{i + 1:,} of {len(frame):,}" for i in range(len(top))]
    if "given_prob" in top:  # an older ranking may lack them; its predicted_prob was not calibrated
        top = top.rename(columns={"given_prob": "p_given"}).assign(p_predicted=top["predicted_prob"])
    columns = [c for c in ("image", "path", "given", "p_given", "predicted", "p_predicted", "rank") if c in top]
    st.dataframe(
        top[columns],
        hide_index=True,
        row_height=72,
        height=38 + 73 * min(len(top), 10),
        column_config={
            "image": st.column_config.ImageColumn("painting", width="small"),
            "path": st.column_config.TextColumn("path", width="medium"),
            "p_given": st.column_config.NumberColumn(
                "chance the given label is right", help="out-of-fold, calibrated", format="percent"
            ),
            "p_predicted": st.column_config.NumberColumn("chance of the predicted", format="percent"),
            "rank": st.column_config.TextColumn(
                "suspicion rank", help="the mean rank of three signals, most suspicious first; not a probability"
            ),
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
