"""The progressive-unfreezing schedule."""

import pytest

from artlib.train import unfreeze_schedule


def test_unfreeze_schedule_opens_every_group_by_half_time():
    assert unfreeze_schedule(9, 3) == [1] * 9  # a short run fine-tunes everything after one heads-only epoch
    assert unfreeze_schedule(9, 6) == [1, 1, 1, 2, 2, 2, 3, 3, 3]  # the cnpaint recipe
    long = unfreeze_schedule(9, 30)
    assert long == sorted(long) and long[0] == 1 and long[-1] <= 15
    assert unfreeze_schedule(4, 1) == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        unfreeze_schedule(0, 3)
