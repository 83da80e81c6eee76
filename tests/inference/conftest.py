import pytest

from artlib.data import load_image_folder


@pytest.fixture(scope="module")
def folder(fixture_paths):
    """The fixture's ImageFolder collection."""
    return load_image_folder(fixture_paths.imagefolder)
