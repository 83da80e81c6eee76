import pytest

from artlib.data import load_wikiart, stratified_split
from artlib.data.dataset import verify_images


@pytest.fixture(scope="module")
def splits(fixture_paths):
    """The fixture's WikiArt table split 80/20 into train and val, stratified by style."""
    table = verify_images(load_wikiart(fixture_paths.wikiart_csv, image_root=fixture_paths.wikiart_images)).table
    return stratified_split(table, (0.8, 0.2), ("train", "val"), stratify="style", seed=0)
