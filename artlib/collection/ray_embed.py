"""Embed a collection on Ray Data: ``map_batches`` over an actor pool of model replicas, shard by shard.

    with ray_session(workers=2):                      # a local Ray, or the cluster at ARTLIB_RAY_ADDRESS
        run = embed_collection(shard_files("shards/"), card, "embeddings/", workers=2)

Each worker (a Ray actor) builds the network of an :class:`~artlib.retrieval.embedder_card.EmbedderCard` once and
embeds batches of paths read from the shard's Parquet rows; a killed worker is restarted by Ray and its batch done
again. An output shard (``id``, ``embedding``, ``error``) is written whole (a temporary file renamed into place)
and only after its ids were checked against the input shard, so a job stopped at any point resumes with the
shards not written yet, and no painting is lost or embedded twice. The same code runs on a laptop and on a
cluster: ``ray start --head`` on one machine, ``ray start --address HEAD:6379`` on the others, then
``ARTLIB_RAY_ADDRESS=HEAD:6379 artlib-embed ...`` anywhere.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..retrieval.embedder_card import EmbedderCard
from ..utils.files import atomic_write
from ..utils.quiet import quiet_native_output
from .shards import read_ids

log = logging.getLogger(__name__)

#: the variable naming a running Ray cluster to join (``HOST:PORT``); unset: a local Ray on this machine
RAY_ADDRESS_VARIABLE = "ARTLIB_RAY_ADDRESS"


@contextmanager
def ray_session(workers: int = 2, address: str | None = None) -> Iterator[Any]:
    """A Ray connection for the block: the cluster at ``address`` (or ``$ARTLIB_RAY_ADDRESS``), else a local Ray
    with ``workers`` CPUs, shut down when the block ends (one already running is used and left running)."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError("distributed embedding needs Ray: pip install 'artlib[scale]' (ray[data])") from exc
    address = address or os.environ.get(RAY_ADDRESS_VARIABLE) or None
    started = not ray.is_initialized()
    if started:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if not address:
            options["num_cpus"] = workers
        # Ray (2.60) turns token authentication on for a new local cluster and says so on every start (a logged
        # warning, red in a notebook): the default is kept, the notice is not shown
        logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
        with quiet_native_output():  # its start-up notices; a failed start still raises
            ray.init(address=address, **options)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


class ShardEmbedder:
    """One Ray worker: the card's network, built once, embedding batches of ``id, path`` rows."""

    def __init__(self, card: dict, threads: int = 1) -> None:
        import torch

        torch.set_num_threads(threads)
        self.card = EmbedderCard.from_dict(card)
        self.network = self.card.build()
        self.transform = self.card.transform()  # built once per worker, not per batch
        self.ready_at = time.time()  # the clock's time (not perf_counter: the driver reads it in another process)
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        from ..data.images import ImageLoadError, load_rgb
        from ..models import embed_with
        from ..utils.runtime import place_images

        started = time.time()
        tensors: list[Any] = []
        errors: list[str | None] = []
        offsets = batch.get("offset", np.full(len(batch["path"]), -1))  # -1: a file, else a byte range in a tar
        sizes = batch.get("size", np.zeros(len(batch["path"]), dtype=np.int64))
        for path, offset, size in zip(batch["path"], offsets, sizes, strict=True):
            try:
                image = load_rgb(str(path)) if offset < 0 else read_tar_member(str(path), int(offset), int(size))
                tensors.append(self.transform(image=image)["image"])
                errors.append(None)
            except (ImageLoadError, OSError, ValueError) as exc:
                tensors.append(None)
                errors.append(f"unreadable: {exc}"[:300])
        good = [t for t in tensors if t is not None]
        with torch.no_grad():
            vectors = (
                embed_with(self.network, place_images(torch.stack(good), torch.device("cpu"))).float().numpy()
                if good
                else np.zeros((0, 0))
            )
        width = vectors.shape[1] if good else 0
        out = np.zeros((len(tensors), width), dtype=np.float32)
        out[[i for i, t in enumerate(tensors) if t is not None]] = vectors
        return {
            "id": np.asarray(batch["id"]).astype(str),
            "shard": np.asarray(batch["shard"]).astype(str),
            "embedding": out,
            "error": np.asarray(errors, dtype=object),
            # when: this worker was ready, this batch began and ended (EmbedRun's rates)
            **_timing(self.name, self.ready_at, started, time.time(), len(tensors)),
        }


