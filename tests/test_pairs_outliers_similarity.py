import numpy as np
import pandas as pd
import pytest
import torch

from artlib.data import ArtTable, ImageLoadError, load_painter_by_numbers
from artlib.data.pairs_dataset import PairDataset
from artlib.data.transforms import eval_transform
from artlib.features import embed_images
from artlib.models import create_model
from artlib.models.siamese import SiameseNet, classify_then_compare, siamese
from artlib.outliers import cleaning_effect, compare_detectors, inject_label_noise, suspicion_scores
from artlib.pairs import make_pairs, pair_splits
from artlib.similarity import (
    SimilarityIndex,
    embed_titles,
    fit_title_projection,
    load_title_encoder,
    precision_recall_at_k,
    proxy_agreement,
)


def _table(n=60, classes=4):
    frame = pd.DataFrame({"path": [f"{i}.jpg" for i in range(n)], "artist": np.arange(n) % classes})
    return ArtTable(frame, {"artist": [f"a{c}" for c in range(classes)]})


def test_make_pairs_ratio_and_validity():
    table = _table()
    pairs = make_pairs(table, k=11, neg_ratio=1.75, seed=0)
    assert (pairs["a"] < pairs["b"]).all() and not pairs.duplicated(["a", "b"]).any()
    labels = table.frame["artist"].to_numpy()
    assert ((labels[pairs["a"]] == labels[pairs["b"]]) == pairs["same"].astype(bool)).all()
    pos = pairs["same"].sum()
    assert abs((len(pairs) - pos) / pos - 1.75) < 0.05


def test_pair_splits_never_share_images(fixture_paths):
    table = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))
    splits = pair_splits(table, k=8)
    paths = {name: set(t.frame["path"]) for name, (t, _) in splits.items()}
    assert not paths["train"] & paths["test"] and not paths["train"] & paths["val"]
    for t, p in splits.values():
        assert p[["a", "b"]].to_numpy().max() < len(t)


@pytest.mark.parametrize("combine", ["concat", "absdiff", "product", "all"])
def test_siamese_shapes(combine):
    model = siamese("simple_cnn", combine, widths=(4, 8))
    out = model(torch.randn(3, 2, 3, 32, 32))["same"]
    assert out.shape == (3, 2)
    with pytest.raises(ValueError, match="pairs"):
        model(torch.randn(3, 3, 32, 32))
    with pytest.raises(ValueError):
        SiameseNet(torch.nn.Identity(), 4, combine="max")


def test_siamese_is_symmetric_for_symmetric_combinations():
    model = siamese("simple_cnn", "absdiff", widths=(4, 8)).eval()
    x = torch.randn(2, 2, 3, 32, 32)
    torch.testing.assert_close(model(x)["same"], model(x.flip(1))["same"])


def test_classify_then_compare():
    a = torch.tensor([[1.0, 0, 0], [0.5, 0.5, 0]])
    b = torch.tensor([[1.0, 0, 0], [0, 0, 1.0]])
    assert classify_then_compare(a, b).tolist() == [1.0, 0.0]


def test_pair_dataset(fixture_paths):
    table = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))
    pairs = make_pairs(table, k=4)
    pair, label = PairDataset(table, pairs, eval_transform(32))[0]
    assert pair.shape == (2, 3, 32, 32) and int(label["same"]) == pairs["same"].iloc[0]


def _clustered(n_per=80, classes=4, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per)
    return rng.normal(size=(len(y), dim)) + 3 * np.eye(classes, dim)[y], y


def test_noise_injection_and_detection():
    x, y = _clustered()
    noisy, flipped = inject_label_noise(y, 0.05, seed=1)
    assert flipped.sum() == 16 and (noisy[flipped] != y[flipped]).all() and (noisy[~flipped] == y[~flipped]).all()
    table = compare_detectors(x, y, rate=0.05, seed=1, ks=(10,))
    assert table.loc["combined (mean rank)", "auroc"] > 0.9
    assert table.loc["cleanlab find_label_issues", "auroc"] > 0.9
    assert table.loc["combined (mean rank)", "precision@10"] >= 0.7  # random would give 0.05
    with pytest.raises(ValueError, match="known"):
        suspicion_scores(x, np.r_[y[:-1], -1])


def test_leaving_suspects_out_undoes_injected_noise():
    from sklearn.datasets import make_blobs

    x, y = make_blobs(600, n_features=16, centers=3, cluster_std=4.0, random_state=0)
    table = cleaning_effect(x[:400], y[:400], x[400:], y[400:], rates=(0.0, 0.4))
    assert table.loc[0.0, "flipped"] == 0 and table.loc[0.0, "dropped"] == 20  # 5 % when nothing was flipped
    noisy = table.loc[0.4]
    assert noisy["flipped"] == noisy["dropped"] == 160
    assert noisy["dropped that were flipped"] > 0.9
    assert noisy["accuracy, suspects left out"] > noisy["accuracy, all rows"]
    assert noisy["accuracy, suspects left out"] >= noisy["accuracy, flipped left out (oracle)"] - 0.02


