"""Per-sample augmentation seeds, so that a resumed run augments exactly as an uninterrupted one."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import Sampler


class SeededShuffle(Sampler):
    """Yields ``(index, seed)``: a permutation of ``range(n)`` (or the identity) and a seed per sample.

    Both are a function of ``seed``, the epoch and torch's initial seed (which
    :class:`~artlib.train.Trainer` sets to ``config.seed + epoch`` every epoch), and of nothing else: not
    of the number of DataLoader workers, of persistent workers carrying their RNG over, or of how many
    numbers were drawn before, so a run interrupted and resumed with fresh loaders sees the same order and
    the same augmentations. :class:`~artlib.data.dataset.ArtDataset` seeds its transform with the
    sample's seed. The epoch is set by ``set_epoch`` (the Trainer calls it) and otherwise counts up by
    itself at every pass.
    """

    def __init__(self, size: int, shuffle: bool = True, seed: int = 0) -> None:
        self.size, self.shuffle, self.seed, self.epoch = size, shuffle, seed, 0

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[int, int]]:
        entropy = [self.seed % 2**32, self.epoch, torch.initial_seed() % 2**63]
        generator = torch.Generator().manual_seed(
            int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)
        )
        self.epoch += 1
        order = torch.randperm(self.size, generator=generator) if self.shuffle else torch.arange(self.size)
        seeds = torch.randint(0, 2**31 - 1, (self.size,), generator=generator)
        return iter(zip(order.tolist(), seeds.tolist(), strict=True))
