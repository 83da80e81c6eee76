"""Notebook 14's collection, searchable by image, file and title: every painting's image vector (a frozen
pretrained network) and title vector (MiniLM, when the data has titles), captioned as the explorer captions them.

    collection = searchable_collection(cfg, table)
    collection.save_indexes(cfg)                      # image_index and title_index by name, for the app
    collection.show(collection.image_index.query_id(collection.ids[0], k=5), "images like it")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch.nn as nn

from ..data.table import ArtTable
from ..errors import NotEnoughDataError
from ..retrieval import SimilarityIndex, embed_titles, label_retrieval, load_title_encoder, proxy_agreement
from ..retrieval.captions import painting_caption
from ..retrieval.scores import label_precision_row
from ..retrieval.text_to_image import held_out_title_retrieval

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

    from ..config import Settings


@dataclass
class SearchableCollection:
    """Paintings with their ids, items (labels, title, artist), image and title vectors, and what made them."""

    table: ArtTable
    items: pd.DataFrame  # artlib.store.artifacts.collection_items: id, path, labels, artist_name, title
    image_emb: np.ndarray
    network: nn.Module
    image_size: int
    backbone: str
    title_emb: np.ndarray | None = None
    encoder: Any = None
    titles_how: str = ""
    image_index: SimilarityIndex = field(init=False)
    title_index: SimilarityIndex | None = field(init=False)

    def __post_init__(self) -> None:
        self.image_index = SimilarityIndex(self.image_emb, self.ids)
        self.title_index = SimilarityIndex(self.title_emb, self.ids) if self.title_emb is not None else None

    @property
    def ids(self) -> list[str]:
        return self.items["id"].tolist()

    @property
    def has_titles(self) -> bool:
        return self.title_emb is not None

    def __repr__(self) -> str:
        titles = f"titles: {self.titles_how}" if self.has_titles else f"no titles ({self.titles_how})"
        return f"{len(self.items)} paintings, {self.image_emb.shape[1]}-d image vectors by {self.backbone}; {titles}"

    def captions(self, ids: Any) -> list[str]:
        """Each painting's caption as the explorer writes it: title (or file name) — artist."""
        rows = self.items.set_index("id").loc[list(ids)].reset_index()
        return [painting_caption(row) for row in rows.to_dict("records")]

    def results(self, result: pd.DataFrame) -> pd.DataFrame:
        """A query's result with each painting's caption."""
        return result.assign(caption=self.captions(result["id"]))

    def show(self, result: pd.DataFrame, heading: str) -> plt.Figure:
        """The paintings of a query's result in a row, captioned with their similarity."""
        from ..plots import plot_query_results

        root = self.table.root or Path()
        paths = [root / p for p in self.items.set_index("id").loc[result["id"], "path"]]
        return plot_query_results(paths, self.captions(result["id"]), result["similarity"], heading)

    def embed_file(self, path: str | Path) -> np.ndarray:
        """The image vector of an image file, made as the collection's were."""
        from ..data.transforms import eval_transform
        from ..features import embed_images
        from ..models import input_normalization

        transform = eval_transform(self.image_size, normalization=input_normalization(self.network))
        return embed_images(self.network, [path], transform)

    def require_titles(self) -> None:
        """:class:`NotEnoughDataError` (a notebook's banner) when the data has no titles."""
        if not self.has_titles:
            raise NotEnoughDataError(f"the data has no titles to search by ({self.titles_how})")

    def embed_text(self, text: str) -> np.ndarray:
        """A title's vector, to search the title index (or, mapped, the images) with."""
        self.require_titles()
        return embed_titles([text], self.encoder)

    @property
    def image_name(self) -> str:
        """``image (Lite0)``: the image vectors' name in tables and maps."""
        return f"image ({self.backbone.replace('efficientnet_lite', 'Lite')})"

    def embeddings(self) -> dict[str, np.ndarray]:
        """The collection's vectors by name: the image ones, and the title ones when there are titles."""
        titles = {"title (MiniLM)": self.title_emb} if self.title_emb is not None else {}
        return {self.image_name: self.image_emb, **titles}

    def image_rows(self, k: int, seed: int = 0) -> dict[str, dict[str, float]]:
        """``image -> image, <task>``: the precision at ``k`` of each label with its 95 % interval over the queries
        and what ``k`` paintings drawn at random would score (:func:`artlib.retrieval.scores.label_precision_row`)."""
        rows = {}
        for task in self.table.tasks:
            row = label_precision_row(self.image_emb, self.table.frame[task].to_numpy(), k, seed)
            if row:
                rows[f"image -> image, {task}"] = row
        return rows

    def neighbour_quality(self, k: int) -> pd.DataFrame:
        """Per embedding: precision and recall at ``k`` of each label, and (with titles) how alike the titles of a
        painting's ``k`` nearest neighbours are (the title proxy)."""
        rows = {}
        for name, emb in self.embeddings().items():
            rows[name] = label_retrieval(emb, self.ids, self.table, k)
            if self.title_emb is not None:
                rows[name]["title proxy"] = proxy_agreement(SimilarityIndex(emb, self.ids), self.title_emb, k)
        return pd.DataFrame(rows).T

    def held_out_titles(self, k: int, seed: int = 0) -> dict[str, dict[str, float]]:
        """Title to image search and the title-refined projection, fitted on half of the paintings and measured on
        the other half (:func:`artlib.retrieval.text_to_image.held_out_title_retrieval`), against chance."""
        self.require_titles()
        assert self.title_emb is not None
        task = "genre" if "genre" in self.table.tasks else self.table.tasks[0]  # titles name the subject
        labels = self.table.frame[task].to_numpy()
        return held_out_title_retrieval(self.image_emb, self.title_emb, self.ids, labels, task, k, seed)

    def save_indexes(self, cfg: Settings) -> None:
        """Save ``image_index`` and ``title_index`` by name, with every painting's labels, title and path, how the
        vectors were made and thumbnails (the explorer's collection); the image index is read back as a later
        session would read it."""
        from ..models import input_normalization
        from ..store import artifacts

        artifacts.save_collection(
            cfg,
            self.table,
            self.ids,
            self.image_index,
            self.image_emb,
            self.backbone,
            self.image_size,
            input_normalization(self.network),
            self.title_index,
        )
        self.image_index = artifacts.load_index(cfg, "image_index").index


def searchable_collection(cfg: Settings, table: ArtTable) -> SearchableCollection:
    """Every painting of ``table`` embedded by the settings' frozen network (features cached per image, shared
    with notebooks 11-13) and, when the data has titles, by the title encoder; recorded in the run status."""
    from ..data.derived import titles
    from ..features import table_features
    from ..models import create_backbone
    from ..store.artifacts import collection_items
    from ..utils import run_status

    title_values, how = titles(table)  # None: the notebook's title section says why, in a banner
    network = create_backbone(cfg.feature_backbone, pretrained=True)
    size = cfg.pretrained_size
    image_emb = table_features(network, {"all": table}, size, cfg.num_workers, cfg.feature_cache)["all"]
    ids = (table.frame["objectid"] if "objectid" in table.frame else table.frame["path"]).astype(str).tolist()
    items = collection_items(table, ids)
    title_emb, encoder = None, None
    if title_values is not None:
        encoder = load_title_encoder()
        title_emb = embed_titles(title_values.replace("", "untitled").tolist(), encoder)
    indexes = "image index" + (f" and title index ({how})" if title_values is not None else "")
    run_status.used_data(cfg, indexes, len(table))
    return SearchableCollection(table, items, image_emb, network, size, cfg.feature_backbone, title_emb, encoder, how)