#: the columns a worker adds to each batch to say when it worked (the driver takes them off before writing)
TIMING = ("worker", "ready_at", "started_at", "done_at")


def _timing(worker: str, ready_at: float, started_at: float, done_at: float, rows: int) -> dict[str, np.ndarray]:
    values = (worker, ready_at, started_at, done_at)
    return {name: np.full(rows, value) for name, value in zip(TIMING, values, strict=True)}


def read_tar_member(tar: str, offset: int, size: int) -> np.ndarray:
    """The image whose bytes lie at ``offset`` (``size`` bytes) in the tar shard ``tar``, decoded as RGB."""
    from ..data.images import decode_rgb

    with open(tar, "rb") as handle:
        data = os.pread(handle.fileno(), size, offset)
    if len(data) != size:
        raise OSError(f"{tar} is truncated: {size} bytes wanted at {offset}, {len(data)} read")
    return decode_rgb(data, f"{tar} at byte {offset}")


@dataclass(frozen=True)
class BatchTime:
    """When one batch was embedded: its worker, that worker's ready time, the batch's start and end (seconds after
    the call began) and its rows."""

    worker: str
    ready: float
    started: float
    done: float
    rows: int


@dataclass
class EmbedRun:
    """What one :func:`embed_collection` call did: shards embedded, shards found already done, images, seconds, and
    when its first pool's workers worked (:class:`BatchTime`; start-up: the seconds until its first worker was
    ready, its process started, torch imported, the network built)."""

    embedded_shards: list[str] = field(default_factory=list)
    skipped_shards: list[str] = field(default_factory=list)
    images: int = 0
    unreadable: int = 0
    seconds: float = 0.0
    batch_times: list[BatchTime] = field(default_factory=list)

    @property
    def start_up_seconds(self) -> float | None:
        """Seconds from the call's start to its first worker ready; None when no worker said when it was ready."""
        return max(0.0, min(b.ready for b in self.batch_times)) if self.batch_times else None

    @property
    def images_per_second(self) -> float | None:
        """Paintings embedded per second by this call, start-up included; None when it embedded none."""
        return self.images / self.seconds if self.images and self.seconds else None

    @property
    def steady_images_per_second(self) -> float | None:
        """Paintings (readable or not) per second once the pool works: all of them over the time from the first
        worker ready to the end. With several workers a later one's start-up and the last batches' tail still
        count (conservative). None when no worker said when it was ready."""
        start_up = self.start_up_seconds
        if start_up is None:
            return None
        rows, seconds = self.images + self.unreadable, self.seconds - start_up
        return rows / seconds if rows > 0 and seconds > 0 else None

    @property
    def busy_images_per_second(self) -> float | None:
        """Paintings per second while every worker of the first pool was working: from the last worker ready to
        the first that ran out of work, counting the batches wholly inside that window (the parts of batches at
        its edges are left out: conservative). The rate of a long run, where start-up and tail are a rounding.
        None when the window holds no whole batch."""
        if not self.batch_times:
            return None
        ready: dict[str, float] = {}
        last: dict[str, float] = {}
        for batch in self.batch_times:
            ready[batch.worker] = min(ready.get(batch.worker, batch.ready), batch.ready)
            last[batch.worker] = max(last.get(batch.worker, batch.done), batch.done)
        begin, end = max(ready.values()), min(last.values())
        rows = sum(b.rows for b in self.batch_times if b.started >= begin and b.done <= end)
        return rows / (end - begin) if rows and end > begin else None

    def note_batches(self, timing: pd.DataFrame, began: float) -> None:
        """Add the batches of a frame of :data:`TIMING` columns (one row per painting, clock times) of a call that
        began at clock time ``began``."""
        for (worker, started), rows in timing.groupby(["worker", "started_at"], sort=False):
            first = rows.iloc[0]
            ready, done = float(first["ready_at"]) - began, float(first["done_at"]) - began
            self.batch_times.append(BatchTime(str(worker), ready, float(started) - began, done, len(rows)))

    def summary(self) -> str:
        """One line: what this call embedded, and what it found already done."""
        done = f"; {len(self.skipped_shards)} shards already embedded (resumed)" if self.skipped_shards else ""
        if not self.embedded_shards:
            return f"nothing to embed: all {len(self.skipped_shards)} shards were already embedded (resumed)"
        steady, busy = self.steady_images_per_second, self.busy_images_per_second
        after = f", {steady:.1f} once the workers had started" if steady else ""
        after += f", {busy:.1f} while all were busy" if busy else ""
        return (
            f"{self.images:,} paintings in {len(self.embedded_shards)} shards, {self.seconds:.1f} s "
            f"({self.images_per_second or 0:.1f} per second{after}), {self.unreadable} unreadable{done}"
        )


