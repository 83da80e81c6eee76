"""Embedding a collection on a local Ray (2 workers): complete, resumable, a killed worker's batch redone once,
another model's vectors never mixed in."""

import os
import sys
import time

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")

from artlib.collection import check_complete, shard_files, write_path_shards  # noqa: E402
from artlib.collection.ray_embed import (  # noqa: E402
    BatchTime,
    EmbedRun,
    ShardEmbedder,
    embed_collection,
    ray_session,
    read_embeddings,
)
from artlib.data import load_image_folder, load_rgb  # noqa: E402
from artlib.models import create_backbone, input_normalization  # noqa: E402
from artlib.retrieval.embedder_card import EmbedderCard  # noqa: E402

RAY_PROCESSES = ("raylet", "gcs_server")


class DiesOnce(ShardEmbedder):
    """A worker whose process exits in the middle of the job the first time (a killed machine)."""

    def __call__(self, batch):
        marker = os.environ["ARTLIB_TEST_KILL_MARKER"]
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return super().__call__(batch)


def _ray_processes():
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] in RAY_PROCESSES]


@pytest.fixture(scope="module")
def collection(fixture_paths, tmp_path_factory):
    folder = tmp_path_factory.mktemp("collection")
    paths = [str(p) for p in load_image_folder(fixture_paths.imagefolder).image_paths()[:38]]
    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a jpeg")
    paths.append(str(broken))
    shards = write_path_shards(paths, [f"item-{i}" for i in range(len(paths))], folder / "shards", rows_per_shard=13)
    network = create_backbone("simple_cnn_tiny")
    card = EmbedderCard("simple_cnn_tiny", 32, input_normalization(network), pretrained=False)
    return shards, card, paths


def test_every_painting_is_embedded_once_even_when_a_worker_dies(collection, tmp_path, monkeypatch, caplog, capfd):
    shards, card, paths = collection
    assert _ray_processes() == [] or pytest.skip("another Ray is running on this machine")
    monkeypatch.setenv("ARTLIB_TEST_KILL_MARKER", str(tmp_path / "killed"))
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    started = time.monotonic()
    with ray_session(workers=2):
        assert "Token authentication" not in capfd.readouterr().err  # Ray's notice on each start: not in a notebook
        run = embed_collection(shards, card, tmp_path / "out", workers=2, batch_size=4, worker=DiesOnce)
        assert (tmp_path / "killed").exists()  # a worker did die mid-run
        report = check_complete(shards, tmp_path / "out")
        assert report.complete and report.listed == 39 and report.embedded == 38 and report.unreadable == 1
        assert sorted(run.embedded_shards) == [s.name for s in shards] and run.images == 38  # in any order
        ids, vectors = read_embeddings(tmp_path / "out")
        assert len(ids) == len(set(ids)) == 38 and vectors.shape[0] == 38
        network = card.build()  # the same vectors as one painting embedded in this process
        for i in (0, 17, 37):
            assert np.allclose(vectors[ids.index(f"item-{i}")], card.embed(network, load_rgb(paths[i]))[0], atol=1e-4)
        errors = pd.read_parquet(tmp_path / "out" / shards[-1].name)
        assert errors["error"].str.startswith("unreadable").sum() == 1
        (tmp_path / "out" / shards[1].name).unlink()  # a job stopped before that shard was written
        (tmp_path / "out" / shards[2].name).write_bytes(b"PAR1 truncated")
        before = os.path.getmtime(tmp_path / "out" / shards[0].name)
        again = embed_collection(shards, card, tmp_path / "out", workers=2, batch_size=4)
        assert again.skipped_shards == [shards[0].name]
        assert sorted(again.embedded_shards) == [s.name for s in shards[1:]]
        assert os.path.getmtime(tmp_path / "out" / shards[0].name) == before
        assert check_complete(shards, tmp_path / "out").complete
        idle = embed_collection(shards, card, tmp_path / "out", workers=2, batch_size=4)
        assert idle.images_per_second is None and idle.summary().startswith("nothing to embed: all 3 shards")
        other = EmbedderCard("simple_cnn_tiny", 40, card.normalization, pretrained=False)  # another input size
        with caplog.at_level("WARNING"):
            redone = embed_collection(shards, other, tmp_path / "out", workers=2, batch_size=4)
        assert sorted(redone.embedded_shards) == [s.name for s in shards] and not redone.skipped_shards
        assert "embedded by another model (simple_cnn_tiny at 32 px)" in caplog.text
        assert "38 paintings in 3 shards" in redone.summary()
        assert 0 < redone.start_up_seconds < redone.seconds  # the pool's processes, imports and network
        assert sum(b.rows for b in redone.batch_times) == 39 and len({b.worker for b in redone.batch_times}) <= 2
        assert all(0 <= b.ready <= b.started < b.done <= redone.seconds for b in redone.batch_times)
        assert redone.steady_images_per_second > redone.images_per_second  # the pool's start-up left out
        assert "once the workers had started" in redone.summary()
    assert time.monotonic() - started < 600  # bounded, even on a busy 2-core machine
    deadline = time.monotonic() + 20
    while _ray_processes() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ray_processes() == []  # the local Ray it started is gone


