import io
import json
import tarfile

import numpy as np
import pandas as pd
import pytest

from artlib.collection.ray_embed import ShardEmbedder, read_tar_member
from artlib.collection.shards import list_tar_shards, write_path_shards
from artlib.data import load_image_folder, load_rgb
from artlib.data.images import ImageLoadError
from artlib.models import create_backbone, input_normalization
from artlib.retrieval.embedder_card import EmbedderCard


def _webdataset(folder, paths, per_tar=4):
    """WebDataset tar shards of ``paths``: each painting as ``key.jpg`` beside ``key.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    tars = []
    for number, start in enumerate(range(0, len(paths), per_tar)):
        tar = folder / f"{number:05d}.tar"
        with tarfile.open(tar, "w") as archive:
            for i, path in enumerate(paths[start : start + per_tar]):
                key = f"work{start + i:04d}"
                for name, data in (
                    (f"{key}.json", json.dumps({"n": start + i}).encode()),
                    (f"{key}.jpg", path.read_bytes()),
                ):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
        tars.append(tar)
    return tars


def test_tar_shards_list_every_image_member_with_its_byte_range(fixture_paths, tmp_path):
    paths = load_image_folder(fixture_paths.imagefolder).image_paths()[:10]
    tars = _webdataset(tmp_path / "wds", paths)
    shards = list_tar_shards(tars, tmp_path / "shards")
    assert len(shards) == 3
    rows = pd.concat([pd.read_parquet(s) for s in shards], ignore_index=True)
    assert rows["id"].tolist()[:2] == ["00000.tar/work0000", "00000.tar/work0001"] and len(rows) == 10  # no json rows
    for (_, row), path in zip(rows.iterrows(), paths, strict=True):
        assert np.array_equal(read_tar_member(row["path"], row["offset"], row["size"]), load_rgb(path))
    with pytest.raises(FileExistsError, match="already holds 3 shards"):
        list_tar_shards(tars, tmp_path / "shards")


def test_damaged_tars_and_members_are_named(fixture_paths, tmp_path):
    (tmp_path / "bad.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ValueError, match="bad.tar is not a readable tar shard"):
        list_tar_shards([tmp_path / "bad.tar"], tmp_path / "s1")
    path = load_image_folder(fixture_paths.imagefolder).image_paths()[0]
    (tar,) = _webdataset(tmp_path / "wds", [path])
    row = pd.read_parquet(list_tar_shards([tar], tmp_path / "s2")[0]).iloc[0]
    with pytest.raises(ImageLoadError):
        read_tar_member(str(tar), int(row["offset"]) + 5, int(row["size"]) - 5)  # a shifted range is not an image
    with pytest.raises(OSError, match="truncated"):
        read_tar_member(str(tar), int(row["offset"]), 10**9)


def test_a_worker_embeds_tar_members_as_it_embeds_their_files(fixture_paths, tmp_path):
    paths = load_image_folder(fixture_paths.imagefolder).image_paths()[:5]
    network = create_backbone("simple_cnn_tiny")
    card = EmbedderCard("simple_cnn_tiny", 32, input_normalization(network), pretrained=False)
    worker = ShardEmbedder(card.to_dict())
    tar_rows = pd.read_parquet(list_tar_shards(_webdataset(tmp_path / "wds", paths, per_tar=5), tmp_path / "t")[0])
    file_rows = pd.read_parquet(write_path_shards(paths, None, tmp_path / "f")[0])
    from_tar = worker({**{c: tar_rows[c].to_numpy() for c in tar_rows}, "shard": np.full(5, "t")})
    from_files = worker(
        {"id": file_rows["id"].to_numpy(), "path": file_rows["path"].to_numpy(), "shard": np.full(5, "f")}
    )
    assert from_tar["error"].tolist() == [None] * 5
    assert np.allclose(from_tar["embedding"], from_files["embedding"], atol=1e-5)


def test_a_window_of_tar_and_file_shards_gives_the_workers_one_kind_of_row(fixture_paths, tmp_path):
    from artlib.collection.ray_embed import _shard_rows

    paths = load_image_folder(fixture_paths.imagefolder).image_paths()[:4]
    (tar_shard,) = list_tar_shards(_webdataset(tmp_path / "wds", paths), tmp_path / "t")
    (file_shard,) = write_path_shards(paths, None, tmp_path / "f")
    rows = pd.concat([_shard_rows(tar_shard), _shard_rows(file_shard)], ignore_index=True)
    assert rows.columns.tolist() == ["id", "path", "offset", "size", "shard"] and rows["offset"].notna().all()
    assert (rows["offset"].iloc[4:] == -1).all() and (rows["offset"].iloc[:4] > 0).all()


def test_shards_added_to_a_listing_are_numbered_after_it_and_never_overwrite_it(tmp_path):
    first = write_path_shards(["a.jpg", "b.jpg"], None, tmp_path / "s", rows_per_shard=1)
    added = write_path_shards(["c.jpg"], None, tmp_path / "s", rows_per_shard=1, start=2)
    assert [p.name for p in first + added] == [f"shard-0000{i}.parquet" for i in range(3)]
    with pytest.raises(FileExistsError, match="new shards start at 1"):
        write_path_shards(["d.jpg"], None, tmp_path / "s", start=1)
    with pytest.raises(ValueError, match="at least 0"):
        write_path_shards(["d.jpg"], None, tmp_path / "t", start=-1)
