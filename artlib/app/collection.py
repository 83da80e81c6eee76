"""What the explorer found in an outputs folder and whether it fits together.

:func:`load_artefacts` reads every artefact the app uses (a missing or damaged one becomes a :class:`Note`);
:func:`fitting` keeps those made from the collection's data (pure: notes for what it leaves out);
:func:`collection_notes` says what the collection itself lacks (titles, artists, its images).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from ..inference.card import ModelCard
from ..inference.classifier import Classifier
from ..store import artifacts

if TYPE_CHECKING:
    from ..collection.large import LargeCollection
    from ..identity.model import IdentityModel
    from ..models.siamese import SiameseNet


@dataclass
class Note:
    """Something the app cannot show, why, and what to do about it."""

    topic: str  # "classifier", "image_index", "titles", "artists", ...
    text: str
    level: str = "warning"  # "warning" | "error" | "info"


class SavedTable(NamedTuple):
    """A table artefact (the map, the suspects) and its record (``data``, ``info``...)."""

    frame: pd.DataFrame
    record: dict


class SameArtistModel(NamedTuple):
    """Notebook 12's head on frozen features and its card (the Platt scaling on neighbour pairs)."""

    head: SiameseNet
    card: ModelCard


@dataclass
class Artefacts:
    """The artefacts of one outputs folder that the app uses; ``None`` where one is missing or left out."""

    outputs: Path
    classifier: Classifier | None = None
    images: artifacts.IndexArtifact | None = None  # the collection: the image index and its items
    titles: artifacts.IndexArtifact | None = None
    same_artist: SameArtistModel | None = None
    identity: IdentityModel | None = None  # who painted it, and the same-painter value (notebook 11b)
    map: SavedTable | None = None
    suspects: SavedTable | None = None
    large: LargeCollection | None = None  # notebook 15's disk index and catalogue (browsed when no image index)


def run_notebook(name: str) -> str:
    """``notebook NN_name``: what makes artefact ``name``, for messages."""
    return f"notebook {artifacts.maker(name) or 'that makes ' + name}"


def load_artefacts(outputs: Path) -> tuple[Artefacts, list[Note]]:
    """Every artefact the app uses from ``outputs``, and a note for each that is missing or unreadable."""
    found, notes = Artefacts(outputs), []
    found.large, note = load_large_collection(outputs / LARGE_COLLECTION)
    notes.extend([note] if note else [])
    if not (outputs / artifacts.ARTIFACTS_DIR).is_dir():
        if found.large is not None:  # a collection embedded and indexed at scale, without the series' models
            return found, notes
        text = (
            f"{outputs} holds no saved artefacts: the notebooks have not run there. Run the main job first "
            "(python -m artlib.runner, with the ARTLIB_* settings of your data), or point ARTLIB_OUTPUTS at "
            "its outputs folder."
        )
        return found, [Note("outputs", text, "error")]

    def load(name: str, loader: Callable[[Path, str], Any]) -> Any:
        try:
            return loader(outputs, name)
        except artifacts.ArtifactNotFoundError as exc:
            notes.append(Note(name, str(exc)))
        except (ValueError, OSError, KeyError, RuntimeError) as exc:  # damaged files: say which, go on
            notes.append(
                Note(name, f"the {name} artefact cannot be read ({exc}); run {run_notebook(name)} again", "error")
            )
        return None

    found.images = load("image_index", artifacts.load_index)
    found.titles = load("title_index", artifacts.load_index) if found.images else None
    found.classifier = load("classifier", lambda o, n: artifacts.load_classifier(o, n, device="cpu"))
    same_artist = load("same_artist", artifacts.load_model)
    found.same_artist = SameArtistModel(*same_artist) if same_artist is not None else None
    found.identity = load("identity", artifacts.load_identity)
    for name in ("map", "suspects"):
        saved = load(name, artifacts.load_frame)
        setattr(found, name, SavedTable(*saved) if saved is not None else None)
    return found, notes


#: the folder of notebook 15's collection (disk index and catalogue) in an outputs folder
LARGE_COLLECTION = "collection"


