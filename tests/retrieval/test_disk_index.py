import json
import math

import faiss
import numpy as np
import pytest

from artlib.retrieval.disk_index import DiskIndex, IndexParams, choose_params, exact_neighbours, recall_at_k


def _clustered(n, dim=32, seed=0, centres=64):
    rng = np.random.default_rng(seed)
    middle = np.random.default_rng(99).normal(size=(centres, dim))
    return (middle[rng.integers(0, centres, n)] + 0.5 * rng.normal(size=(n, dim))).astype(np.float32)


def _shards(n_shards=3, per=1500, dim=32):
    return [([f"s{s}-{i}" for i in range(per)], _clustered(per, dim, seed=s)) for s in range(n_shards)]


def test_params_follow_the_rules_of_thumb_and_the_memory_budget():
    p = choose_params(1_000_000, 1280, memory_mb=1024)
    assert p.nlist == 4096 and p.m == 64 and p.width == 256 and p.factory == "PCAR256,IVF4096,PQ64"
    assert p.memory_bytes(1_000_000, 1280) <= 1024 * 2**20 and p.hnsw == 0
    ten = choose_params(10_000_000, 1280, memory_mb=1024)  # 16,384 cells: their centres searched through a graph
    assert ten.nlist == 16384 and ten.hnsw == 32 and ten.factory == "PCAR256,IVF16384_HNSW32,PQ64"
    assert ten.memory_bytes(10_000_000, 1280) <= 1024 * 2**20
    tight = choose_params(10_000_000, 1280, memory_mb=300)
    assert tight.memory_bytes(10_000_000, 1280) <= 300 * 2**20 and tight.m < 64
    small = choose_params(2_000, 32)
    assert small.nlist <= 2_000 // 39 and math.log2(small.nlist).is_integer() and small.width % small.m == 0
    with pytest.raises(ValueError, match="do not fit"):
        choose_params(10_000_000, 1280, memory_mb=50)
    with pytest.raises(ValueError, match="needs vectors"):
        choose_params(0, 32)


