"""The model card of an index's feature extractor: written and read back, checked, and embedding as the index."""

import numpy as np
import pytest
import torch

from artlib.data.transforms import INCEPTION
from artlib.features import table_features
from artlib.retrieval.embedder_card import EmbedderCard


def test_the_card_reads_back_what_it_wrote_and_old_records_without_fit():
    card = EmbedderCard("simple_cnn_tiny", 32, INCEPTION, fit="letterbox", pretrained=False)
    assert EmbedderCard.from_dict(card.to_dict()) == card
    legacy = {"model": "efficientnet_lite0", "image_size": 96, "normalization": [[0.5] * 3, [0.5] * 3]}
    assert EmbedderCard.from_dict(legacy) == EmbedderCard("efficientnet_lite0", 96, INCEPTION)


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"model": "m", "image_size": "16", "normalization": INCEPTION}, "image_size must be a positive integer"),
        ({"model": "m", "image_size": True, "normalization": INCEPTION}, "image_size must be a positive integer"),
        ({"model": "", "image_size": 16, "normalization": INCEPTION}, "model must be a model name"),
        ({"model": "m", "image_size": 16, "normalization": [[0.5, 0.5], [1, 1]]}, "normalization must be"),
        ({"model": "m", "image_size": 16, "normalization": INCEPTION, "fit": "stretch"}, "fit must be one of"),
        ({"model": "m", "normalization": INCEPTION}, "image_size missing"),
    ],
)
def test_a_damaged_record_is_refused_naming_the_field(spec, match):
    with pytest.raises(ValueError, match=match):
        EmbedderCard.from_dict(spec)


def test_a_new_image_is_embedded_as_the_collection_was(fixture_paths):
    from artlib.data import load_wikiart
    from artlib.data.dataset import verify_images
    from artlib.data.images import load_rgb

    table = verify_images(load_wikiart(fixture_paths.wikiart_csv, "val", image_root=fixture_paths.wikiart_images))
    table = table.table.subset(np.arange(3))
    from artlib.models import create_backbone, input_normalization

    normalization = input_normalization(create_backbone("simple_cnn_tiny"))  # what table_features feeds it
    card = EmbedderCard("simple_cnn_tiny", 32, normalization, pretrained=False)
    torch.manual_seed(0)
    network = card.build()
    assert not network.training
    indexed = table_features(network, {"all": table}, 32, device="cpu")["all"]
    one = card.embed(network, load_rgb(table.root / table.frame["path"].iloc[1]))
    np.testing.assert_allclose(one[0], indexed[1], rtol=1e-4, atol=1e-5)
