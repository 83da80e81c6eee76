import zipfile

import numpy as np
import pytest

from artlib.data import load_nga, load_wga, load_wikiart
from artlib.download import (
    drop_failed,
    fetch_nga_images,
    fetch_nga_tables,
    fetch_wga_images,
    fetch_wikiart,
    unpack_painter_by_numbers,
)
from artlib.download.remote_zip import HTTPRangeFile


def test_fetch_wikiart_subset_reads_only_chosen_members(server, tmp_path, fixture_paths):
    url, root, hits = server
    with zipfile.ZipFile(root / "wikiart.zip", "w") as z:
        for p in sorted(fixture_paths.wikiart_images.rglob("*.jpg")):
            z.write(p, "wikiart/" + p.relative_to(fixture_paths.wikiart_images).as_posix())
    with zipfile.ZipFile(root / "wikiart_csv.zip", "w") as z:
        for p in sorted(fixture_paths.wikiart_csv.rglob("*")):
            if p.is_file():
                z.write(p, "wikiart_csv/" + p.relative_to(fixture_paths.wikiart_csv).as_posix())
    out = fetch_wikiart(
        tmp_path / "wa",
        styles=["Cubism"],
        per_class=5,
        archive_url=f"{url}/files/wikiart.zip",
        csv_url=f"{url}/files/wikiart_csv.zip",
    )
    images = sorted(out["images"].rglob("*.jpg"))
    assert len(images) == 5 and all(p.parent.name == "Cubism" for p in images)
    table = load_wikiart(out["meta"], image_root=out["images"])
    assert table.num_classes["style"] == 3
    with pytest.raises(KeyError, match="not in the archive"):
        fetch_wikiart(
            tmp_path / "wb",
            styles=["Fauvism"],
            archive_url=f"{url}/files/wikiart.zip",
            csv_url=f"{url}/files/wikiart_csv.zip",
        )
    f = HTTPRangeFile(f"{url}/files/wikiart.zip")
    f.seek(-22, 2)
    assert f.read(4) == b"PK\x05\x06"  # end-of-central-directory record, read by range


def test_fetch_nga_tables_and_images(server, tmp_path, fixture_paths):
    url, root, _ = server
    for name in ("objects", "published_images", "objects_terms", "objects_constituents"):
        (root / f"{name}.csv").write_bytes((fixture_paths.nga / f"{name}.csv").read_bytes())
    dest = tmp_path / "nga"
    fetch_nga_tables(dest, base_url=f"{url}/files")
    table = load_nga(dest)
    # serve a few IIIF images: <uuid>/full/!64,64/0/default.jpg -> flat files
    frame = table.frame.head(4).copy()
    for k, oid in enumerate(frame["objectid"]):
        name = f"iiif{k}"
        if k < 3:
            (root / f"{name}").mkdir()
            (root / f"{name}/full").mkdir()
            (root / f"{name}/full/!64,64").mkdir()
            (root / f"{name}/full/!64,64/0").mkdir()
            (root / f"{name}/full/!64,64/0/default.jpg").write_bytes(
                (fixture_paths.nga / "images" / f"{oid}.jpg").read_bytes()
            )
        frame.loc[frame.index[k], "iiifurl"] = f"{url}/files/{name}"
    small = table.subset(np.arange(4))
    small.frame["iiifurl"] = frame["iiifurl"].to_numpy()
    manifest = fetch_nga_images(small, size=64, per_second=100, backoff=0.01)
    assert (manifest["status"] == "ok").sum() == 3 and (manifest["status"] == "failed").sum() == 1
    kept = drop_failed(small, manifest)
    assert len(kept) == 3 and all(p.is_file() for p in kept.image_paths())


def test_fetch_wga_images_drops_broken_links(server, tmp_path, fixture_paths):
    url, root, _ = server
    table = load_wga(fixture_paths.wga_csv).subset(np.arange(3))
    first = table.image_paths()[0]
    (root / "w0.jpg").write_bytes(first.read_bytes())
    table.frame["url"] = [f"{url}/files/w0.jpg", f"{url}/files/gone.jpg", f"{url}/truncated/w0.jpg"]
    table.root = tmp_path / "wga"
    manifest = fetch_wga_images(table, per_second=100, backoff=0.01)
    assert sorted(manifest["status"]) == ["failed", "failed", "ok"]
    assert len(drop_failed(table, manifest)) == 1


def test_unpack_painter_by_numbers(tmp_path, fixture_paths):
    with zipfile.ZipFile(tmp_path / "train_info.csv.zip", "w") as z:
        z.write(fixture_paths.pbn_csv, "train_info.csv")
    assert unpack_painter_by_numbers(tmp_path).is_file()
    with pytest.raises(FileNotFoundError):
        unpack_painter_by_numbers(tmp_path / "empty")
