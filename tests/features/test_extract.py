import numpy as np
import pytest

from artlib.data import ImageLoadError, load_painter_by_numbers
from artlib.data.dataset import verify_images
from artlib.data.transforms import eval_transform
from artlib.features import (
    embed_images,
    table_features,
)
from artlib.models import create_model


def test_embed_images_rejects_unreadable(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    model = create_model("simple_cnn", 2, widths=(4, 8))
    with pytest.raises(ImageLoadError):
        embed_images(model, [tmp_path / "bad.jpg"], eval_transform(32))


def test_table_features_keep_table_rows_and_refuse_unreadable_images(fixture_paths, tmp_path):
    raw = load_painter_by_numbers(fixture_paths.pbn_csv, tasks=("artist",))
    good = verify_images(raw).table
    model = create_model("simple_cnn", {"artist": 2}, widths=(4, 8))
    feats = table_features(model, {"train": good, "test": good}, 32, cache=tmp_path)
    assert feats["train"].shape == (len(good), 8)
    np.testing.assert_allclose(feats["train"], feats["test"])  # the "train" key is not augmented
    if len(good) < len(raw):  # the fixture holds unreadable images on purpose
        with pytest.raises(ValueError, match="could not be read"):
            table_features(model, {"all": raw}, 32)
