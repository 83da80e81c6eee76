from toy_problems import wikiart_of

from artlib.data.dataset import ArtDataset
from artlib.data.transforms import eval_transform


def test_resized_cache(fixture_paths, tmp_path):
    from artlib.data.images import image_size
    from artlib.store.resized_images import build_resized_cache

    table = wikiart_of(fixture_paths)
    cached = build_resized_cache(table, tmp_path, shorter_side=48, progress=False)
    assert len(cached) == len(table) - 2  # the two unreadable files are left out
    sizes = [image_size(p) for p in cached.image_paths()]
    assert all(min(s) == 48 for s in sizes)  # fixture images are 64-128 px: all scaled down
    assert (
        cached.frame["style"].to_numpy()
        == table.frame.set_index("path").loc[cached.frame["source_path"], "style"].to_numpy()
    ).all()
    mtime = cached.image_paths()[0].stat().st_mtime_ns
    again = build_resized_cache(table, tmp_path, shorter_side=48, progress=False)
    assert again.image_paths()[0].stat().st_mtime_ns == mtime  # built once
    image, labels = ArtDataset(cached, eval_transform(32))[0]
    assert image.shape == (3, 32, 32)
    source = table.image_paths()[table.frame["path"].tolist().index(cached.frame["source_path"].iloc[0])]
    source.write_bytes(source.read_bytes())  # the source file is replaced: cached again under a new name
    refreshed = build_resized_cache(table, tmp_path, shorter_side=48, progress=False)
    assert refreshed.frame["path"].iloc[0] != cached.frame["path"].iloc[0]
    assert (refreshed.frame["path"].iloc[1:].to_numpy() == cached.frame["path"].iloc[1:].to_numpy()).all()
