"""The explorer's queries without Streamlit: the answers the pages show."""

from __future__ import annotations

import numpy as np
import pytest

from artlib.app.explorer import Explorer
from artlib.data.images import ImageLoadError


@pytest.fixture(scope="module")
def ex(app_outputs):
    return Explorer.open(app_outputs)


def test_an_uploaded_collection_painting_finds_itself_first(ex):
    item_id = ex.images.items["id"].iloc[5]
    image = ex.decode_upload(ex.image_path(item_id).read_bytes(), "upload.jpg")
    hits = ex.similar(image=image, k=5)
    assert hits["id"].iloc[0] == item_id and hits["similarity"].iloc[0] > 0.999
    assert hits["similarity"].is_monotonic_decreasing and len(hits) == 5
    assert hits["same_artist"].between(0, 1).all() and hits.attrs["same_artist_calibrated"]
    by_id = ex.similar(item_id=item_id, k=4)
    assert item_id not in set(by_id["id"]) and list(by_id["id"]) == list(hits["id"].iloc[1:5])
    np.testing.assert_allclose(by_id["same_artist"], hits["same_artist"].iloc[1:5], atol=1e-4)


def test_classify_gives_calibrated_top3_sets_and_verdicts_per_task(ex):
    image = ex.collection_image(ex.images.items["id"].iloc[0])
    for views, flip in ((None, None), (("letterbox", "start", "end"), True)):  # the card's; the page's multi-view
        out = ex.classify(image, views, flip)
        assert set(out) == set(ex.classifier.card.classes)
        for task, answer in out.items():
            top = answer.top
            assert len(top) == 3 and top["probability"].is_monotonic_decreasing and top["probability"].sum() <= 1.0001
            assert set(answer.prediction_set) <= set(ex.classifier.card.classes[task])
            assert answer.known == (task != "artist")  # the fixture card's artist rule rejects every painting
    raw = ex.classifier.probabilities(image, calibrated=False)
    calibrated = ex.classifier.probabilities(image)
    for task in raw:  # temperature 1.5 softens: the top class keeps its rank and loses probability
        assert calibrated[task].argmax() == raw[task].argmax() and calibrated[task].max() < raw[task].max()


def test_explain_maps_the_class_shown_and_never_a_rejected_one(ex):
    image = ex.collection_image(ex.images.items["id"].iloc[0])
    card = ex.classifier.card
    shown = {task: names[-1] for task, names in card.classes.items()}  # not the argmax: the class the page shows
    shown["artist"] = None  # "someone else": no map may say "where it saw" an artist
    cams = ex.explain(image, shown)
    assert set(cams) == set(card.classes) - {"artist"}
    for task, (picture, named) in cams.items():
        assert picture.shape == (card.image_size, card.image_size, 3) and picture.dtype == np.uint8
        assert named == shown[task]
    task = next(iter(cams))  # the map is the classifier's explanation of the class shown, mirror included
    assert np.array_equal(cams[task][0], ex.classifier.explain(image, task, shown[task]))
    with pytest.raises(ValueError, match="not a"):
        ex.classifier.explain(image, task, "someone else")


def test_identify_says_someone_else_without_a_probability_or_names_a_known_artist(ex):
    assert ex.identity is not None
    answers = [ex.identify(ex.collection_image(i)) for i in ex.images.items["id"].iloc[:8]]
    for who in answers:
        if who.known:
            assert who.artist in ex.identity.card.known and 0 < who.probability <= 1
        else:
            assert who.artist == "someone else" and who.probability is None and who.look_alikes


def test_similar_takes_the_same_painter_value_from_the_identity_model(ex):
    item = ex.images.items["id"].iloc[0]
    hits = ex.similar(item_id=item, k=5)
    assert hits.attrs["same_artist_from"] == "identity"
    values = hits["same_artist"].to_numpy()
    assert np.isfinite(values).all() and ((values >= 0) & (values <= 1)).all()


