"""*Classify*: a painting in (uploaded or from the collection), the top-3 classes of each task out."""

from __future__ import annotations

import numpy as np
import streamlit as st

from artlib.app.explorer import Explorer
from artlib.app.views.common import SIMILAR_PAGE, UPLOAD_TYPES, explorer, label_line, pick_item, read_upload, start_page
from artlib.data.images import ImageLoadError
from artlib.identity.model import IdentityAnswer
from artlib.trust.painting_check import NOT_A_PAINTING, REFUSALS, UNLIKE_THE_COLLECTION, why_refused

QUERY_IMAGE = "query_image"
#: the page's headline for each refusal
HEADLINES = {NOT_A_PAINTING: "Not a painting", UNLIKE_THE_COLLECTION: "Unlike every painting it knows"}


#: Choices of test-time views: label -> (views, mirror); None = the model card's.
VIEW_CHOICES = {
    "as evaluated (model card)": None,
    "one view": (("letterbox",), False),
    "one view + mirror": (("letterbox",), True),
    "multi-view + mirror": (("letterbox", "start", "end"), True),
}


def _number(values: dict, key: str, spec: str) -> str:
    value = values.get(key)
    return "–" if value is None else format(value, spec)


def trust_row(task: str, test: dict) -> dict:
    """One row of the card's trust table: what calibration, sets and the open-set rule did on the test split."""
    row = {
        "task": task,
        "ECE raw -> calibrated": f"{_number(test, 'ece_raw', '.3f')} -> {_number(test, 'ece', '.3f')}",
        "90 % set: coverage, mean size": f"{_number(test, 'coverage', '.2f')}, {_number(test, 'set_size', '.1f')}",
    }
    if test.get("other_named") is not None:
        row["others named (was)"] = f"{_number(test, 'other_named', '.0%')} ({_number(test, 'other_named_raw', '.0%')})"
    return row


def show_answers(ex: Explorer, image: np.ndarray, views: tuple[str, ...] | None, flip: bool | None) -> dict:
    """Each task's answer (the classifier's; the artist's from notebook 11b when it ran) and the class each
    shows (None: "someone else", or a class it rejected: no map may be captioned with it)."""
    shown: dict[str, str | None] = {}
    answers = {} if ex.classifier is None else ex.classify(image, views, flip)
    who = ex.identify(image)
    refusals = {  # each model's refusal ("" where it answers): the identity model's is in its artist field
        "classifier (notebook 08)": next((a.refusal for a in answers.values() if not a.painting), ""),
        "identity model (notebook 11b)": "" if who is None or who.painting else who.artist,
    }
    refused_by = [name for name, refusal in refusals.items() if refusal]
    if refused_by:  # no class, no probability, no map: nothing is said about what is not a painting
        verb, pronoun = ("find", "they were") if len(refused_by) > 1 else ("finds", "it was")
        reason = next(r for r in REFUSALS if r in refusals.values())  # the stronger where the two differ
        st.error(
            f"**{HEADLINES[reason]}**: the {' and the '.join(refused_by)} {verb} this image "
            f"{why_refused(reason, pronoun + ' trained')}, so no artist, style or genre is given."
        )
        return shown
    for task, answer in answers.items():
        st.subheader(task)
        if task == "artist" and who is not None:  # notebook 11b answers who painted it, for everyone
            shown[task] = show_identity(who)
            continue
        classes = len(answer.top) if ex.classifier is None else len(ex.classifier.card.classes[task])
        if not answer.known:  # "someone else" first, and no probability of an artist it rejected
            st.warning(
                f"**Someone else**: not one of the {classes} {task} classes this model knows. "
                f"Looks most like: {', '.join(answer.look_alikes)}."
            )
            shown[task] = None
            continue
        for _, row in answer.top.iterrows():
            st.progress(float(row["probability"]), text=f"{row['class']} — {row['probability']:.1%}")
        st.caption(f"{task}: {answer.verdict(classes)}")
        shown[task] = answer.best
    if who is not None and "artist" not in answers:
        st.subheader("artist")
        shown["artist"] = show_identity(who)
    if ex.classifier is not None and not ex.classifier.card.trust:
        st.caption("These are raw softmax values: this model was saved without calibration (rerun notebook 08).")
    return shown


def show_identity(who: IdentityAnswer) -> str | None:
    """The identity model's answer (notebook 11b); the artist it names, or None for "someone else"."""
    if not who.known:
        alike = f" Looks most like: {', '.join(who.look_alikes)}." if who.look_alikes else ""
        st.warning(f"**Someone else**: not one of the artists this model knows.{alike}")
        st.caption(
            f"{who.coverage:.0%} set: {' or '.join(who.prediction_set) or 'empty'} (notebook 11b, painters "
            "never seen in training included)"
        )
        return None
    st.progress(float(who.probability or 0.0), text=f"{who.artist} — {who.probability:.1%}")
    st.caption(f"artist: {who.verdict()} (notebook 11b: calibrated with painters never seen in training)")
    return who.artist


