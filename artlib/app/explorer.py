"""What the explorer app knows and answers, without Streamlit: the artefacts of a run and the queries on them.

    explorer = Explorer.open("outputs/")             # whatever the notebooks saved; the rest is a note
    image = explorer.decode_upload(data, "x.jpg")     # ImageLoadError with a readable message for bad files
    explorer.classify(image)                          # {task: top-3 table}
    explorer.similar(image=image, k=8)                # nearest paintings with labels, scores, same-artist p

Every artefact is optional: a missing one or one made from other data than the collection (the image
index) becomes a :class:`Note` that says which notebook to run, never an exception on the page.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

if TYPE_CHECKING:
    from ..models.siamese import SiameseNet

from .. import artifacts
from ..config import default_outputs
from ..data.images import decode_rgb, load_rgb
from ..data.transforms import as_normalization
from ..models import embed_with
from ..predict import Answer, Classifier, ModelCard
from ..thumbnails import collection_thumbnails

log = logging.getLogger(__name__)

#: Uploads above Pillow's own decompression-bomb limit (about 89 MP) are refused.
MAX_UPLOAD_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: At most this many paintings on the map (a fixed random sample of larger collections).
MAP_POINTS = 2000
#: Choices of test-time views on the Classify page: label -> (views, mirror); None = the model card's.
VIEW_CHOICES = {
    "as evaluated (model card)": None,
    "one view": (("letterbox",), False),
    "one view + mirror": (("letterbox",), True),
    "multi-view + mirror": (("letterbox", "start", "end"), True),
}


@dataclass
class Note:
    """Something the app cannot show, why, and what to do about it."""

    topic: str  # "classifier", "image_index", "titles", "artists", ...
    text: str
    level: str = "warning"  # "warning" | "error" | "info"


@dataclass
class Explorer:
    """The artefacts of one outputs folder and the queries the app's pages make on them."""

    outputs: Path
    classifier: Classifier | None = None
    images: artifacts.IndexArtifact | None = None
    titles: artifacts.IndexArtifact | None = None
    same_artist: tuple[SiameseNet, ModelCard] | None = None
    map: tuple[pd.DataFrame, dict] | None = None
    suspects: tuple[pd.DataFrame, dict] | None = None
    notes: list[Note] = field(default_factory=list)
    load_seconds: float = 0.0
    _embedder: torch.nn.Module | None = None
    _encoder: object | None = None

    # ------------------------------------------------------------------------------------------- loading
    @classmethod
    def open(cls, outputs: str | Path | None = None) -> Explorer:
        """Load every artefact the app uses from ``outputs`` (default :func:`default_outputs`)."""
        start = time.perf_counter()
        outputs = Path(outputs) if outputs else default_outputs()
        self = cls(outputs)
        if not (outputs / artifacts.ARTIFACTS_DIR).is_dir():
            self.notes.append(
                Note(
                    "outputs",
                    f"{outputs} holds no saved artefacts: the notebooks have not run "
                    "there. Run the main job first (python -m artlib.run_notebooks, with the "
                    "ARTLIB_* settings of your data), or point ARTLIB_OUTPUTS at its outputs "
                    "folder.",
                    "error",
                )
            )
            return self
        self.images = self._load("image_index", artifacts.load_index)
        self.titles = self._load("title_index", artifacts.load_index) if self.images else None
        self.classifier = self._load("classifier", lambda o, n: artifacts.load_classifier(o, n, device="cpu"))
        self.same_artist = self._load("same_artist", artifacts.load_model)
        self.map = self._load("map", artifacts.load_frame)
        self.suspects = self._load("suspects", artifacts.load_frame)
        self._check_data()
        self._check_collection()
        self._warm_up()
        self.load_seconds = time.perf_counter() - start
        return self

    def _warm_up(self) -> None:
        """Build the query embedder now, so the first uploaded painting answers as fast as the next ones."""
        if self.images is None or "model" not in self.images.embedder:
            return
        try:
            self._query_embedder()
        except Exception as exc:  # noqa: BLE001  (e.g. weights not installed: only uploads cannot be searched)
            self.notes.append(
                Note(
                    "image_index",
                    f"uploaded paintings cannot be searched: the index's embedding model cannot be built here ({exc}).",
                )
            )

    def _load(self, name: str, loader: Callable[[Path, str], Any]) -> Any:
        try:
            return loader(self.outputs, name)
        except artifacts.ArtifactNotFoundError as exc:
            self.notes.append(Note(name, str(exc)))
        except (ValueError, OSError, KeyError, RuntimeError) as exc:  # damaged files: say which, go on
            self.notes.append(
                Note(
                    name,
                    f"the {name} artefact cannot be read ({exc}); run {artifacts.maker(name) or 'its notebook'} again",
                    "error",
                )
            )
        return None

    def _check_data(self) -> None:
        """Drop collection-bound artefacts made from other data than the image index; warn for the classifier."""
        if self.images is None:
            return
        collection = self.images.data
        label = collection.get("label", "?")
        if self.classifier is not None and not artifacts.same_data(self.classifier.card.data, collection):
            self.notes.append(
                Note(
                    "classifier",
                    f"the classifier was trained on {self.classifier.card.data.get('label')!r}, "
                    f"the collection was indexed from {label!r}: its classes are not the collection's. "
                    "Run notebooks 08 and 14 with the same ARTLIB_* settings.",
                )
            )
        recorded = {
            "same_artist": lambda card: card.data,
            "map": lambda saved: saved.get("data"),
            "suspects": lambda saved: saved.get("data"),
            "titles": lambda index: index.data,
        }
        for attr, data_of in recorded.items():  # attribute -> where its artefact records its data
            value = getattr(self, attr)
            if value is None:
                continue
            data = data_of(value[1] if isinstance(value, tuple) else value) or {}
            if not artifacts.same_data(data, collection):
                name = "title_index" if attr == "titles" else attr
                setattr(self, attr, None)
                self.notes.append(
                    Note(
                        name,
                        f"not used: the {name} artefact was made from "
                        f"{data.get('label', 'unknown data')!r}, the collection from {label!r}. "
                        f"Run notebook {artifacts.maker(name)} on the collection's data.",
                        "error",
                    )
                )
        if self.same_artist is not None:
            card, embedder = self.same_artist[1], self.images.embedder
            if (
                card.features_from != embedder.get("model")
                or card.image_size != embedder.get("image_size")
                or self.images.features is None
            ):
                self.same_artist = None
                self.notes.append(
                    Note(
                        "same_artist",
                        "not used: the same-artist model scores other features "
                        "than the image index stores; run notebooks 12 and 14 with one profile.",
                    )
                )

    def _check_collection(self) -> None:
        if self.images is None:
            return
        items = self.images.items
        if "title" not in items or self.titles is None:
            self.notes.append(
                Note(
                    "titles",
                    "the data has no titles: title search is not available, and paintings are captioned by file name.",
                    "info",
                )
            )
        if "artist_name" not in items:
            self.notes.append(Note("artists", "the data names no artist: no same-artist probabilities.", "info"))
        if not self.images.root.is_dir():
            self.notes.append(
                Note(
                    "image_index",
                    f"the collection's images are not at {self.images.root} any "
                    "more: thumbnails and collection queries cannot be shown. Run notebook 14 "
                    "again where the images are.",
                    "error",
                )
            )

    def notes_for(self, *topics: str) -> list[Note]:
        return [n for n in self.notes if n.topic in topics]

    # ------------------------------------------------------------------------------------------ the collection
    @property
    def collection(self) -> artifacts.IndexArtifact:
        """The image index (the collection); ``RuntimeError`` naming the notebook when there is none."""
        if self.images is None:
            raise RuntimeError("no image index: run notebook 14_similarity")
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
        if getattr(self, "_captions", None) is None:
            self._captions = {row["id"]: self.caption(row) for row in self.collection.items.to_dict("records")}
        return self._captions

    def caption(self, row: dict | pd.Series) -> str:
        """Title (or file name), and artist where known."""
        given = row.get("title")
        title = given if isinstance(given, str) and given else Path(str(row["path"])).stem
        artist = row.get("artist_name")
        return f"{title} — {artist}" if isinstance(artist, str) and artist else title

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
        """An uploaded file as RGB pixels; anything that is not a readable image of a sane size raises
        :class:`ImageLoadError` with a message for the page."""
        return decode_rgb(data, name, max_pixels=MAX_UPLOAD_PIXELS)

    def collection_image(self, item_id: str) -> np.ndarray:
        return load_rgb(self.image_path(item_id))

    def classify(
        self, image: np.ndarray, views: str = "as evaluated (model card)", top_k: int = 3
    ) -> dict[str, Answer]:
        """Per task: the calibrated top-``k``, the 90 % prediction set and the open-set verdict (:class:`Answer`)."""
        if self.classifier is None:
            raise RuntimeError("no classifier: run notebook 08_efficientnet")
        chosen_views, flip = VIEW_CHOICES[views] or (None, None)
        return self.classifier.answer(image, chosen_views, flip, top_k=top_k)

    def explain(self, image: np.ndarray) -> dict[str, tuple[np.ndarray, str]]:
        """Per task: a Grad-CAM overlay of the class the model names (on the card's first fitted view) and that
        class's name."""
        from ..trust.cam import class_activation_maps, overlay, view_pixels

        if self.classifier is None:
            raise RuntimeError("no classifier: run notebook 08_efficientnet")
        card = self.classifier.card
        fit = next((v for v in card.views if v in ("crop", "letterbox")), "crop")
        view = self.classifier.transform((fit,))(image=image)["image"][None]
        out = {}
        for task, names in card.classes.items():
            heat, chosen = class_activation_maps(self.classifier.model, view, task)
            out[task] = (overlay(view_pixels(view[0], card.normalization), heat[0]), names[int(chosen[0])])
        return out

    def _query_embedder(self) -> torch.nn.Module:
        if self._embedder is None:
            from ..models import create_backbone

            spec = self.collection.embedder
            self._embedder = create_backbone(spec["model"], pretrained=spec.get("pretrained", False)).eval()
        return self._embedder

    @torch.no_grad()
    def embed(self, image: np.ndarray) -> np.ndarray:
        """Raw features of an image, made as the index's were (model, size, normalisation, fit)."""
        from ..data.tta import views_transform

        spec = self.collection.embedder
        normalization = as_normalization(spec["normalization"])
        x = views_transform((spec.get("fit", "crop"),), spec["image_size"], normalization)(image=image)["image"]
        return embed_with(self._query_embedder(), x[None]).float().numpy()

    def similar(self, image: np.ndarray | None = None, item_id: str | None = None, k: int = 8) -> pd.DataFrame:
        """The ``k`` nearest paintings to an image or a collection item, with their labels and, where
        notebook 12's model exists, the probability that each is by the same artist."""
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
        if self.same_artist is not None and query_raw is not None and features is not None:
            head = self.same_artist[0]
            a = head.embed(torch.as_tensor(np.repeat(query_raw, len(positions), 0), dtype=torch.float32))
            b = head.embed(torch.as_tensor(features[positions], dtype=torch.float32))
            raw = head.same_probability(a, b).numpy().astype(np.float64)
            trust = self.same_artist[1].task_trust("same")  # Platt scaling on neighbour pairs (notebook 12)
            out["same_artist"] = trust.calibrate(np.stack([1 - raw, raw], 1))[:, 1]
            out.attrs["same_artist_calibrated"] = trust.temperature != 1.0 or bool(trust.bias)
        return out

    def _title_encoder(self) -> Any:
        if self._encoder is None:
            from ..similarity import load_title_encoder

            self._encoder = load_title_encoder()
        return self._encoder

    def search(self, text: str, k: int = 12, filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """Paintings whose titles are nearest to ``text`` (MiniLM), among those matching ``filters``
        (``{task: [class names]}``; an empty list means any)."""
        if self.titles is None:
            raise RuntimeError("no title index: the data has no titles, or notebook 14 has not run")
        if not text.strip():
            raise ValueError("type a few words to search the titles for")
        from ..similarity import embed_titles

        items = self.titles.items
        mask = np.ones(len(items), dtype=bool)
        for task, wanted in (filters or {}).items():
            if wanted:
                mask &= items[task].isin(wanted).to_numpy()
        if not mask.any():
            return items.iloc[:0].assign(similarity=[], rank=[])
        query = embed_titles([text], self._title_encoder())[0]
        sims = self.titles.index.vectors[mask] @ query
        order = np.argsort(-sims)[:k]
        out = items[mask].iloc[order].reset_index(drop=True)
        out.insert(1, "similarity", sims[order])
        out.insert(2, "rank", np.arange(1, len(out) + 1))
        return out

    def map_points(self, color_by: str | None = None, limit: int = MAP_POINTS, seed: int = 0) -> pd.DataFrame:
        """The 2-D map (UMAP of the image embeddings) joined with labels and captions, at most ``limit`` points."""
        if self.map is None:
            raise RuntimeError("no map: run notebook 14_similarity")
        frame = self.map[0].astype({"id": str}).merge(self.collection.items, on="id", how="inner")
        if len(frame) > limit:
            frame = frame.sample(limit, random_state=seed).sort_index()
        frame["caption"] = frame["id"].map(self.captions)
        if color_by:
            frame[color_by] = frame[color_by].fillna("(no label)")
        return frame.reset_index(drop=True)

    def suspect_table(self) -> tuple[pd.DataFrame, dict]:
        """Notebook 13's ranking (most suspicious first) and its record (task, image root)."""
        if self.suspects is None:
            raise RuntimeError("no suspects: run notebook 13_outliers")
        return self.suspects
