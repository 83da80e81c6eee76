"""TensorBoard logging of a training run: scalars per epoch, hyper-parameters, confusion matrices.

``Trainer(..., log_dir="outputs/runs/<name>")`` adds a :class:`TensorBoardLogger`; browse the runs with
``tensorboard --logdir outputs/runs``.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from torch.utils.data import DataLoader
    from torch.utils.tensorboard import SummaryWriter

    from .trainer import Trainer


def _writer(log_dir: Path) -> SummaryWriter:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:  # torch's writer needs the tensorboard package
        raise ImportError("TensorBoard logging needs `pip install tensorboard`") from exc
    return SummaryWriter(str(log_dir))


class TensorBoardLogger:
    """A Trainer callback writing every history column as a scalar each epoch (``loss/train``, ``lr``,
    ``val/<task>_accuracy``...), and at the end the hyper-parameters with the best monitored value and a
    row-normalised confusion matrix per task on the validation loader."""

    def __init__(self, log_dir: str | Path, class_names: dict[str, list[str]] | None = None) -> None:
        self.log_dir = Path(log_dir)
        self.class_names = class_names or {}
        self.writer: SummaryWriter | None = None

    def _open(self) -> SummaryWriter:
        if self.writer is None:
            self.writer = _writer(self.log_dir)
        return self.writer

    @staticmethod
    def _tag(column: str) -> str:
        if column.endswith("_loss"):
            return f"loss/{column[:-5]}"
        if column.startswith("val_"):
            return f"val/{column[4:]}"
        return column

    def on_epoch_end(self, trainer: Trainer, row: dict) -> None:
        from . import distributed as ddp

        if not ddp.is_main():
            return
        writer = self._open()
        for column, value in row.items():
            if column != "epoch" and isinstance(value, (int, float)) and math.isfinite(value):
                writer.add_scalar(self._tag(column), value, int(row["epoch"]))
        writer.flush()

    def on_fit_end(self, trainer: Trainer, val_loader: DataLoader | None = None) -> None:
        from ..evaluation.metrics import confusion
        from ..plots import plot_confusion_matrix
        from . import distributed as ddp

        if not ddp.is_main() or not trainer.history:
            return
        writer = self._open()
        hparams = {
            k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in asdict(trainer.config).items()
        }
        best = trainer.stopper.best
        metrics = {f"hparam/best_{trainer.config.monitor}": float(best) if best is not None else math.nan}
        writer.add_hparams(hparams, metrics, run_name=".")
        if val_loader is not None:
            preds = trainer.predict(val_loader)
            for task, probs in preds.probs.items():
                names = self.class_names.get(task) or [str(i) for i in range(probs.shape[1])]
                if (preds.labels[task] >= 0).any():
                    fig = plot_confusion_matrix(
                        confusion(preds.labels[task], probs), names, title=f"{task}: validation, best weights"
                    )
                    writer.add_figure(f"confusion/{task}", fig, len(trainer.history))
                    plt.close(fig)
        writer.close()
        self.writer = None
