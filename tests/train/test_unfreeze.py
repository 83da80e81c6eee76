"""The progressive-unfreezing schedule."""

import pytest

from artlib.models import create_model
from artlib.train import ProgressiveUnfreezing, unfreeze_schedule


def test_unfreeze_schedule_opens_every_group_by_half_time():
    assert unfreeze_schedule(9, 3) == [1] * 9  # a short run fine-tunes everything after one heads-only epoch
    assert unfreeze_schedule(9, 6) == [1, 1, 1, 2, 2, 2, 3, 3, 3]  # the cnpaint recipe
    long = unfreeze_schedule(9, 30)
    assert long == sorted(long) and long[0] == 1 and long[-1] <= 15
    assert unfreeze_schedule(4, 1) == [0, 0, 0, 0]
    with pytest.raises(ValueError):
        unfreeze_schedule(0, 3)


def test_progressive_unfreezing_opens_from_the_top():
    model = create_model("efficientnet_b0", {"a": 3})
    groups = model.backbone.unfreeze_groups()
    schedule = ProgressiveUnfreezing(model.backbone, groups)
    assert schedule.apply(0) == 0
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    schedule.apply(1)
    assert all(p.requires_grad for p in groups[0]) and not any(p.requires_grad for p in groups[-1])
    schedule.apply(len(groups))
    assert all(p.requires_grad for p in model.backbone.parameters())
    covered = {id(p) for g in groups for p in g}
    assert covered == {id(p) for p in model.backbone.parameters()}