def test_exact_neighbours_over_shards_are_the_brute_force_ones():
    shards = _shards(2, 300)
    queries = _clustered(20, seed=9)
    sims, ids = exact_neighbours(queries, shards, k=5)
    everything = np.concatenate([v for _, v in shards])
    names = np.concatenate([np.asarray(i) for i, _ in shards])
    unit = everything / np.linalg.norm(everything, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    truth = np.argsort(-(q @ unit.T), axis=1)[:, :5]
    assert (ids == names[truth]).all() and np.allclose(sims[:, 0], (q @ unit.T).max(1), atol=1e-5)
    assert recall_at_k(ids, ids) == 1.0 and recall_at_k(ids[:, :1], ids[:, 1:2]) == 0.0


def test_exact_neighbours_hold_across_shards_smaller_than_k():
    shards = [([f"a{i}" for i in range(3)], _clustered(3, seed=1)), ([f"b{i}" for i in range(400)], _clustered(400))]
    queries = _clustered(15, seed=4)
    sims, ids = exact_neighbours(queries, shards, k=10)
    names = np.concatenate([np.asarray(i) for i, _ in shards])
    unit = np.concatenate([v for _, v in shards])
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    truth = -np.sort(-(q @ unit.T), axis=1)[:, :10]
    assert np.allclose(sims, truth, atol=1e-5) and ids.shape == (15, 10) and set(ids.ravel()) <= set(names)


@pytest.mark.parametrize("hnsw", [0, 16])
def test_an_index_built_by_shard_reaches_its_recall_on_disk_and_reloads(tmp_path, hnsw):
    shards = _shards()
    params = IndexParams(nlist=32, m=8, width=32, hnsw=hnsw)  # hnsw: the cells' centres searched through a graph
    index = DiskIndex.build(np.concatenate([v for _, v in shards]), shards, params, tmp_path / "ix")
    assert len(index) == 4500 and {p.name for p in (tmp_path / "ix").iterdir()} == {
        "card.json", "index.faiss", "ids.parquet", "ids.arrow", "lists.ivfdata", "vectors.f16"
    }  # fmt: skip
    queries = _clustered(100, seed=7)
    _, exact = exact_neighbours(queries, shards, k=10)
    table = index.tune(queries, exact, k=10, target_recall=0.9)
    chosen = index.card.params["nprobe"]
    assert table.loc[chosen, "recall"] >= 0.9 and (table.loc[: chosen - 1, "recall"] < 0.9).all()
    again = DiskIndex.load(tmp_path / "ix")
    assert again.card.params["nprobe"] == chosen and again.card.measured["recall"] >= 0.9
    assert again.params.factory.endswith(f"IVF32{'_HNSW16' if hnsw else ''},PQ8")
    ivf = faiss.downcast_index(faiss.extract_index_ivf(again.index))  # no nlist x m x 256 table (1 GB at 10M)
    assert ivf.use_precomputed_table == 0 and ivf.precomputed_table.size() == 0
    if hnsw:  # the graph's candidate list covers the cells visited (FAISS's default of 16 would not at 32)
        quantizer = faiss.downcast_index(faiss.extract_index_ivf(again.index).quantizer)
        again.set_nprobe(32)
        assert quantizer.hnsw.efSearch >= 64
    sims, ids = again.search(queries[:3], k=10)
    assert ids.shape == (3, 10) and (np.diff(sims, axis=1) <= 1e-6).all() and ids[0, 0].startswith("s")
    no_rerank = DiskIndex.load(tmp_path / "ix")
    no_rerank.card.params["rerank"] = 0
    assert no_rerank.measure(queries, exact)["recall"] < again.measure(queries, exact)["recall"]
    with pytest.raises(ValueError, match="dims"):
        again.search(np.ones((1, 5)))
    with pytest.raises(ValueError, match="positive integer"):
        again.search(queries[:1], k=0)


def test_ids_are_looked_up_from_a_memory_mapped_file_rebuilt_when_gone_or_damaged(tmp_path):
    shards = _shards(2, 400)
    DiskIndex.build(np.concatenate([v for _, v in shards]), shards, IndexParams(nlist=4, m=8, width=32), tmp_path)
    names = np.concatenate([np.asarray(i) for i, _ in shards])
    positions = np.array([[0, 799, -1], [5, 400, 3]])
    expected = np.where(positions >= 0, names[np.clip(positions, 0, None)], "")
    for damage in (None, "remove", "garbage", "short", "chunked"):
        if damage == "remove":
            (tmp_path / "ids.arrow").unlink()
        elif damage == "garbage":
            (tmp_path / "ids.arrow").write_bytes(b"not arrow")
        elif damage == "short":  # another index's ids (an older copy): the count decides
            from artlib.retrieval.disk_index import write_ids

            write_ids(tmp_path, names[:10])
        elif damage == "chunked":  # as an older artlib wrote it from Parquet: a lookup would join every chunk
            import pyarrow as pa

            table = pa.table({"id": pa.chunked_array([names[:300], names[300:]])})
            with pa.OSFile(str(tmp_path / "ids.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                w.write_table(table)
        index = DiskIndex.load(tmp_path)
        assert (index.ids_at(positions) == expected).all(), damage
        assert index._ids is None and index._mapped_ids is not None  # looked up in one mapped array
    assert list(index.ids) == list(names) and (index.ids_at(positions) == expected).all()


def test_a_damaged_or_mismatched_index_folder_is_refused(tmp_path):
    shards = _shards(2, 800)
    params = IndexParams(nlist=16, m=8, width=32)
    DiskIndex.build(np.concatenate([v for _, v in shards]), shards, params, tmp_path / "ix")
    card = json.loads((tmp_path / "ix" / "card.json").read_text())
    (tmp_path / "ix" / "card.json").write_text(json.dumps({**card, "count": 5}))
    with pytest.raises(ValueError, match="inconsistent"):
        DiskIndex.load(tmp_path / "ix")
    (tmp_path / "ix" / "card.json").write_text("{not json")
    with pytest.raises(ValueError, match="damaged"):
        DiskIndex.load(tmp_path / "ix")
    (tmp_path / "ix" / "lists.ivfdata").unlink()
    with pytest.raises(FileNotFoundError, match="lists.ivfdata"):
        DiskIndex.load(tmp_path / "ix")
    twice = [(["a", "b"], _clustered(2)), (["b", "c"], _clustered(2, seed=3))]
    with pytest.raises(ValueError, match="unique"):
        DiskIndex.build(_clustered(300), twice, IndexParams(nlist=4, m=8, width=32), tmp_path / "twice")
    with pytest.raises(ValueError, match="give at least 256"):
        DiskIndex.build(_clustered(3), twice, IndexParams(nlist=4, m=8, width=32), tmp_path / "few")
