"""The frozen reference network: validated when read, its features cached as the identity model's whole view."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artlib.features.cache import FeatureCache
from artlib.features.reference import MIN_REFERENCE_SIZE, FrozenReference
from artlib.models import list_models

REFERENCE = FrozenReference("efficientnet_lite0", 64)


def test_features_of_files_tables_and_images_agree_and_share_the_identity_models_cache(folder, tmp_path):
    """One painting has one row wherever it is embedded from; the identity model's whole view at the same size
    reads the rows the reference wrote (one cache file, no second pass)."""
    from artlib.data import load_rgb
    from artlib.identity.features import view_features

    paths = folder.image_paths()[:6]
    table = folder.subset(np.arange(6))
    cache = tmp_path / "cache"
    by_table = REFERENCE.table_features({"a": table}, cache)["a"]
    assert by_table.shape == (6, REFERENCE.width) and by_table.dtype == np.float32
    assert np.allclose(REFERENCE.file_features(paths), by_table, atol=1e-4)
    assert np.allclose(REFERENCE.image_features(load_rgb(paths[0])), by_table[0], atol=1e-4)
    files = sorted(cache.glob("*.npz"))
    assert len(files) == 1 and len(FeatureCache(cache, files[0].stem).rows) == 6
    whole = view_features("efficientnet_lite0", {"a": table}, ("whole",), 64, 32, cache=cache)["a"][:, 0]
    assert sorted(cache.glob("*.npz")) == files and np.allclose(whole, by_table, atol=1e-5)
    assert REFERENCE.table_features({"none": folder.subset(np.arange(0))})["none"].shape == (0, REFERENCE.width)


def test_a_reference_round_trips_and_a_damaged_one_is_refused_naming_the_field():
    assert FrozenReference.from_dict(REFERENCE.to_dict()) == REFERENCE
    for values, field in (
        ({"backbone": "no_such_net", "image_size": 64}, "backbone"),
        ({"backbone": "efficientnet_lite0", "image_size": 8}, "image_size"),
        ({"backbone": "efficientnet_lite0", "image_size": 64.0}, "image_size"),
        ({"backbone": "efficientnet_lite0"}, "image_size"),
        ({"backbone": "efficientnet_lite0", "image_size": 64, "extra": 1}, "extra"),
        ("efficientnet_lite0", "not a record"),
    ):
        with pytest.raises(ValueError, match=field):
            FrozenReference.from_dict(values)  # type: ignore[arg-type]


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10, 10_000), st.floats(allow_nan=True), st.text(max_size=12))


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["backbone", "image_size", "views", ""]),
        st.one_of(_VALUES, st.sampled_from(list_models())),
        max_size=4,
    )
)
def test_any_record_gives_a_reference_or_a_value_error(values):
    """A card's reference record, however damaged, is either a valid reference or refused with ValueError."""
    try:
        reference = FrozenReference.from_dict(values)
    except ValueError as exc:
        assert str(exc).startswith("damaged reference network")
    else:
        assert reference.backbone in list_models() and reference.image_size >= MIN_REFERENCE_SIZE
        assert set(values) == {"backbone", "image_size"}