#: the card of the model an output folder's embeddings were made with
CARD_FILE = "embedder.json"


def claim_output(out: Path, card: EmbedderCard) -> None:
    """Make ``out`` the output of ``card``'s embeddings: shards written there by another model (or by an artlib
    that did not record one) are removed with a warning, so a resumed run never mixes two models' vectors."""
    from .shards import SHARD_GLOB

    wanted, path = card.to_dict(), out / CARD_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except ValueError:
        found = None
    if found == wanted:
        return
    stale = sorted(out.glob(SHARD_GLOB))
    if stale:
        said = (  # a damaged card (not JSON, not an object, fields missing) names no model
            f"another model ({found['model']} at {found['image_size']} px)"
            if isinstance(found, dict) and {"model", "image_size"} <= found.keys()
            else "an unknown model"
        )
        log.warning("%s holds %d shards embedded by %s: embedding them again with %s", out, len(stale), said,
                    card.model)  # fmt: skip
        for shard in stale:
            shard.unlink()
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(wanted, indent=1), encoding="utf-8")


def shard_done(shard: Path, out: Path) -> bool:
    """Whether ``out`` holds the whole output of ``shard`` (the same ids, each once)."""
    done = out / shard.name
    if not done.is_file():
        return False
    try:
        written = read_ids(done)
    except Exception:  # noqa: BLE001  (a damaged file is redone, not trusted)
        return False
    return not written.duplicated().any() and set(written) == set(read_ids(shard))


def _write_shard(frame: pd.DataFrame, listed: pd.Series, path: Path) -> None:
    """``frame`` as the output shard ``path``, after checking its ids against the ``listed`` ones."""
    import pyarrow as pa

    frame = frame.drop_duplicates("id", keep="first")  # a batch retried after its worker died is kept once
    missing = sorted(set(listed) - set(frame["id"]))
    if missing or len(frame) != len(listed):
        raise RuntimeError(f"{path.name}: {len(missing)} ids missing after embedding (e.g. {missing[:3]})")
    frame = frame.set_index("id").loc[listed.tolist()].reset_index()  # the input shard's order
    vectors = np.stack(frame["embedding"].to_numpy()).astype(np.float32)
    table = pa.table(
        {
            "id": pa.array(frame["id"].astype(str)),
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1]),
            "error": pa.array(frame["error"].where(frame["error"].notna(), None).tolist(), type=pa.string()),
        }
    )
    import pyarrow.parquet as pq

    with atomic_write(path, suffix=".parquet") as tmp:
        pq.write_table(table, tmp)


def embed_collection(
    shards: Sequence[Path],
    card: EmbedderCard,
    out: str | Path,
    workers: int = 2,
    batch_size: int = 32,
    threads_per_worker: int = 1,
    gpus_per_worker: float = 0.0,
    progress: bool = True,
    worker: type[ShardEmbedder] = ShardEmbedder,
    shards_per_pool: int = 64,
) -> EmbedRun:
    """Embed every shard not yet in ``out`` on an actor pool of ``workers`` replicas (in the running Ray session:
    :func:`ray_session`), writing ``out/<shard name>`` for each as soon as all its paintings are back; returns
    what was done. One pool serves ``shards_per_pool`` shards at a time (its workers build the network once for
    all of them; the driver holds their rows). ``worker``: the actor class (a :class:`ShardEmbedder` subclass that
    embeds otherwise)."""
    from tqdm.auto import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    claim_output(out, card)  # shards of another model are embedded again, never mixed in
    run, started, began = EmbedRun(), time.perf_counter(), time.time()
    pending = [shard for shard in shards if not shard_done(shard, out)]
    run.skipped_shards = [shard.name for shard in shards if shard not in pending]
    if run.skipped_shards:
        log.info("%d of %d shards already embedded in %s: resuming", len(run.skipped_shards), len(shards), out)
    bar = tqdm(total=len(pending), desc="shards", disable=not progress)
    for first in range(0, len(pending), shards_per_pool):
        window = pending[first : first + shards_per_pool]
        returned = _embed_window(
            window, card, worker, workers, batch_size, threads_per_worker, gpus_per_worker, quiet=not progress,
            on_batch=(lambda timing: run.note_batches(timing, began)) if first == 0 else (lambda _: None),
        )  # fmt: skip
        for name, embedded, listed in returned:
            _write_shard(embedded, listed, out / name)
            failed = int(embedded.drop_duplicates("id")["error"].notna().sum())
            if failed:
                log.warning("%s: %d unreadable images (listed with their error)", name, failed)
            run.embedded_shards.append(name)
            run.images += len(listed) - failed
            run.unreadable += failed
            bar.update(1)
    bar.close()
    run.seconds = time.perf_counter() - started
    return run


