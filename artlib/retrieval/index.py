"""Painting similarity search: cosine k-NN over image or title embeddings with FAISS, saved to disk.

``SimilarityIndex`` keeps the vectors' ids (e.g. NGA object ids) beside a FAISS
index: exact inner-product search (``flat``) below 50,000 items, a graph index (``hnsw``, approximate:
recall@10 0.95+ at well under a millisecond per query on a million 64-d vectors, see
``benchmarks/similarity_1m.py``) above; ``auto`` picks by size; ``ivf`` is also available. Query by vector,
by id, by image (through an embedding model) or by title text (through a
sentence-transformers encoder, :mod:`.titles`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..utils.files import atomic_write, hash_file

if TYPE_CHECKING:
    pass


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise ImportError("similarity search needs `pip install faiss-cpu`") from exc
    return faiss


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (cosine similarity = inner product)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {x.shape}")
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        raise ValueError(f"{int((~finite).sum())} vector(s) contain NaN or infinity, e.g. row {int(np.argmin(finite))}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError("zero vector(s) cannot be normalised for cosine search")
    return x / norms


def checked_queries(queries: np.ndarray, k: int, dim: int) -> np.ndarray:
    """``queries`` as unit rows of width ``dim``, refused (with ``k``) when they cannot be searched."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    queries = np.atleast_2d(queries)
    if queries.shape[0] == 0:
        raise ValueError("empty query")
    if queries.shape[1] != dim:
        raise ValueError(f"query has {queries.shape[1]} dims, index has {dim}")
    return normalize(queries)