def test_isolation_finds_an_odd_one_out():
    x, y = _clustered()
    x[5] = 40.0  # a "photograph" far from every painting
    scores = suspicion_scores(x, y)
    assert scores["isolation"].idxmax() == 5


def test_flat_index_is_exact_and_persists(tmp_path):
    x, y = _clustered(20, 3, 8)
    ids = [f"p{i}" for i in range(len(x))]
    index = SimilarityIndex(x, ids)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ unit[7]))[1:6]
    assert index.query_id("p7", 5)["id"].tolist() == [ids[i] for i in expected]
    loaded = SimilarityIndex.load(index.save(tmp_path / "ix"))
    assert loaded.query_id("p7", 5)["id"].tolist() == [ids[i] for i in expected]
    assert precision_recall_at_k(index, y, 5)["precision@5"] > 0.9
    assert proxy_agreement(index, x, 5) > 0.5


def test_index_bad_input():
    index = SimilarityIndex(np.eye(4), ["a", "b", "c", "d"])
    with pytest.raises(KeyError, match="unknown id"):
        index.query_id("z")
    with pytest.raises(ValueError, match="empty"):
        index.search(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="dims"):
        index.search(np.ones((1, 3)))
    with pytest.raises(ValueError, match="unique"):
        SimilarityIndex(np.eye(2), ["a", "a"])
    with pytest.raises(ValueError, match="zero vector"):
        SimilarityIndex(np.zeros((2, 3)), ["a", "b"])


def test_index_refuses_bad_k_empty_index_and_nan_queries():
    index = SimilarityIndex(np.eye(4), ["a", "b", "c", "d"])
    for k in (0, -1, 2.5):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            index.search(np.ones(4), k=k)
    with pytest.raises(ValueError, match="NaN or infinity"):
        index.query(np.array([1.0, np.nan, 0, 0]))
    with pytest.raises(ValueError, match="NaN or infinity, e.g. row 1"):
        SimilarityIndex(np.array([[1.0, 0], [np.inf, 1]]), ["a", "b"])
    with pytest.raises(ValueError, match="no vectors"):
        SimilarityIndex(np.zeros((0, 4)), [])


def test_saved_index_files_must_belong_together(tmp_path):
    rng = np.random.default_rng(0)
    first = SimilarityIndex(rng.normal(size=(20, 8)), [f"a{i}" for i in range(20)]).save(tmp_path / "one")
    second = SimilarityIndex(rng.normal(size=(20, 8)), [f"b{i}" for i in range(20)]).save(tmp_path / "two")
    assert not list(first.glob("*.tmp*"))  # temporary files renamed into place
    (first / "vectors.npy").write_bytes((second / "vectors.npy").read_bytes())  # same sizes, other vectors
    with pytest.raises(ValueError, match="vectors.npy is not the file meta.json was saved with"):
        SimilarityIndex.load(first)
    (second / "index.faiss").unlink()
    with pytest.raises(FileNotFoundError, match="index.faiss is missing"):
        SimilarityIndex.load(second)


@pytest.mark.parametrize("kind, floor", [("ivf", 0.9), ("hnsw", 0.95)])
def test_approximate_index_recall_against_exact(kind, floor, tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 16))
    x = centres[rng.integers(0, 50, 20000)] + 0.5 * rng.normal(size=(20000, 16))
    ids = np.arange(len(x))
    approx = SimilarityIndex(x, ids, kind=kind, nprobe=8)
    exact = SimilarityIndex(x, ids, kind="flat")
    queries = x[:200] + 0.05 * rng.normal(size=(200, 16))
    _, e = exact.search(queries, 10)
    for index in (approx, SimilarityIndex.load(approx.save(tmp_path / kind))):
        _, a = index.search(queries, 10)
        recall = np.mean([len(set(p) & set(q)) / 10 for p, q in zip(a, e, strict=True)])
        assert recall > floor, (kind, recall)


def test_auto_index_is_exact_when_small_and_a_graph_when_large(monkeypatch):
    x = np.random.default_rng(0).normal(size=(300, 8))
    assert SimilarityIndex(x, np.arange(300)).kind == "flat"
    monkeypatch.setattr(SimilarityIndex, "EXACT_LIMIT", 200)
    assert SimilarityIndex(x, np.arange(300)).kind == "hnsw"


def test_title_encoder_offline_and_projection():
    encoder = load_title_encoder()
    emb = embed_titles(["Landscape with a River", "River Landscape", "Portrait of a Lady"], encoder)
    assert emb.shape == (3, 384)
    assert emb[0] @ emb[1] > emb[0] @ emb[2]
    with pytest.raises(ValueError, match="empty"):
        embed_titles(["ok", " "], encoder)
    # an image space where only 4 of 16 dims carry what the titles describe: the projection should find them
    rng = np.random.default_rng(0)
    topic = rng.integers(0, 4, 600)
    titles = np.eye(4)[topic] + 0.05 * rng.normal(size=(600, 4))
    images = rng.normal(size=(600, 16))
    images[:, :4] += 1.5 * np.eye(4)[topic]
    project = fit_title_projection(images[:300], titles[:300], dim=4, epochs=300, pos_quantile=0.9)
    held = np.arange(300, 600)  # evaluated on paintings the projection never saw
    raw = proxy_agreement(SimilarityIndex(images[held], held), titles[held], 5)
    refined = proxy_agreement(SimilarityIndex(project(images[held]), held), titles[held], 5)
    assert refined > raw + 0.015