def identity_card(ex: Explorer) -> None:
    """What notebook 11b's identity model achieved on test painters it never saw."""
    if ex.identity is None:
        return
    card, test = ex.identity.card, ex.identity.card.test
    with st.expander("Identity model card (who painted it)", expanded=False):
        st.markdown(
            f"{len(card.known)} known artists or **someone else**, from frozen **{card.backbone}** features of the "
            f"whole painting and four details ({card.image_size} px), made by notebook `{card.made_by or '11b'}`."
        )
        if test:
            st.table(
                [
                    {
                        "AUROC known vs painters never seen": f"{_number(test, 'auroc_held_out', '.3f')} "
                        f"({_number(test, 'auroc_held_out_low', '.3f')}-{_number(test, 'auroc_held_out_high', '.3f')})",
                        "strangers named as a known artist": _number(test, "accepted_held_out", ".1%"),
                        "known artists answered 'someone else'": _number(test, "known_rejected", ".1%"),
                        "90 % sets: coverage over all paintings": _number(test, "set_coverage", ".3f"),
                    }
                ]
            )


def model_card(ex: Explorer) -> None:
    if ex.classifier is None:
        return
    card = ex.classifier.card
    with st.expander("Model card", expanded=False):
        st.markdown(
            f"**{card.model}** fine-tuned on *{card.data.get('label', 'unknown data')}* "
            f"(made by notebook `{card.made_by or '?'}`), {card.image_size} px, views "
            f"{', '.join(card.views)}{' + mirror' if card.flip_tta else ''}"
        )
        rows = []
        for task, s in card.scores.items():
            if "accuracy" in s:
                rows.append(
                    {
                        "task": task,
                        "test images": int(s.get("n", 0)),
                        "accuracy": f"{s['accuracy']:.3f} ({s['accuracy_low']:.3f}-{s['accuracy_high']:.3f})",
                        "macro-F1": f"{s.get('macro_f1', float('nan')):.3f}",
                        "classes": len(card.classes[task]),
                    }
                )
        if rows:
            st.caption("test accuracy with its 95 % interval")
            st.table(rows)
        else:
            st.caption("the card has no test scores")
        trust_rows = [trust_row(task, t["test"]) for task, t in card.trust.items() if t.get("test")]
        if trust_rows:
            st.caption("how far to trust it, measured on the test split (notebook 08)")
            st.table(trust_rows)


def render(ex: Explorer) -> None:
    start_page(ex, "Classify a painting", "classifier", "identity")
    if ex.classifier is None and ex.identity is None:
        return
    source = st.radio(
        "painting",
        ["upload", "from the collection"],
        horizontal=True,
        index=0 if ex.images is None else 1,
        key="classify_source",
    )
    image, given = None, None
    if source == "upload":
        uploaded = st.file_uploader("a painting (JPEG, PNG, TIFF, WebP)", type=UPLOAD_TYPES, key="classify_upload")
        if uploaded is not None:
            image = read_upload(uploaded)
    elif ex.images is None:
        st.info("No collection: notebook 14 has not run here. Upload a painting instead.")
    else:
        item_id = pick_item(ex, "classify_pick")
        try:
            image = ex.collection_image(item_id)
        except Exception as exc:  # noqa: BLE001  (a missing or damaged collection file: say so)
            st.error(f"The collection's image cannot be read: {exc}")
        given = label_line(ex, ex.item(item_id))
    views, explain = None, False
    if ex.classifier is not None:  # the identity model has its own views (the whole painting and four details)
        views = st.selectbox("test-time views", list(VIEW_CHOICES), key="classify_views")
        explain = st.toggle("show where the model looked (Grad-CAM)", key="classify_cam")
    model_card(ex)
    identity_card(ex)
    if image is None:
        return
    left, right = st.columns([1, 2])
    left.image(image, caption=f"given: {given}" if given else None, width="stretch")
    with right:
        try:
            shown = show_answers(ex, image, *(VIEW_CHOICES[views or "as evaluated (model card)"] or (None, None)))
        except ImageLoadError as exc:  # e.g. a collection image too small to say anything about
            st.error(f"This painting cannot be classified: {exc}.")
            return
    if explain:
        cams = ex.explain(image, shown)
        for column, (task, (picture, named)) in zip(st.columns(max(1, len(cams))), cams.items(), strict=False):
            column.image(picture, caption=f"{task}: where it saw {named}", width="stretch")
        missing = [task for task in shown if task not in cams]
        if missing:
            st.caption(f"No map for {', '.join(missing)}: the answer there is not a class this classifier names.")
    st.session_state[QUERY_IMAGE] = image
    if st.button("Show similar paintings", key="classify_to_similar"):
        st.session_state["similar_source"] = "the classified painting"
        st.switch_page(SIMILAR_PAGE)


if __name__ == "__main__":  # run by Streamlit as a page of the app
    render(explorer())
