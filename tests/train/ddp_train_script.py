"""Launched by test_distributed.py under torchrun: 2 CPU processes (gloo) train one model."""

import sys
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from artlib.models import create_model
from artlib.train import ProgressiveUnfreezing, TrainConfig, Trainer
from artlib.train import distributed as ddp


class Labelled(torch.utils.data.Dataset):
    def __init__(self, n=96):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 3, 16, 16, generator=g)
        self.y = (self.x.mean((1, 2, 3)) > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], {"label": self.y[i]}


out = Path(sys.argv[1])
torch.manual_seed(0)
model = create_model("simple_cnn", {"label": 2}, widths=(4, 8))
trainer = Trainer(
    model, TrainConfig(epochs=2, lr=1e-2, monitor="val_loss", progress=False), checkpoint_dir=out / "ckpt"
)
history = trainer.fit(DataLoader(Labelled(), batch_size=16, shuffle=True), DataLoader(Labelled(32), batch_size=16))
assert trainer.distributed and ddp.world_size() == 2
assert trainer.training.module is trainer.model, "fit ended still holding its DistributedDataParallel wrapper"
batches = len(trainer.scheduler.optimizer.param_groups) and trainer.scheduler.last_epoch
checksum = sum(float(p.detach().double().sum()) for p in trainer.model.parameters())  # BN buffers stay per-rank
(out / f"rank{ddp.rank()}.txt").write_text(f"{checksum:.10f} {batches} {len(history)}")

# Progressive unfreezing changes which parameters train: the DDP wrapper must follow.
torch.manual_seed(0)
model = create_model("simple_cnn", {"label": 2}, widths=(4, 8))
blocks = list(model.backbone.features)
groups = [list(blocks[1].parameters()), list(blocks[0].parameters())]  # top block first
start = [p.detach().clone() for p in model.backbone.parameters()]
unfreeze = ProgressiveUnfreezing(model.backbone, groups, unfreeze_at=[1, 2])
trainer = Trainer(model, TrainConfig(epochs=3, lr=1e-2, monitor="train_loss", progress=False), callbacks=[unfreeze])
trainer.fit(DataLoader(Labelled(), batch_size=16, shuffle=True))
moved = all(not torch.equal(a, b) for a, b in zip(start, model.backbone.parameters(), strict=True))
checksum = sum(float(p.detach().double().sum()) for p in trainer.model.parameters())
(out / f"unfreeze_rank{ddp.rank()}.txt").write_text(f"{checksum:.10f} {moved}")
ddp.shutdown_distributed()
