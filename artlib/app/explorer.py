"""What the explorer app knows and answers, without Streamlit: the artefacts of a run and the queries on them.

    explorer = Explorer.open("outputs/")             # whatever the notebooks saved; the rest is a note
    image = explorer.decode_upload(data, "x.jpg")     # ImageLoadError with a readable message for bad files
    explorer.classify(image)                          # {task: top-3 table}
    explorer.similar(image=image, k=8)                # nearest paintings with labels, scores, same-artist p

Every artefact is optional: what is loaded and whether it fits together is :mod:`artlib.app.collection`'s
(a missing one, or one made from other data, is a :class:`Note` saying which notebook to run).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

from ..config import default_outputs
from ..data.images import check_answerable, decode_rgb, load_rgb
from ..retrieval.captions import painting_caption
from ..store import artifacts
from ..store.thumbnails import collection_thumbnails
from .collection import Artefacts, Note, SavedTable, collection_notes, fitting, load_artefacts, run_notebook

if TYPE_CHECKING:
    from ..identity.model import IdentityAnswer
    from ..inference.classifier import Answer
    from ..retrieval.embedder_card import EmbedderCard

#: how the pages name the models that can refuse an upload
CLASSIFIER, IDENTITY_MODEL = "the classifier (notebook 08)", "the identity model (notebook 11b)"

#: Uploads above Pillow's own decompression-bomb limit (about 89 MP) are refused.
MAX_UPLOAD_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: At most this many paintings on the map (a fixed random sample of larger collections).
MAP_POINTS = 2000


@dataclass
class Explorer(Artefacts):
    """The artefacts of one outputs folder (:class:`Artefacts`, those that fit together) and the queries the
    app's pages make on them."""

    notes: list[Note] = field(default_factory=list)
    load_seconds: float = 0.0
    _embedder: tuple[EmbedderCard, torch.nn.Module] | None = None
    _identity_network: torch.nn.Module | None = None
    _encoder: object | None = None
    _captions: dict[str, str] | None = None

    @classmethod
    def open(cls, outputs: str | Path | None = None) -> Explorer:
        """Load every artefact the app uses from ``outputs`` (default :func:`default_outputs`), keep those that
        fit the collection, and note the rest."""
        start = time.perf_counter()
        found, notes = load_artefacts(Path(outputs) if outputs else default_outputs())
        kept, misfits = fitting(found)
        self = cls(**vars(kept), notes=[*notes, *misfits, *collection_notes(kept)])
        self._warm_up()
        self.load_seconds = time.perf_counter() - start
        return self

    def _warm_up(self) -> None:
        """Build the query embedder now, so the first uploaded painting answers as fast as the next ones."""
        if self.images is None or "model" not in self.images.embedder:
            return  # a text index only, or no index
        try:
            self._query_embedder()
        except Exception as exc:  # noqa: BLE001  (e.g. weights not installed: only uploads cannot be searched)
            text = f"uploaded paintings cannot be searched: the index's embedding model cannot be built here ({exc})."
            self.notes.append(Note("image_index", text))

    def notes_for(self, *topics: str) -> list[Note]:
        return [n for n in self.notes if n.topic in topics]

    # ------------------------------------------------------------------------------------------ the collection
    @property
    def collection(self) -> artifacts.IndexArtifact:
        """The image index (the collection); ``RuntimeError`` naming the notebook when there is none."""
        if self.images is None:
            raise RuntimeError(f"no image index: run {run_notebook('image_index')}")
        return self.images

    @property
    def tasks(self) -> list[str]:
        return self.images.tasks if self.images is not None else []

    def item(self, item_id: str) -> pd.Series:
        """The collection's row of ``item_id``."""
        position = self.collection.index.position.get(str(item_id))
        if position is None:
            raise KeyError(f"no painting {item_id!r} in the collection")
        return self.collection.items.iloc[position]

    def image_path(self, item_id: str) -> Path:
        path = Path(self.item(item_id)["path"])
        return path if path.is_absolute() else self.collection.root / path

    @property
    def captions(self) -> dict[str, str]:
        """Every collection painting's caption by id (made once)."""
        if self._captions is None:
            self._captions = {row["id"]: self.caption(row) for row in self.collection.items.to_dict("records")}
        return self._captions

    def caption(self, row: dict | pd.Series) -> str:
        """Title (or file name), and artist where known (:func:`artlib.retrieval.captions.painting_caption`)."""
        return painting_caption(row)

    def thumbnail(self, item_id: str) -> bytes | None:
        return collection_thumbnails(self.outputs).get(self.image_path(item_id))

    def thumbnail_uri(self, item_id: str | None = None, path: str | Path | None = None, side: int = 64) -> str | None:
        """A small thumbnail of a collection item (or of an image file) as a ``data:`` URI, None if unreadable."""
        if item_id is not None:
            path = self.image_path(item_id)
        elif path is None:
            raise ValueError("give an item id or a path")
        data = collection_thumbnails(self.outputs, side).get(path)
        return None if data is None else "data:image/jpeg;base64," + base64.b64encode(data).decode()

    # ------------------------------------------------------------------------------------------------ queries
    @staticmethod
    def decode_upload(data: bytes, name: str) -> np.ndarray:
        """An uploaded file as RGB pixels; anything that is not a readable image of a sane size (too large, or below
        32 px a side) raises :class:`ImageLoadError` with a message for the page."""
        return check_answerable(decode_rgb(data, name, max_pixels=MAX_UPLOAD_PIXELS), name)

    def collection_image(self, item_id: str) -> np.ndarray:
        return load_rgb(self.image_path(item_id))

    def classify(
        self, image: np.ndarray, views: Sequence[str] | None = None, flip: bool | None = None, top_k: int = 3
    ) -> dict[str, Answer]:
        """Per task: the calibrated top-``k``, the 90 % prediction set and the open-set verdict (:class:`Answer`),
        over the card's test-time views and mirror unless ``views`` / ``flip`` say otherwise."""
        if self.classifier is None:
            raise RuntimeError(f"no classifier: run {run_notebook('classifier')}")
        return self.classifier.answer(image, views, flip, top_k=top_k)

    def explain(self, image: np.ndarray, shown: dict[str, str | None]) -> dict[str, tuple[np.ndarray, str]]:
        """Per task of ``shown`` (the class the page shows, None for "someone else" / no class): a Grad-CAM
        overlay of that class (:meth:`Classifier.explain`: the card's fitted view and its mirror). Tasks without a
        shown class of the classifier's get no map: no map is ever captioned with a class the page does not give."""
        if self.classifier is None:
            raise RuntimeError(f"no classifier: run {run_notebook('classifier')}")
        out = {}
        for task, name in shown.items():
            if name is not None and name in self.classifier.card.classes.get(task, []):
                out[task] = (self.classifier.explain(image, task, name), name)
        return out

    def _identity_features(self, image: np.ndarray) -> np.ndarray:
        from ..identity.features import image_view_features
        from ..models import create_backbone

        assert self.identity is not None
        card = self.identity.card
        if self._identity_network is None:
            self._identity_network = create_backbone(card.backbone, pretrained=True)
        return image_view_features(self._identity_network, image, card.views, card.image_size, card.detail)

    def identify(self, image: np.ndarray) -> IdentityAnswer | None:
        """Who painted it (notebook 11b's identity model): a known artist with a calibrated probability, or
        "someone else" with look-alikes; None without an identity model."""
        if self.identity is None:
            return None
        return self.identity.answer(self._identity_features(image))[0]

    def _query_embedder(self) -> tuple[EmbedderCard, torch.nn.Module]:
        """The index's embedder card and its network, read and built once."""
        if self._embedder is None:
            card = self.collection.embedder_card
            if card is None:
                raise RuntimeError("the image index records no image model: uploads cannot be embedded")
            self._embedder = card, card.build()
        return self._embedder

    def embed(self, image: np.ndarray) -> np.ndarray:
        """Raw features of an image, made as the index's were (its :class:`~artlib.retrieval.EmbedderCard`)."""
        card, network = self._query_embedder()
        return card.embed(network, image)

    def similar(self, image: np.ndarray | None = None, item_id: str | None = None, k: int = 8) -> pd.DataFrame:
        """The ``k`` nearest paintings to an image or a collection item, with their labels and, where notebook
        11b's or 12's model exists, the probability that each is by the same artist. An uploaded image that the
        identity model's painting check refuses (without one, the classifier's) gets no same-artist values (NaN),
        ``attrs["refused"]`` says why ("not a painting", "unlike the collection") and ``attrs["refused_by"]``
        which model: its neighbours are the collection's nearest by look."""
        collection = self.collection
        index, features = collection.index, collection.features
        if item_id is not None:
            query_raw = features[index.position[str(item_id)]][None] if features is not None else None
            hits = index.query_id(item_id, k)
        elif image is not None:
            query_raw = self.embed(image)
            hits = index.query(query_raw, k)
        else:
            raise ValueError("give an image or an item id")
        positions = [index.position[i] for i in hits["id"]]
        rows = collection.items.iloc[positions].reset_index(drop=True)
        out = pd.concat([hits.reset_index(drop=True), rows.drop(columns="id")], axis=1)
        if self.identity is not None and self.identity.items.get("paths"):  # notebook 11b: painters never seen too
            refused = ""
            if item_id is not None:
                query = self.identity.vectors_of([self.image_path(item_id)])
            else:
                views = self._identity_features(image)  # type: ignore[arg-type]
                refused = str(self.identity.refusals(views)[0])
                query = self.identity.embed(views)
            found = self.identity.vectors_of([self.image_path(i) for i in hits["id"]])
            out["same_artist"] = self.identity.same_artist(np.repeat(query, len(found), 0), found)
            if refused:  # no "same painter" value for what is not a painting, or unlike every one it knows
                out["same_artist"] = np.nan
                out.attrs["refused"], out.attrs["refused_by"] = refused, IDENTITY_MODEL
            out.attrs["same_artist_calibrated"] = self.identity.card.same_artist is not None
            out.attrs["same_artist_from"] = "identity"
            return out
        refused = "" if image is None or self.classifier is None else self.classifier.refusal(image)
        if refused:  # the classifier's check: no head's "same painter" value for it either
            out.attrs["refused"], out.attrs["refused_by"] = refused, CLASSIFIER
        elif self.same_artist is not None and query_raw is not None and features is not None:
            head = self.same_artist.head
            a = head.embed(torch.as_tensor(np.repeat(query_raw, len(positions), 0), dtype=torch.float32))
            b = head.embed(torch.as_tensor(features[positions], dtype=torch.float32))
            raw = head.same_probability(a, b).numpy().astype(np.float64)
            trust = self.same_artist.card.task_trust("same")  # Platt scaling on neighbour pairs (notebook 12)
            out["same_artist"] = trust.calibrate(np.stack([1 - raw, raw], 1))[:, 1]
            out.attrs["same_artist_calibrated"] = trust.temperature != 1.0 or bool(trust.bias)
        return out

    def _title_encoder(self) -> Any:
        if self._encoder is None:
            from ..retrieval.titles import load_title_encoder

            self._encoder = load_title_encoder()
        return self._encoder

    def search(self, text: str, k: int = 12, filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """Paintings whose titles are nearest to ``text`` (MiniLM), among those matching ``filters``
        (``{task: [class names]}``; an empty list means any)."""
        if self.titles is None:
            raise RuntimeError(f"no title index: the data has no titles, or {run_notebook('title_index')} has not run")
        if not text.strip():
            raise ValueError("type a few words to search the titles for")
        from ..retrieval.titles import embed_titles

        items = self.titles.items
        mask = np.ones(len(items), dtype=bool)
        for task, wanted in (filters or {}).items():
            if wanted:
                mask &= items[task].isin(wanted).to_numpy()
        if not mask.any():
            return items.iloc[:0].assign(similarity=[], rank=[])
        index = self.titles.index
        hits = index.query(embed_titles([text], self._title_encoder())[0], k, mask=mask)
        out = items.iloc[[index.position[i] for i in hits["id"]]].reset_index(drop=True)
        out.insert(1, "similarity", hits["similarity"].to_numpy())
        out.insert(2, "rank", hits["rank"].to_numpy())
        return out

    def map_points(self, color_by: str | None = None, limit: int = MAP_POINTS, seed: int = 0) -> pd.DataFrame:
        """The 2-D map (UMAP of the image embeddings) joined with labels and captions, at most ``limit`` points."""
        if self.map is None:
            raise RuntimeError(f"no map: run {run_notebook('map')}")
        frame = self.map.frame.astype({"id": str}).merge(self.collection.items, on="id", how="inner")
        if len(frame) > limit:
            frame = frame.sample(limit, random_state=seed).sort_index()
        frame["caption"] = frame["id"].map(self.captions)
        if color_by:
            frame[color_by] = frame[color_by].fillna("(no label)")
        return frame.reset_index(drop=True)

    def suspect_table(self) -> SavedTable:
        """Notebook 13's ranking (most suspicious first) and its record (task, image root)."""
        if self.suspects is None:
            raise RuntimeError(f"no suspects: run {run_notebook('suspects')}")
        return self.suspects
