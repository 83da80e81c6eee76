"""Search millions of paintings: a FAISS IVF-PQ index trained on a sample, filled shard by shard, kept on disk.

    params = choose_params(n=1_000_000, dim=1280, memory_mb=1024)       # autofaiss-style, for a memory budget
    index = DiskIndex.build(sample, shards, params, "index/")             # shards: (ids, vectors) one at a time
    index.tune(queries, exact_ids, target_recall=0.9)                     # nprobe chosen on validation queries
    index.search(vectors, k=10)                                           # (similarities, ids)
    DiskIndex.load("index/")                                              # memory-mapped inverted lists

The vectors are unit-normalised (cosine similarity). ``choose_params`` follows autofaiss's rules of thumb: an
PCA rotation to a smaller width (a random rotation after it balances the PQ's sub-spaces; OPQ's learnt one took
minutes to train), ``nlist`` about ``4 sqrt(n)`` coarse cells, found through an HNSW graph of the cells' centres
once there are :data:`HNSW_FROM` of them (a flat quantizer compares every painting added with every centre: at
10M paintings and 16,384 cells that is most of the build), and the largest PQ code (bytes per painting) whose
codes and ids fit the memory budget. Each shard is encoded into its own index file beside the
trained one, and the shards' inverted lists are merged into one ``OnDiskInvertedLists`` file
(``faiss.contrib.ondisk``): the codes stay on disk and are paged in as queries touch them, so 10M paintings need
disk, not memory. ``nprobe`` (cells visited per query) is tuned on held-out queries against exact search for a
recall target. PQ distances alone cap recall@10 (about 0.7 for 16-byte codes of 64 dims): ``rerank`` times ``k``
candidates are re-ranked by their exact cosine with the unit vectors kept on disk in float16 (``vectors.f16``: a
query reads only its candidates' rows), and its hits' ids are looked up in a memory-mapped Arrow file
(``ids.arrow``: 10M ids read whole took 1 GB or more). A ``card.json`` records the parameters, the count and the
recall measured.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..utils.arrow_file import map_one_batch, write_one_batch
from ..utils.files import atomic_write
from ..utils.quiet import quiet_native_output
from .index import _faiss, checked_queries, normalize

log = logging.getLogger(__name__)

#: bytes per painting a PQ code may take (FAISS's fast PQ sizes)
CODE_SIZES = (8, 16, 24, 32, 48, 64, 96, 128)
#: bytes a stored id takes in an inverted list
ID_BYTES = 8
#: the ids by position, memory-mapped for lookups (Arrow IPC; ``ids.parquet`` beside it is the record)
IDS_ARROW = "ids.arrow"
NPROBES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
#: the number of cells from which their centres are searched through an HNSW graph (autofaiss's ``IVF..._HNSW32``)
HNSW_FROM = 8192
#: neighbours per node of that graph
HNSW_LINKS = 32
#: the HNSW graph's candidate list when it assigns a painting to its cell (FAISS's default, 16, misplaces some)
HNSW_EF_ADD = 64


@dataclass
class IndexParams:
    """An IVF-PQ index's shape: a PCA rotation to ``width`` dims, ``nlist`` cells (their centres searched through
    an HNSW graph of ``hnsw`` links per node, or compared one by one when 0), ``m``-byte codes (``width / m`` dims
    each), and ``nprobe`` cells visited at search."""

    nlist: int
    m: int
    width: int
    nprobe: int = 16
    #: candidates per neighbour re-ranked exactly with the stored vectors (0: the PQ distances as they are)
    rerank: int = 10
    hnsw: int = 0

    @property
    def factory(self) -> str:
        """The FAISS factory string of the index."""
        quantizer = f"_HNSW{self.hnsw}" if self.hnsw else ""
        return f"PCAR{self.width},IVF{self.nlist}{quantizer},PQ{self.m}"

    def memory_bytes(self, n: int, dim: int) -> int:
        """What ``n`` paintings take in memory when every list is paged in: codes and ids, the coarse centroids
        (with their graph's links), and the rotation."""
        links = self.nlist * 2 * self.hnsw * 4 if self.hnsw else 0
        return n * (self.m + ID_BYTES) + self.nlist * self.width * 4 + links + dim * self.width * 4


def choose_params(n: int, dim: int, memory_mb: float = 1024, max_code: int = 64) -> IndexParams:
    """The parameters of an index for ``n`` vectors of width ``dim`` within ``memory_mb`` (autofaiss's rules of
    thumb): ``nlist`` the power of two nearest ``4 sqrt(n)`` (16 to 65,536, and at most ``n / 39`` so that every
    cell trains on 39 points), an HNSW graph over the cells from :data:`HNSW_FROM` of them, the largest code of at
    most ``max_code`` bytes (and ``dim / 4``: four dims a sub-quantizer at least) that fits, and a PCA to ``4 m``
    dims."""
    if n < 1 or dim < 1:
        raise ValueError(f"an index needs vectors: got n={n}, dim={dim}")
    nlist = 2 ** round(math.log2(max(4 * math.sqrt(n), 16)))
    nlist = int(max(1, min(nlist, 65_536, 2 ** int(math.log2(max(1, n // 39))))))
    budget = memory_mb * 2**20
    hnsw = HNSW_LINKS if nlist >= HNSW_FROM else 0
    for m in sorted((c for c in CODE_SIZES if c <= min(max_code, max(8, dim // 4))), reverse=True):
        width = min(dim, 4 * m)
        width -= width % m
        params = IndexParams(nlist, m, max(width, m), hnsw=hnsw)
        if params.memory_bytes(n, dim) <= budget:
            return params
    raise ValueError(f"{n} vectors of width {dim} do not fit in {memory_mb} MB even with 8-byte codes")


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """The share of each query's ``k`` exact neighbours (rows of ``exact``) that ``found`` also returns."""
    found, exact = np.asarray(found), np.asarray(exact)
    hits = [len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact, strict=True)]
    return float(np.sum(hits) / exact.size) if exact.size else float("nan")


class NearestSoFar:
    """The ``k`` exact cosine neighbours of each query among the shards shown to :meth:`update` so far: the truth
    an approximate index is measured against, gathered one shard in memory at a time (so a benchmark can gather
    it while the shards go into the index)."""

    def __init__(self, queries: np.ndarray, k: int = 10) -> None:
        self.queries, self.k = normalize(queries), int(k)
        self.sims = np.full((len(self.queries), 0), -np.inf, dtype=np.float32)
        self.ids = np.zeros((len(self.queries), 0), dtype=object)

    def update(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        sims = np.concatenate([self.sims, self.queries @ normalize(vectors).T], axis=1)
        names = np.concatenate([self.ids, np.tile(np.asarray(ids, dtype=object), (len(self.queries), 1))], axis=1)
        if sims.shape[1] > self.k:  # the k best of each row, then in order: a full sort of 100k columns is slow
            best = np.argpartition(-sims, self.k - 1, axis=1)[:, : self.k]
            sims, names = np.take_along_axis(sims, best, 1), np.take_along_axis(names, best, 1)
        order = np.argsort(-sims, axis=1, kind="stable")[:, : self.k]
        self.sims, self.ids = np.take_along_axis(sims, order, 1), np.take_along_axis(names, order, 1)


def exact_neighbours(
    queries: np.ndarray, shards: Iterable[tuple[Sequence[str], np.ndarray]], k: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` exact cosine neighbours of each query over every shard (similarities, ids), one shard in memory
    at a time (:class:`NearestSoFar`)."""
    nearest = NearestSoFar(queries, k)
    for ids, vectors in shards:
        nearest.update(ids, vectors)
    return nearest.sims, nearest.ids


def write_ids(folder: Path, ids: Any) -> None:
    """Write ``folder/ids.arrow``: the ids as one uncompressed Arrow array (64-bit offsets) in an IPC file, which
    :class:`DiskIndex` maps into memory and reads id by id (``ids.parquet`` stays the record other tools read)."""
    import pyarrow as pa

    array = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else pa.array(ids)
    write_one_batch(folder / IDS_ARROW, pa.table({"id": array.cast(pa.large_string())}))


def _no_table() -> int:
    """FAISS's read flag that skips an IVF-PQ's precomputed distance table: ``nlist x m x 256`` floats (1 GB at
    16,384 cells of 64-byte codes, 268 MB at 4,096) that saves a query about 0.1 ms of the tables it computes for
    its few cells (2026-12-07, 10M: 1.36 ms against 1.27 per query, the same neighbours)."""
    return int(getattr(_faiss(), "IO_FLAG_SKIP_PRECOMPUTE_TABLE", 0))


def _set_hnsw_ef(ivf: Any, ef: int) -> None:
    """Set the candidate list of an IVF index's HNSW quantizer (nothing for a flat one)."""
    quantizer = _faiss().downcast_index(ivf.quantizer)
    if hasattr(quantizer, "hnsw"):
        quantizer.hnsw.efSearch = int(ef)


@dataclass
class IndexCard:
    """What a saved :class:`DiskIndex` is: its parameters, size, width, and what was measured on it."""

    params: dict
    count: int
    dim: int
    shards: int
    measured: dict = field(default_factory=dict)
    embedder: dict | None = None  # the EmbedderCard of its vectors, when known


class DiskIndex:
    """An IVF-PQ index whose inverted lists live on disk, with the ids of its paintings."""

    def __init__(self, index: Any, ids: np.ndarray | None, card: IndexCard, folder: Path) -> None:
        self.index, self.card, self.folder = index, card, folder
        self._ids = ids  # all of them (after a build), else looked up in ids.arrow when first needed
        self._mapped_ids: Any = None  # ids.arrow memory-mapped: a lookup reads only the pages of its ids
        self.set_nprobe(IndexParams(**card.params).nprobe)
        # read row by row (pread), not memory-mapped: a mapping pulls in the pages around each row, so 10,000
        # scattered rows of a cached file mapped 1.6 GB into the process
        self._stored = open(folder / "vectors.f16", "rb")  # noqa: SIM115  (kept open while the index lives)
        self._row_bytes = 2 * card.dim

    def stored_vectors(self, positions: np.ndarray) -> np.ndarray:
        """The float16 unit vectors at ``positions`` (a 1-D array), read from ``vectors.f16``."""
        fd, size = self._stored.fileno(), self._row_bytes
        offsets = [int(p) * size for p in positions]
        if hasattr(os, "posix_fadvise"):  # ask for every row first, so the disk reads them side by side: on a cold
            for offset in offsets:  # cache, 90 rows of a 1M index took 6.7 ms instead of 16 (2026-12-06)
                os.posix_fadvise(fd, offset, size, os.POSIX_FADV_WILLNEED)
        rows = [os.pread(fd, size, offset) for offset in offsets]
        return np.frombuffer(b"".join(rows), dtype=np.float16).reshape(len(rows), self.card.dim)

    def files_read_by_queries(self) -> list[Path]:
        """The files a search reads pieces of: the inverted lists, then the stored vectors of its re-ranking."""
        return [self.folder / "lists.ivfdata", self.folder / "vectors.f16"]

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def params(self) -> IndexParams:
        """The index's parameters (its FAISS factory string: ``params.factory``)."""
        return IndexParams(**self.card.params)

    @property
    def ids(self) -> np.ndarray:
        """Every painting's id, by position, read into memory (10M ids: about 1 GB; :meth:`ids_at` reads only
        those asked for)."""
        if self._ids is None:
            self._ids = self._id_column().to_numpy(zero_copy_only=False).astype(np.str_)
        return self._ids

    def ids_at(self, positions: np.ndarray) -> np.ndarray:
        """The ids at ``positions`` (any shape; ``""`` where a position is -1, "none found")."""
        positions = np.asarray(positions, dtype=np.int64)
        flat = np.clip(positions, 0, None).ravel()
        if self._ids is not None:
            names = self._ids[flat]
        else:
            import pyarrow as pa

            names = self._id_column().take(pa.array(flat)).to_numpy(zero_copy_only=False).astype(np.str_)
        return np.where(positions >= 0, names.reshape(positions.shape), "")

    def _id_column(self) -> Any:
        """The ``id`` column of ``ids.arrow`` (Arrow IPC, memory-mapped), written from ``ids.parquet`` the first
        time an index built before it existed (or whose copy is damaged) is asked for an id."""
        import pyarrow.parquet as pq

        if self._mapped_ids is None:
            path = self.folder / IDS_ARROW

            def mapped() -> Any:  # the one array of the file, None when it is missing, damaged or another's
                batch = map_one_batch(path, self.card.count, ["id"])
                return None if batch is None else batch.column("id")

            array = mapped()
            if array is None:
                write_ids(self.folder, pq.read_table(self.folder / "ids.parquet", columns=["id"]).column("id"))
                array = mapped()
            if array is None:
                raise ValueError(f"the ids of {self.folder} cannot be read: build the index again")
            self._mapped_ids = array
        return self._mapped_ids

    def set_nprobe(self, nprobe: int) -> None:
        """Visit ``nprobe`` cells per query (an HNSW quantizer's candidate list grows with it)."""
        ivf = _faiss().extract_index_ivf(self.index)
        ivf.nprobe = int(nprobe)
        _set_hnsw_ef(ivf, max(2 * int(nprobe), HNSW_EF_ADD))
        self.card.params["nprobe"] = int(nprobe)

    @classmethod
    def build(
        cls,
        sample: np.ndarray,
        shards: Iterable[tuple[Sequence[str], np.ndarray]],
        params: IndexParams,
        folder: str | Path,
        embedder: dict | None = None,
        seed: int = 0,
    ) -> DiskIndex:
        """Train on ``sample`` (a few hundred thousand vectors at most are used), encode each ``(ids, vectors)``
        shard into its own file, merge them into ``folder/lists.ivfdata`` and write ``folder``'s index, ids and
        card."""
        faiss = _faiss()
        from faiss.contrib.ondisk import merge_ondisk

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        sample = normalize(sample)
        dim = sample.shape[1]
        needed = max(params.nlist, 256)  # a cell each, and a PQ sub-quantizer's 256 centroids
        if len(sample) < needed:
            raise ValueError(
                f"{len(sample)} training vectors for {params.nlist} cells and 256-centroid codes: give at least "
                f"{needed}"
            )
        rng = np.random.default_rng(seed)
        used = sample[rng.choice(len(sample), min(len(sample), 256 * params.nlist, 300_000), replace=False)]
        trained = faiss.index_factory(dim, params.factory)
        if len(used) < 39 * max(params.nlist, 256):
            log.info("training on %d vectors; FAISS asks for 39 per centroid (coarser codes with fewer)", len(used))
        with quiet_native_output():  # FAISS prints a warning per sub-quantizer to stderr
            trained.train(used)
        _set_hnsw_ef(faiss.extract_index_ivf(trained), HNSW_EF_ADD)  # kept in the file the shards are added with
        empty = folder / "trained.index"
        faiss.write_index(trained, str(empty))
        parts, ids, offset = [], [], 0
        stored = open(folder / "vectors.f16", "wb")  # noqa: SIM115  (appended shard by shard, closed below)
        for number, (shard_ids, vectors) in enumerate(shards):
            vectors = normalize(vectors)
            if vectors.shape[1] != dim:
                raise ValueError(f"shard {number} has width {vectors.shape[1]}, the sample {dim}")
            stored.write(vectors.astype(np.float16).tobytes())
            part = faiss.read_index(str(empty), _no_table())
            part.add_with_ids(vectors, np.arange(offset, offset + len(vectors), dtype=np.int64))
            path = folder / f"part-{number:05d}.index"
            faiss.write_index(part, str(path))
            parts.append(str(path))
            ids.append(np.asarray(shard_ids, dtype=object).astype(str))
            offset += len(vectors)
        stored.close()
        if not parts:
            raise ValueError("no shards to index")
        merged = faiss.read_index(str(empty), _no_table())
        with quiet_native_output():  # "resizing lists.ivfdata to ..."
            merge_ondisk(merged, parts, str(folder / "lists.ivfdata"))
        merged.ntotal = faiss.extract_index_ivf(merged).ntotal = offset
        faiss.write_index(merged, str(folder / "index.faiss"))
        for part_path in parts:
            Path(part_path).unlink()
        empty.unlink()
        all_ids = np.concatenate(ids)
        if len(set(all_ids)) != len(all_ids):
            raise ValueError("ids must be unique across shards")
        pd.DataFrame({"id": all_ids}).to_parquet(folder / "ids.parquet", index=False)
        write_ids(folder, all_ids)
        card = IndexCard(asdict(params), offset, dim, len(parts), embedder=embedder)
        with quiet_native_output():
            out = cls(faiss.read_index(str(folder / "index.faiss"), _no_table()), all_ids, card, folder)
        out.save_card()
        return out

    def save_card(self) -> None:
        with atomic_write(self.folder / "card.json") as tmp:
            tmp.write_text(json.dumps(asdict(self.card), indent=1))

    @classmethod
    def load(cls, folder: str | Path) -> DiskIndex:
        """The index of ``folder``: its lists memory-mapped from ``lists.ivfdata``, not read into memory."""
        faiss = _faiss()
        folder = Path(folder)
        for name in ("card.json", "index.faiss", "ids.parquet", "lists.ivfdata", "vectors.f16"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"no saved disk index in {folder}: {name} is missing")
        try:
            card = IndexCard(**json.loads((folder / "card.json").read_text(encoding="utf-8")))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{folder / 'card.json'} is damaged ({exc}): build the index again") from exc
        with quiet_native_output():  # "IO_FLAG_ONDISK_SAME_DIR: updating ondisk filename ..."
            index = faiss.read_index(str(folder / "index.faiss"), faiss.IO_FLAG_ONDISK_SAME_DIR | _no_table())
        import pyarrow.parquet as pq

        ids = pq.read_metadata(folder / "ids.parquet").num_rows  # the ids themselves are read when needed
        stored = (folder / "vectors.f16").stat().st_size // (2 * max(card.dim, 1))
        if len({index.ntotal, ids, card.count, stored}) != 1 or index.d != card.dim:
            raise ValueError(
                f"the disk index in {folder} is inconsistent: {index.ntotal} vectors, {ids} ids, {stored} stored "
                f"vectors, card {card.count} x {card.dim}: build it again"
            )
        return cls(index, None, card, folder)

    def search(self, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities, ids)`` of the ``k`` nearest paintings of each query row (approximate cosine)."""
        sims, positions = self.search_positions(queries, k)
        return sims, self.ids_at(positions)

    def search_positions(self, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities, positions)``: as :meth:`search`, with each painting's position (-1: none found)."""
        queries = checked_queries(queries, k, self.card.dim)
        rerank = int(self.card.params.get("rerank", 0))
        distances, positions = self.index.search(queries, min(k * max(rerank, 1), len(self)))
        sims = (1 - distances / 2).astype(np.float32)  # squared L2 of unit vectors -> cosine
        if rerank:
            rows = np.clip(positions, 0, None)
            stored = self.stored_vectors(rows.reshape(-1)).reshape(*rows.shape, -1).astype(np.float32)
            exact = np.einsum("qcd,qd->qc", stored, queries)
            sims = np.where(positions >= 0, exact.astype(np.float32), -np.inf)
            order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
            sims, positions = np.take_along_axis(sims, order, 1), np.take_along_axis(positions, order, 1)
        return sims, positions

    def measure(self, queries: np.ndarray, exact_ids: np.ndarray, k: int = 10) -> dict[str, float]:
        """Recall@k against ``exact_ids`` and the mean milliseconds per query (one query at a time, as a page
        asks), at the current ``nprobe``."""
        started = time.perf_counter()
        found = np.stack([self.search(q[None], k)[1][0] for q in queries])
        seconds = time.perf_counter() - started
        return {"recall": recall_at_k(found, exact_ids[:, :k]), "ms_per_query": 1000 * seconds / len(queries)}

    def tune(self, queries: np.ndarray, exact_ids: np.ndarray, k: int = 10, target_recall: float = 0.9) -> pd.DataFrame:
        """Measure each ``nprobe`` of :data:`NPROBES` (up to ``nlist``) on held-out ``queries`` and keep the
        smallest that reaches ``target_recall`` (else the one of highest recall); the card records both."""
        nlist = self.card.params["nlist"]
        rows = {}
        for nprobe in [p for p in NPROBES if p <= nlist]:
            self.set_nprobe(nprobe)
            rows[nprobe] = self.measure(queries, exact_ids, k)
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("nprobe")
        reached = table[table["recall"] >= target_recall]
        chosen = int(reached.index[0] if len(reached) else table["recall"].idxmax())
        self.set_nprobe(chosen)
        self.card.measured = {"k": k, "target_recall": target_recall, "queries": len(queries), **rows[chosen]}
        self.save_card()
        return table