def test_the_steady_rate_leaves_out_the_start_up_and_nothing_else():
    first = [BatchTime("a", ready=2.0, started=2.0, done=3.0, rows=4)]  # the first worker ready 2 s in
    run = EmbedRun(embedded_shards=["a"], images=96, unreadable=4, seconds=12.0, batch_times=first)
    assert run.start_up_seconds == 2.0
    assert run.images_per_second == pytest.approx(96 / 12)
    assert run.steady_images_per_second == pytest.approx(100 / 10)  # unreadable rows were worked on too
    assert "10.0 once the workers had started" in run.summary()
    unsaid = EmbedRun(embedded_shards=["a"], images=8, seconds=3.0)  # a worker class that says no ready time
    assert unsaid.steady_images_per_second is None and "once the workers" not in unsaid.summary()
    late = [BatchTime("a", ready=3.0, started=3.0, done=3.0, rows=8)]
    assert EmbedRun(images=8, seconds=3.0, batch_times=late).steady_images_per_second is None  # no time left


def test_the_busy_rate_counts_whole_batches_while_every_worker_works():
    batches = [
        BatchTime("a", ready=2.0, started=2.0, done=3.0, rows=10),  # before b was ready: left out
        BatchTime("a", ready=2.0, started=3.0, done=4.0, rows=10),  # straddles b's ready time: left out
        BatchTime("b", ready=3.5, started=3.5, done=5.0, rows=10),
        BatchTime("a", ready=2.0, started=4.0, done=5.0, rows=10),
        BatchTime("a", ready=2.0, started=5.0, done=6.0, rows=10),  # a's last: the window ends at 6.0
        BatchTime("b", ready=3.5, started=5.0, done=6.5, rows=10),  # past the window: the tail
    ]
    run = EmbedRun(embedded_shards=["s"], images=60, seconds=7.0, batch_times=batches)
    assert run.start_up_seconds == 2.0  # a's
    assert run.busy_images_per_second == pytest.approx(30 / (6.0 - 3.5))
    assert "12.0 while all were busy" in run.summary()
    assert EmbedRun(images=1, seconds=1.0).busy_images_per_second is None
    lone = [BatchTime("a", 1.0, 1.0, 1.5, 4), BatchTime("b", 2.0, 2.0, 2.5, 4)]  # a was done before b was ready
    assert EmbedRun(images=8, seconds=3.0, batch_times=lone).busy_images_per_second is None


def test_a_frame_of_timing_columns_becomes_batches():
    frame = pd.DataFrame(
        {
            "worker": ["h:1", "h:1", "h:2", "h:1"],
            "ready_at": [100.0, 100.0, 101.0, 100.0],
            "started_at": [100.5, 100.5, 101.0, 102.0],
            "done_at": [101.5, 101.5, 102.0, 103.0],
        }
    )
    run = EmbedRun()
    run.note_batches(frame, began=99.0)
    assert run.batch_times == [BatchTime("h:1", 1.0, 1.5, 2.5, 2), BatchTime("h:2", 2.0, 2.0, 3.0, 1),
                               BatchTime("h:1", 1.0, 3.0, 4.0, 1)]  # fmt: skip
    assert run.start_up_seconds == 1.0


