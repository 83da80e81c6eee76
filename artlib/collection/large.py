"""A collection of any size, opened for browsing: its IVF-PQ index on disk and its catalogue, never read whole.

    collection = LargeCollection.open("outputs/collection")   # disk_index/ + catalogue.parquet (notebook 15)
    collection.similar(position=12, k=8)                       # nearest paintings with their catalogue rows
    collection.similar(image=pixels, k=8)                      # an upload, embedded as the index's vectors were
    collection.find("water lilies")                            # catalogue rows by title, artist or id
    collection.point_map("style")                              # every painting's map point (PointMap)

Opening reads the index's coarse quantizer and the catalogue's footer: the same time at a thousand paintings as at
ten million. Similar answers from the on-disk lists and the rows its hits fall in. The app's pages and
``benchmarks/explorer_load.py`` use this class; it is safe to query from several threads (the app's sessions).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..retrieval.captions import painting_caption
from ..retrieval.disk_index import DiskIndex
from ..utils.page_cache import PageCacheWarmer
from .catalogue import Catalogue
from .point_map import FEW_LABELS, PointMap

if TYPE_CHECKING:
    from ..retrieval.embedder_card import EmbedderCard

INDEX_DIR = "disk_index"
CATALOGUE = "catalogue.parquet"


def is_large_collection(folder: str | Path) -> bool:
    """Whether ``folder`` holds a disk index and a catalogue (the app then opens it)."""
    folder = Path(folder)
    return (folder / INDEX_DIR / "card.json").is_file() and (folder / CATALOGUE).is_file()


@dataclass
class LargeCollection:
    """A disk index and the catalogue of its paintings (row ``i`` describes index position ``i``)."""

    folder: Path
    index: DiskIndex
    catalogue: Catalogue
    _maps: dict[str | None, PointMap] = field(default_factory=dict)
    _embedder: tuple[EmbedderCard, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _map_labels: list[str] | None = None
    warmer: PageCacheWarmer | None = None

    @classmethod
    def open(cls, folder: str | Path, warm: bool = False) -> LargeCollection:
        """The collection of ``folder``; ``ValueError`` when its index and catalogue do not describe one set of
        paintings. ``warm``: read the files its queries read into the page cache, in the background, where they fit
        in memory (:class:`~artlib.utils.page_cache.PageCacheWarmer`: a server's first queries then need no disk
        reads; ``.warmer.state`` says where it stands)."""
        folder = Path(folder)
        index = DiskIndex.load(folder / INDEX_DIR)
        catalogue = Catalogue.open(folder / CATALOGUE)
        if len(catalogue) != len(index):
            raise ValueError(
                f"{folder}: the catalogue lists {len(catalogue):,} paintings, the index holds {len(index):,}: "
                "write them again from one run (notebook 15)"
            )
        found = cls(folder, index, catalogue)
        if warm:
            found.warmer = PageCacheWarmer([*index.files_read_by_queries(), *catalogue.files_read_by_queries()])
        return found

    @property
    def page_cache(self) -> str:
        """Whether the files its queries read were read into the page cache: ``warming``, ``warm``, ``not warmed:
        ...`` (too large for memory), or ``not asked``."""
        return self.warmer.state if self.warmer is not None else "not asked"

    def __len__(self) -> int:
        return len(self.index)

    @property
    def labels(self) -> list[str]:
        """Catalogue columns a map can be coloured by: its text columns other than ids, paths and titles."""
        return [c for c in self.catalogue.text_columns if c not in {"id", "path", "title"}]

    def map_labels(self) -> list[str]:
        """:attr:`labels` in the order a map should offer them: first those with few enough values for its colours
        (:data:`~.point_map.FEW_LABELS`), each group the most labelled first. A collection where few paintings
        name their artist, or where 145 artists would all be "(other)", is coloured by its style, say. Reads each
        label column once (the map reads whole columns anyway); a Similar query never needs it."""
        if self._map_labels is None:
            counts = {c: self.catalogue.labelled(c) for c in self.labels}
            few = {c: self.catalogue.distinct(c) <= FEW_LABELS for c in self.labels}
            self._map_labels = sorted(self.labels, key=lambda c: (not few[c], -counts[c]))  # stable among equals
        return self._map_labels

    @property
    def has_map(self) -> bool:
        return {"x", "y"} <= set(self.catalogue.columns)

    def caption(self, row: dict | pd.Series) -> str:
        """Title (or the id's last part), and artist where known (``painting_caption``)."""
        return painting_caption(row, fallback="id")

    def image_path(self, row: dict | pd.Series) -> Path | None:
        """Where the painting's image is, if the catalogue says and the file is there."""
        path = row.get("path", row.get("id"))
        return Path(path) if isinstance(path, str) and Path(path).is_file() else None

    def embedder(self) -> tuple[EmbedderCard, Any]:
        """The index's embedding model (its card and network), built once; ``RuntimeError`` when the index
        records none (uploads cannot then be searched)."""
        with self._lock:
            if self._embedder is None:
                from ..retrieval.embedder_card import EmbedderCard

                spec = self.index.card.embedder
                if not spec:
                    raise RuntimeError("the disk index records no embedding model: uploads cannot be searched")
                card = EmbedderCard.from_dict(spec)
                self._embedder = card, card.build()
            return self._embedder

    def similar(self, position: int | None = None, image: np.ndarray | None = None, k: int = 8) -> pd.DataFrame:
        """The ``k`` nearest paintings to catalogue row ``position`` (itself left out) or to ``image``: their
        catalogue rows with ``similarity`` and ``rank``; ``attrs["ms"]`` is the time the query took."""
        started = time.perf_counter()
        if position is not None:
            if not 0 <= int(position) < len(self):
                raise IndexError(f"no painting at position {position} (the collection has {len(self):,})")
            query = self.index.stored_vectors(np.array([int(position)])).astype(np.float32)
        elif image is not None:
            card, network = self.embedder()
            query = card.embed(network, image).reshape(1, -1).astype(np.float32)
        else:
            raise ValueError("give a position or an image")
        sims, found = self.index.search_positions(query, k + (position is not None))
        keep = (found[0] >= 0) & (found[0] != (-1 if position is None else int(position)))
        positions, sims = found[0][keep][:k], sims[0][keep][:k]
        rows = self.catalogue.rows(positions)
        rows.insert(1, "similarity", sims)
        rows.insert(2, "rank", np.arange(1, len(rows) + 1))
        rows.attrs["ms"] = 1000 * (time.perf_counter() - started)
        return rows

    def find(self, text: str, limit: int = 20) -> pd.DataFrame:
        """Catalogue rows whose title, artist or id holds every word of ``text``."""
        return self.catalogue.find(text, limit)

    def point_map(self, color_by: str | None = None) -> PointMap:
        """Every painting's map point, coloured by catalogue column ``color_by`` (read once per column)."""
        if not self.has_map:
            raise RuntimeError("the catalogue has no map coordinates (x, y): write them with notebook 15")
        with self._lock:
            if color_by not in self._maps:
                columns = self.catalogue.columns_of(["x", "y", *([color_by] if color_by else [])])
                self._maps[color_by] = PointMap(columns["x"], columns["y"], columns.get(color_by) if color_by else None)
            return self._maps[color_by]