class SimilarityIndex:
    """Cosine nearest-neighbour search over ``vectors`` labelled by ``ids``."""

    #: collections at least this large get an approximate index with ``kind="auto"``
    EXACT_LIMIT = 50_000

    def __init__(
        self,
        vectors: np.ndarray,
        ids: Sequence,
        kind: str = "auto",
        nlist: int | None = None,
        nprobe: int = 16,
        seed: int = 0,
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
    ) -> None:
        faiss = _faiss()
        vectors = normalize(vectors)
        if len(vectors) == 0:
            raise ValueError("cannot build a similarity index from no vectors")
        if len(vectors) != len(ids):
            raise ValueError(f"{len(vectors)} vectors but {len(ids)} ids")
        if len(set(map(str, ids))) != len(ids):
            raise ValueError("ids must be unique")
        self.ids = [str(i) for i in ids]
        self.position = {i: k for k, i in enumerate(self.ids)}
        self.dim = vectors.shape[1]
        self.kind = ("hnsw" if len(vectors) >= self.EXACT_LIMIT else "flat") if kind == "auto" else kind
        if self.kind == "flat":
            self.index = faiss.IndexFlatIP(self.dim)
        elif self.kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(self.dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = ef_construction
            self.index.hnsw.efSearch = ef_search
        elif self.kind == "ivf":
            nlist = nlist or int(4 * np.sqrt(len(vectors)))
            quantizer = faiss.IndexFlatIP(self.dim)
            self.index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(seed)
            sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 64 * nlist), replace=False)]
            self.index.train(sample)
            self.index.nprobe = nprobe
        else:
            raise ValueError(f"kind must be 'auto', 'flat', 'hnsw' or 'ivf', got {kind!r}")
        self.index.add(vectors)
        self.vectors = vectors  # kept for query-by-id and exact re-checks

    def __len__(self) -> int:
        return len(self.ids)

    def _checked_queries(self, queries: np.ndarray, k: int) -> np.ndarray:
        return checked_queries(queries, k, self.dim)

    def search(self, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities, positions)`` of the ``k`` nearest stored vectors for each query row."""
        return self.index.search(self._checked_queries(queries, k), min(k, len(self)))

    def query(
        self, vector: np.ndarray, k: int = 10, exclude: str | None = None, mask: np.ndarray | None = None
    ) -> pd.DataFrame:
        """The ``k`` nearest ids for one vector as ``id, similarity, rank`` (several: :meth:`search`). ``mask``:
        one boolean per stored item, only the ``True`` ones are candidates (exact search among them, e.g. the
        paintings of the styles a user filtered on)."""
        if np.ndim(vector) == 2 and len(vector) != 1:
            raise ValueError(f"query takes one vector, got {len(vector)} rows: use search() for several")
        if mask is not None:
            sims, pos = self._search_among(vector, k + (exclude is not None), np.asarray(mask))
        else:
            sims, pos = self.search(vector, k + (exclude is not None))
        rows = [
            (self.ids[p], float(s)) for s, p in zip(sims[0], pos[0], strict=True) if p >= 0 and self.ids[p] != exclude
        ]
        frame = pd.DataFrame(rows[:k], columns=["id", "similarity"])
        frame["rank"] = np.arange(1, len(frame) + 1)
        return frame

    def _search_among(self, vector: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`search` for one vector restricted to the stored items where ``mask`` is True (exact)."""
        if mask.dtype != bool or mask.shape != (len(self),):
            raise ValueError(f"mask must hold one boolean per stored item ({len(self)}), got {mask.dtype} {mask.shape}")
        query = self._checked_queries(vector, k)
        candidates = np.flatnonzero(mask)
        sims = self.vectors[candidates] @ query[0]
        order = np.argsort(-sims, kind="stable")[:k]
        return sims[order][None], candidates[order][None]

    def query_id(self, item_id: str | int, k: int = 10) -> pd.DataFrame:
        """Neighbours of a stored item (itself excluded)."""
        key = str(item_id)
        if key not in self.position:
            raise KeyError(f"unknown id {item_id!r}: not in the index of {len(self)} items")
        return self.query(self.vectors[self.position[key]], k, exclude=key)

    def save(self, folder: str | Path) -> Path:
        """Write ``index.faiss``, ``vectors.npy`` and ``meta.json`` to ``folder``.

        Each file is written under a temporary name and renamed into place, ``meta.json`` last; it
        records the item count, the dimension and the SHA-256 of the other two files, so :meth:`load`
        notices files from different saves or a save that was cut short.
        """
        faiss = _faiss()
        folder = Path(folder)
        with (
            atomic_write(folder / "index.faiss") as index_tmp,
            atomic_write(folder / "vectors.npy", suffix=".npy") as vectors_tmp,
        ):
            faiss.write_index(self.index, str(index_tmp))
            np.save(vectors_tmp, self.vectors)
            meta = {
                "ids": self.ids,
                "kind": self.kind,
                "dim": self.dim,
                "count": len(self.ids),
                "sha256": {"index.faiss": hash_file(index_tmp), "vectors.npy": hash_file(vectors_tmp)},
            }
        with atomic_write(folder / "meta.json") as meta_tmp:  # last: it vouches for the two files above
            meta_tmp.write_text(json.dumps(meta))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> SimilarityIndex:
        """Read an index written by :meth:`save`; files that do not belong together raise ``ValueError``."""
        faiss = _faiss()
        folder = Path(folder)
        for name in ("meta.json", "index.faiss", "vectors.npy"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"no saved index in {folder}: {name} is missing")
        meta = _read_meta(folder / "meta.json")
        for name, digest in meta.get("sha256", {}).items():
            if hash_file(folder / name) != digest:
                raise ValueError(
                    f"{folder / name} is not the file meta.json was saved with (checksum differs): "
                    "files from different saves, or an interrupted save; save the index again"
                )
        self = cls.__new__(cls)
        self.ids, self.kind, self.dim = meta["ids"], meta["kind"], meta["dim"]
        self.position = {i: k for k, i in enumerate(self.ids)}
        self.index = faiss.read_index(str(folder / "index.faiss"))
        self.vectors = np.load(folder / "vectors.npy")
        sizes = {"ids": len(self.ids), "index": self.index.ntotal, "vectors": len(self.vectors)}
        if len(set(sizes.values())) != 1 or self.index.d != self.dim or self.vectors.shape[1] != self.dim:
            raise ValueError(
                f"saved index in {folder} is inconsistent: {sizes}, dims index {self.index.d}, "
                f"vectors {self.vectors.shape[1]}, meta {self.dim}"
            )
        return self


def _read_meta(path: Path) -> dict:
    """``meta.json`` of a saved index; a damaged one raises ``ValueError`` naming the file and what to do."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is damaged ({exc}): save the index again (notebook 14 makes it)") from exc
    missing = [k for k in ("ids", "kind", "dim") if not isinstance(meta, dict) or k not in meta]
    if missing:
        raise ValueError(f"{path} is damaged: it lacks {missing}; save the index again (notebook 14 makes it)")
    return meta
