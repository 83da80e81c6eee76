"""What the explorer loaded and whether it fits together: pure checks that return notes, never raise."""

from dataclasses import replace

import pytest

from artlib.app.collection import (
    Artefacts,
    SameArtistModel,
    SavedTable,
    collection_notes,
    fitting,
    load_artefacts,
)


@pytest.fixture(scope="module")
def found(app_outputs):
    loaded, notes = load_artefacts(app_outputs)
    assert notes == []  # every artefact there, none damaged
    return loaded


def test_everything_made_from_one_collection_fits(found):
    assert isinstance(found.map, SavedTable) and isinstance(found.same_artist, SameArtistModel)
    assert found.same_artist.card.features_from == found.images.embedder_card.model
    kept, notes = fitting(found)
    assert notes == [] and kept == found


def test_artefacts_of_other_data_are_left_out_with_a_note_and_the_input_is_unchanged(found):
    other = {"label": "some other museum", "signature": "elsewhere"}
    odd = replace(
        found,
        map=SavedTable(found.map.frame, {**found.map.record, "data": other}),
        suspects=SavedTable(found.suspects.frame, {"data": other}),
    )
    kept, notes = fitting(odd)
    assert kept.map is None and kept.suspects is None and kept.same_artist is found.same_artist
    assert odd.map is not None  # pure: what it was given stays as it was
    by_topic = {n.topic: n for n in notes}
    assert set(by_topic) == {"map", "suspects"} and all(n.level == "error" for n in notes)
    assert "14_similarity" in by_topic["map"].text and "13_outliers" in by_topic["suspects"].text
    assert "'some other museum'" in by_topic["map"].text


def test_a_same_artist_model_on_other_features_is_left_out(found):
    card = replace(found.same_artist.card, image_size=found.same_artist.card.image_size + 32)
    kept, notes = fitting(replace(found, same_artist=SameArtistModel(found.same_artist.head, card)))
    assert kept.same_artist is None and [n.topic for n in notes] == ["same_artist"]
    assert "12_siamese_pairs" in notes[0].text and "14_similarity" in notes[0].text


def test_a_missing_outputs_folder_or_collection_is_a_note(tmp_path, found):
    loaded, notes = load_artefacts(tmp_path / "nothing")
    assert loaded == Artefacts(tmp_path / "nothing") and [n.level for n in notes] == ["error"]
    assert "python -m artlib.runner" in notes[0].text
    assert fitting(loaded) == (loaded, []) and collection_notes(loaded) == []
    moved = replace(found.images, meta={**found.images.meta, "root": str(tmp_path / "moved")})
    assert "not at" in collection_notes(replace(found, images=moved))[-1].text


def test_a_damaged_artefact_is_named_and_the_rest_still_loads(app_outputs, tmp_path):
    import shutil

    shutil.copytree(app_outputs / "artifacts", tmp_path / "artifacts")
    (next((tmp_path / "artifacts" / "tables").glob("map.csv"))).write_bytes(b"\x00\xff not a table")
    (tmp_path / "artifacts" / "tables" / "map.json").write_text("{ broken")
    loaded, notes = load_artefacts(tmp_path)
    assert loaded.map is None and loaded.images is not None and loaded.suspects is not None
    assert [(n.topic, n.level) for n in notes] == [("map", "error")] and "14_similarity" in notes[0].text