def test_embed_images_rejects_unreadable(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    model = create_model("simple_cnn", 2, widths=(4, 8))
    with pytest.raises(ImageLoadError):
        embed_images(model, [tmp_path / "bad.jpg"], eval_transform(32))


@pytest.mark.parametrize("artists,negatives", [([0, 0, 0, 0, 1], 4), ([0, 0, 0, 0, 0], 0), ([0, 0, 1, 1, 2, 2], 5)])
def test_make_pairs_ends_when_few_negative_pairs_exist(artists, negatives, caplog):
    import pandas as pd

    from artlib.data.table import ArtTable
    from artlib.pairs import make_pairs

    table = ArtTable(
        pd.DataFrame({"path": [f"{i}.jpg" for i in range(len(artists))], "artist": artists}),
        {"artist": ["a", "b", "c", "d"]},
    )
    pairs = make_pairs(table, "artist", k=36)
    assert (pairs["same"] == 0).sum() == negatives
    assert not pairs.duplicated(["a", "b"]).any()
    assert all(artists[a] != artists[b] for a, b in pairs.loc[pairs["same"] == 0, ["a", "b"]].to_numpy())
    if len(set(artists)) < 3:
        assert "taking all of them" in caplog.text


def test_query_refuses_several_rows_and_titles_refuse_none():
    index = SimilarityIndex(np.eye(4, dtype=np.float32), list("abcd"))
    with pytest.raises(ValueError, match="one vector, got 2 rows"):
        index.query(np.eye(4, dtype=np.float32)[:2])
    assert index.query(np.eye(4, dtype=np.float32)[:1], k=1)["id"].tolist() == ["a"]
    for bad in (None, float("nan")):
        with pytest.raises(ValueError, match="empty title"):
            embed_titles(["a title", bad], encoder=object())


def test_pairs_by_probabilities_and_their_auc_table():
    import pandas as pd

    from artlib.pairs import auc_table, compare_probabilities

    probs = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    pairs = pd.DataFrame({"a": [0, 0, 2], "b": [1, 2, 3], "same": [1, 0, 1]})
    np.testing.assert_allclose(compare_probabilities(probs, pairs), [1.0, 0.0, 0.5])
    table = auc_table(
        pairs["same"].to_numpy(),
        {"perfect": np.array([0.9, 0.1, 0.8]), "reversed": np.array([0.1, 0.9, 0.2])},
        n_resamples=50,
    )
    assert table.loc["perfect", "roc_auc"] == 1.0 and table.loc["reversed", "roc_auc"] == 0.0
    assert table.loc["perfect", "positive_share"] == pytest.approx(2 / 3)


def test_label_retrieval_scores_each_task_on_its_labelled_paintings():
    import pandas as pd

    from artlib.similarity import label_retrieval, precision_recall_at_k

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(12, 4)).astype(np.float32)
    style = np.array([0, 1] * 6)
    genre = np.array([0, 1, 2, -1] * 3)
    table = ArtTable(
        pd.DataFrame({"path": [f"{i}.jpg" for i in range(12)], "style": style, "genre": genre}),
        {"style": ["a", "b"], "genre": ["x", "y", "z"]},
    )
    ids = [str(i) for i in range(12)]
    out = label_retrieval(vectors, ids, table, k=3)
    mask = genre >= 0
    expected = precision_recall_at_k(SimilarityIndex(vectors[mask], np.asarray(ids)[mask]), genre[mask], 3)
    assert out["genre precision@3"] == expected["precision@3"] and out["genre recall@3"] == expected["recall@3"]
    assert set(out) == {"style precision@3", "style recall@3", "genre precision@3", "genre recall@3"}
    assert set(label_retrieval(vectors, ids, table, k=8)) == {
        "style precision@8",
        "style recall@8",
    }  # 9 genre labels <= k + 1


@pytest.mark.parametrize(
    "damage, match",
    [
        ("{not json", "meta.json is damaged"),
        ('{"kind": "flat", "dim": 8}', r"lacks \['ids'\]"),
        ("[1, 2]", r"lacks \['ids', 'kind', 'dim'\]"),
    ],
)
def test_a_damaged_index_meta_file_is_named(tmp_path, damage, match):
    saved = SimilarityIndex(np.random.default_rng(0).normal(size=(5, 8)), list("abcde")).save(tmp_path / "i")
    (saved / "meta.json").write_text(damage)
    with pytest.raises(ValueError, match=match):
        SimilarityIndex.load(saved)
