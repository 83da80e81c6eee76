import os
from pathlib import Path

import pytest
import torch
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
torch.set_num_threads(min(2, torch.get_num_threads()))

#: Hypothesis profiles. "repeatable" (the default, CI's): every run draws the same examples, so a change that is
#: green stays green and a failure is a defect of the change, not a new draw. "explore": new examples on every run
#: (HYPOTHESIS_PROFILE=explore python -m pytest tests/ -k drawn), to hunt for defects; pin what it finds with
#: @example.
HYPOTHESIS_PROFILES = {"repeatable": {"derandomize": True, "database": None}, "explore": {"derandomize": False}}
for _name, _values in HYPOTHESIS_PROFILES.items():
    hypothesis_settings.register_profile(_name, **_values)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_configure(config: pytest.Config) -> None:
    """What pandas 4 will refuse (a positional axis: ``table.sum(1)``) fails the tests now, where it is written; after
    the ini file's filters, so that its "ignore DeprecationWarning" does not hide it. pandas 2 has no such warning."""
    import pandas.errors

    if hasattr(pandas.errors, "Pandas4Warning"):
        config.addinivalue_line("filterwarnings", "error::pandas.errors.Pandas4Warning")


SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def fixture_paths(tmp_path_factory):
    from artlib.fixtures import make_fixture

    return make_fixture(tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def folder(fixture_paths):
    """The fixture's ImageFolder collection (tests of the classifier, its card and the artlib-predict command)."""
    from artlib.data import load_image_folder

    return load_image_folder(fixture_paths.imagefolder)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The real data folder beside the checkout; tests using it skip when it is absent."""
    if not (SHARED / "metadata").is_dir():
        pytest.skip("../shared is not present")
    return SHARED