def test_shards_and_completeness_say_what_is_wrong(tmp_path):
    shards = write_path_shards([f"{i}.jpg" for i in range(5)], None, tmp_path / "s", rows_per_shard=2)
    assert [s.name for s in shards] == ["shard-00000.parquet", "shard-00001.parquet", "shard-00002.parquet"]
    assert shard_files(tmp_path / "s") == shards
    with pytest.raises(FileExistsError):
        write_path_shards(["a.jpg"], None, tmp_path / "s")
    with pytest.raises(ValueError, match="unique"):
        write_path_shards(["a.jpg", "b.jpg"], ["x", "x"], tmp_path / "t")
    with pytest.raises(FileNotFoundError, match="no shard"):
        shard_files(tmp_path / "empty")
    out = tmp_path / "out"
    out.mkdir()
    pd.DataFrame({"id": ["0.jpg", "0.jpg", "9.jpg"], "error": [None, None, None]}).to_parquet(out / shards[0].name)
    report = check_complete(shards, out)
    assert not report.complete and report.repeated == ["0.jpg"] and report.extra == ["9.jpg"]
    assert "1.jpg" in report.missing and report.pending_shards == [shards[1].name, shards[2].name]


@pytest.mark.parametrize("card_text", ["[1, 2]", "not json", '{"model": "x"}'])
def test_shards_under_a_damaged_card_are_embedded_again(tmp_path, caplog, card_text):
    """An output folder whose embedder.json is damaged names no model: its shards are removed, the card rewritten."""
    from artlib.collection.ray_embed import CARD_FILE, claim_output

    (tmp_path / CARD_FILE).write_text(card_text)
    (tmp_path / "shard-00000.parquet").write_bytes(b"PAR1")
    card = EmbedderCard("simple_cnn_tiny", 32, ((0.5,) * 3, (0.5,) * 3), pretrained=False)
    with caplog.at_level("WARNING"):
        claim_output(tmp_path, card)
    assert "embedded by an unknown model" in caplog.text and not (tmp_path / "shard-00000.parquet").exists()
    assert EmbedderCard.from_dict(__import__("json").loads((tmp_path / CARD_FILE).read_text())) == card


def test_artlib_embed_run_again_embeds_only_what_the_folder_gained(fixture_paths, tmp_path, capsys, monkeypatch):
    """The command a person reruns after adding paintings: the earlier shards are kept, the new images embedded, and
    every painting of the folder is in the output once, with paths any worker can open."""
    import shutil

    from artlib.collection.cli import main

    monkeypatch.chdir(tmp_path)  # the listing's paths must not depend on where the run starts
    images = load_image_folder(fixture_paths.imagefolder).image_paths()
    for path in images[:6]:
        shutil.copy(path, tmp_path / f"first-{path.name}")
    folder, out = tmp_path, tmp_path.parent / f"{tmp_path.name}-out"
    argv = [str(folder.relative_to(tmp_path.parent)), "--out", str(out), "--untrained", "--model", "simple_cnn_tiny",
            "--image-size", "32", "--workers", "1", "--rows-per-shard", "4"]  # fmt: skip
    monkeypatch.chdir(tmp_path.parent)
    started = time.monotonic()
    main(argv)
    first = {p.name: pd.read_parquet(p) for p in shard_files(out / "embeddings")}
    for path in images[6:9]:
        shutil.copy(path, tmp_path / f"later-{path.name}")
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    main([str(folder), *argv[1:]])
    said = capsys.readouterr().out
    assert "3 paintings in 1 shards" in said and "2 shards already embedded" in said and "complete: True" in said
    ids, vectors = read_embeddings(out / "embeddings")
    assert sorted(ids) == sorted(p.name for p in folder.glob("*.jpg")) and len(set(ids)) == len(ids) == len(vectors)
    assert all(pd.read_parquet(out / "embeddings" / name).equals(frame) for name, frame in first.items())
    assert time.monotonic() - started < 600 and not _ray_processes()  # bounded; no Ray process left behind