def _shard_rows(shard: Path) -> pd.DataFrame:
    """What the workers need of an input shard: ``id``, ``path`` (and a tar member's ``offset``, ``size``)."""
    import pyarrow.parquet as pq

    in_tar = {"offset", "size"} <= set(pq.read_schema(shard).names)
    rows = pd.read_parquet(shard, columns=["id", "path", *(["offset", "size"] if in_tar else [])])
    rows[["id", "path"]] = rows[["id", "path"]].astype(str)
    if not in_tar:  # image files: no byte range
        rows["offset"], rows["size"] = -1, 0
    return rows.assign(shard=shard.name)


def _embed_window(
    shards: Sequence[Path],
    card: EmbedderCard,
    worker: type[ShardEmbedder],
    workers: int,
    batch_size: int,
    threads: int,
    gpus: float,
    quiet: bool,
    on_batch: Callable[[pd.DataFrame], None] = lambda timing: None,
) -> Iterator[tuple[str, pd.DataFrame, pd.Series]]:
    """``(shard name, its embedded rows, its listed ids)`` for each of ``shards``, as soon as its last painting is
    back from one actor pool that serves them all (a retried batch's rows may come twice: the writer keeps one)."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # one bar over shards instead of one per operator
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # not three lines per shard in a notebook
    rows = pd.concat([_shard_rows(s) for s in shards], ignore_index=True)
    listed = {name: part["id"] for name, part in rows.groupby("shard", sort=False)}
    waiting = {name: set(ids) for name, ids in listed.items()}
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in listed}
    # the rows go in from the driver: a read task would wait for a CPU that the workers hold
    wanted = max(workers, min(4 * workers * len(shards), math.ceil(len(rows) / batch_size)))
    blocks = np.array_split(np.arange(len(rows)), max(1, min(wanted, len(rows))))
    embedded = ray.data.from_pandas([rows.iloc[b] for b in blocks if len(b)]).map_batches(
        worker,
        fn_constructor_kwargs={"card": card.to_dict(), "threads": threads},
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=threads,
        num_gpus=gpus,
    )  # Ray Data restarts a killed worker and retries its batch (its actors' default)
    with quiet_native_output() if quiet else contextlib.nullcontext():  # Ray's native notices stay out of a notebook
        for batch in embedded.iter_batches(batch_format="pandas", batch_size=None):
            assert isinstance(batch, pd.DataFrame)
            if set(TIMING) <= set(batch.columns):  # when its worker worked (a worker of artlib's)
                on_batch(batch[list(TIMING)])
                batch = batch.drop(columns=list(TIMING))
            for name, part in batch.groupby("shard", sort=False):
                if name not in waiting:  # already written: a retried batch's second copy
                    continue
                parts[name].append(part.drop(columns="shard"))
                waiting[name] -= set(part["id"])
                if not waiting[name]:
                    del waiting[name]
                    yield name, pd.concat(parts.pop(name), ignore_index=True), listed[name]
    if waiting:
        missing = {name: len(ids) for name, ids in waiting.items()}
        raise RuntimeError(f"paintings missing after embedding, by shard: {missing}")


def read_embeddings(out: str | Path, shards: Sequence[Path] | None = None) -> tuple[list[str], np.ndarray]:
    """The ids and ``(n, dim)`` float32 embeddings of every embedded (readable) painting in ``out``, shard by shard."""
    from .shards import SHARD_GLOB

    files = [Path(out) / s.name for s in shards] if shards is not None else sorted(Path(out).glob(SHARD_GLOB))
    ids, blocks = [], []
    for path in files:
        frame = pd.read_parquet(path)
        frame = frame[frame["error"].isna()]
        ids += frame["id"].astype(str).tolist()
        blocks.append(np.stack(frame["embedding"].to_numpy()).astype(np.float32) if len(frame) else None)
    kept = [b for b in blocks if b is not None]
    return ids, (np.concatenate(kept) if kept else np.zeros((0, 0), dtype=np.float32))
