from toy_problems import wikiart_of

from artlib.data.dataset import verify_images
from artlib.data.upsample import upsample_minority


def test_upsampling_balances_and_writes(fixture_paths, tmp_path):
    table = verify_images(wikiart_of(fixture_paths)).table
    before = table.counts("genre")
    out = upsample_minority(table, "genre", tmp_path, seed=0)
    after = out.counts("genre")
    assert (after == before.max()).all()
    new = out.frame[out.frame["augmented_from"] != ""]
    assert len(new) == (before.max() - before).sum()
    assert all(p.is_file() for p in out.image_paths()[len(table) :])
    assert (out.frame["style"].iloc[len(table) :].to_numpy() >= 0).all()  # other labels carried over