def test_an_upload_the_painting_check_refuses_gets_neighbours_but_no_same_artist_value(app_outputs):
    """An upload the identity model's check refuses (by its linear rule: "not a painting"; by its nearness rule:
    "unlike the collection") gets the nearest paintings by look and no "same painter" value, with the reason;
    a collection painting keeps its values."""
    from artlib.trust.painting_check import NOT_A_PAINTING, UNLIKE_THE_COLLECTION, PaintingCheck, near_bank

    ex = Explorer.open(app_outputs)  # its own: the checks below are made up
    item = ex.images.items["id"].iloc[3]
    image = ex.collection_image(item)
    width = ex._identity_features(image).shape[-1]  # the frozen network's whole-view features
    refusing = PaintingCheck([0.0] * width, 0.0, 1.0)  # the linear rule refuses everything
    too_far = PaintingCheck([0.0] * width, 0.0, -1.0, near_k=1, near_threshold=1.0)  # nothing is that near
    ex.identity.painting_bank = near_bank(np.random.default_rng(0).random((10, width)))
    for check, reason in ((refusing, NOT_A_PAINTING), (too_far, UNLIKE_THE_COLLECTION)):
        ex.identity.card.painting = check.to_dict()
        hits = ex.similar(image=image, k=4)
        assert len(hits) == 4 and hits.attrs["refused"] == reason and hits["same_artist"].isna().all()
        assert hits.attrs["refused_by"] == "the identity model (notebook 11b)"
        assert ex.identify(image).artist == reason
    by_id = ex.similar(item_id=item, k=4)  # a collection painting is not checked again
    assert "refused" not in by_id.attrs and by_id["same_artist"].between(0, 1).all()


def test_without_an_identity_model_the_classifiers_check_refuses_an_upload_on_the_similar_page(app_outputs):
    """No notebook 11b: an upload the classifier's painting check refuses gets the nearest paintings by look, no
    same-artist value from notebook 12's head, and the reason, naming the classifier; one it answers gets them."""
    from artlib.app.explorer import CLASSIFIER
    from artlib.trust.painting_check import NOT_A_PAINTING, PaintingCheck

    ex = Explorer.open(app_outputs)  # its own: the checks below are made up
    ex.identity = None
    image = ex.collection_image(ex.images.items["id"].iloc[3])
    width = len(ex.classifier.image_features(image))
    ex.classifier.painting = PaintingCheck([0.0] * width, 0.0, 1.0)  # refuses everything
    hits = ex.similar(image=image, k=4)
    assert len(hits) == 4 and "same_artist" not in hits
    assert hits.attrs["refused"] == NOT_A_PAINTING and hits.attrs["refused_by"] == CLASSIFIER
    ex.classifier.painting = PaintingCheck([0.0] * width, 0.0, -1.0)  # answers everything
    hits = ex.similar(image=image, k=4)
    assert "refused" not in hits.attrs and hits["same_artist"].between(0, 1).all()


def test_search_ranks_titles_and_honours_filters(ex):
    hits = ex.search("landscape with a windmill", k=5)
    assert "windmill" in hits["title"].iloc[0].lower()
    style = ex.titles.items["style"].dropna().iloc[0]
    filtered = ex.search("landscape", k=48, filters={"style": [style]})
    assert (filtered["style"] == style).all() and len(filtered) == (ex.titles.items["style"] == style).sum()
    assert ex.search("x", filters={"style": ["no such style"]}).empty
    with pytest.raises(ValueError, match="type a few words"):
        ex.search("   ")


def test_map_and_suspects_cover_the_collection(ex):
    points = ex.map_points("genre", limit=20)
    assert len(points) == 20 and points["caption"].str.len().gt(0).all() and not points["genre"].isna().any()
    frame, meta = ex.suspect_table()
    task = meta["info"]["task"]  # notebook 13 ranks the paintings labelled for its task, each once
    labelled = ex.images.items[task].replace("", None).notna()
    assert task in ex.tasks and sorted(frame["path"]) == sorted(ex.images.items["id"][labelled])


def test_bad_uploads_raise_readable_errors():
    with pytest.raises(ImageLoadError, match="empty"):
        Explorer.decode_upload(b"", "x.jpg")
    with pytest.raises(ImageLoadError, match="cannot decode image notes.txt"):
        Explorer.decode_upload(b"hello", "notes.txt")


def test_a_run_without_titles_or_same_artist_model_says_so(tmp_path, fixture_paths):
    from tests.app.conftest import build_artifacts

    build_artifacts(tmp_path, fixture_paths, n=24, titles=False, same_artist=False, identity=False)
    ex = Explorer.open(tmp_path)
    topics = {note.topic for note in ex.notes}
    assert {"title_index", "same_artist"} <= topics and ex.titles is None
    assert "12_siamese_pairs" in next(n.text for n in ex.notes if n.topic == "same_artist")
    assert "same_artist" not in ex.similar(item_id=ex.images.items["id"].iloc[0], k=3)
    with pytest.raises(RuntimeError, match="no title index"):
        ex.search("portrait")