def load_large_collection(folder: Path) -> tuple[LargeCollection | None, Note | None]:
    """Notebook 15's collection in ``folder`` (None and no note where there is none; an error note where it is
    damaged or its engines are not installed)."""
    try:
        from ..collection.large import LargeCollection, is_large_collection
    except ImportError as exc:
        text = f"the large collection cannot be opened: {exc.name} is not installed (pip install -e '.[scale]')"
        return None, Note("collection", text, "error") if folder.is_dir() else None
    if not is_large_collection(folder):
        return None, None
    try:
        return LargeCollection.open(folder, warm=True), None  # a server: its first queries read no disk
    except (ValueError, OSError, RuntimeError) as exc:
        return None, Note(
            "collection", f"the collection in {folder} cannot be read ({exc}): run notebook 15 again", "error"
        )


def fitting(found: Artefacts) -> tuple[Artefacts, list[Note]]:
    """The artefacts that fit the collection (the image index): those made from other data, and a same-artist
    model for other features than the index stores, are left out with an error note; a classifier of other
    data is kept with a warning. ``found`` is not changed."""
    if found.images is None:
        return found, []
    collection, notes = found.images.data, []
    label = collection.get("label", "?")
    classifier = found.classifier
    if classifier is not None and not artifacts.same_data(classifier.card.data, collection):
        notes.append(
            Note(
                "classifier",
                f"the classifier was trained on {classifier.card.data.get('label')!r}, the collection was indexed "
                f"from {label!r}: its classes are not the collection's. Run {run_notebook('classifier')} and "
                f"{run_notebook('image_index')} with the same ARTLIB_* settings.",
            )
        )
    made_from = {  # artefact -> (its attribute, the data it records)
        "same_artist": ("same_artist", lambda: found.same_artist and found.same_artist.card.data),
        "identity": ("identity", lambda: found.identity and found.identity.card.data),
        "map": ("map", lambda: found.map and found.map.record.get("data")),
        "suspects": ("suspects", lambda: found.suspects and found.suspects.record.get("data")),
        "title_index": ("titles", lambda: found.titles and found.titles.data),
    }
    left_out: dict[str, Any] = {}
    for name, (attr, data_of) in made_from.items():
        if getattr(found, attr) is None:
            continue
        data = data_of() or {}
        if not artifacts.same_data(data, collection):
            left_out[attr] = None
            notes.append(
                Note(
                    name,
                    f"not used: the {name} artefact was made from {data.get('label', 'unknown data')!r}, the "
                    f"collection from {label!r}. Run {run_notebook(name)} on the collection's data.",
                    "error",
                )
            )
    same_artist, embedder = found.same_artist, found.images.embedder
    if same_artist is not None and "same_artist" not in left_out:
        card = same_artist.card  # the features it scores must be the index's (model and input size)
        fits = card.features_from == embedder.get("model") and card.image_size == embedder.get("image_size")
        if not fits or found.images.features is None:
            left_out["same_artist"] = None
            notes.append(
                Note(
                    "same_artist",
                    "not used: the same-artist model scores other features than the image index stores; run "
                    f"{run_notebook('same_artist')} and {run_notebook('image_index')} with one profile.",
                )
            )
    return replace(found, **left_out), notes


def collection_notes(found: Artefacts) -> list[Note]:
    """What the collection lacks: titles (no title search), artists (no same-artist value), its images."""
    if found.images is None:
        return []
    notes, items = [], found.images.items
    if "title" not in items or found.titles is None:
        text = "the data has no titles: title search is not available, and paintings are captioned by file name."
        notes.append(Note("titles", text, "info"))
    if "artist_name" not in items:
        notes.append(Note("artists", "the data names no artist: no same-artist probabilities.", "info"))
    if not found.images.root.is_dir():
        text = (
            f"the collection's images are not at {found.images.root} any more: thumbnails and collection queries "
            f"cannot be shown. Run {run_notebook('image_index')} again where the images are."
        )
        notes.append(Note("image_index", text, "error"))
    return notes
