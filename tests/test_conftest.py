"""What tests/conftest.py sets for every test: repeatable Hypothesis draws, pandas 4's changes as errors."""

import os

import pandas as pd
import pandas.errors
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

DRAWN: list[int] = []


@given(st.integers(0, 10**9))
@settings(max_examples=5)
def _draw(value: int) -> None:
    DRAWN.append(value)


def _draws() -> list[int]:
    DRAWN.clear()
    _draw()
    return list(DRAWN)


def test_the_default_profile_draws_the_same_examples_on_every_run():
    if os.environ.get("HYPOTHESIS_PROFILE", "repeatable") != "repeatable":
        assert not settings.default.derandomize  # exploring: new draws are the point
        return
    assert settings.default.derandomize and settings.default.database is None
    first, second = _draws(), _draws()
    assert first == second and len(set(first)) > 1


@pytest.mark.skipif(not hasattr(pandas.errors, "Pandas4Warning"), reason="pandas 2 has no Pandas4Warning")
def test_what_pandas_4_refuses_fails_the_tests():
    with pytest.raises(pandas.errors.Pandas4Warning):
        pd.DataFrame([[1, 2]]).sum(1)  # a positional axis
