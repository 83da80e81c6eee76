"""Notebook 08's comparison: EfficientNet-B0 from scratch against a pretrained Lite0 fine-tuned with progressive
unfreezing, each trained, scored on the test split with intervals and recorded; then the Lite0's test-time views.

    runs = {name: train_efficientnet(cfg, splits, name, pretrained) for name, pretrained in RECIPES.items()}
    tta_preds, table = views_comparison(cfg, runs["efficientnet_lite0"], splits["test"])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..data.table import ArtTable

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

    from ..config import Settings
    from ..evaluation.predict import Predictions
    from ..train import Trainer

#: The two models compared, and whether each starts from pretrained weights.
RECIPES = {"efficientnet_b0": False, "efficientnet_lite0": True}


@dataclass
class ScoredRun:
    """A trained model (its trainer holds the best weights), its test loader, history and test scores."""

    name: str
    pretrained: bool
    image_size: int
    train_images: int
    trainer: Trainer
    test_loader: DataLoader
    history: pd.DataFrame
    preds: Predictions
    scores: pd.DataFrame

    def describe(self) -> str:
        trainable = sum(p.numel() for p in self.trainer.model.parameters() if p.requires_grad)
        return (
            f"{self.name}: pretrained={self.pretrained}, {self.train_images} training images at "
            f"{self.image_size} px, {self.trainer.config.epochs} epochs; trainable at the end {trainable / 1e6:.2f}M"
        )


def train_efficientnet(cfg: Settings, splits: dict[str, ArtTable], name: str, pretrained: bool) -> ScoredRun:
    """Train ``name``: from scratch with the profile's from-scratch size, epochs and share of the training images;
    pretrained with its pretrained size and epochs on every training image, the heads first and then the backbone
    from the top down (:func:`~artlib.train.fine_tuning_trainer`). Pixels are normalised as each model's weights
    expect. The best epoch by validation macro-F1 is scored on the test split and saved as result ``08_<name>``."""
    from ..data.loaders import make_loaders
    from ..data.prepare import scratch_train
    from ..evaluation.results import save_result, task_scores
    from ..models import create_model, input_normalization
    from ..train import TrainConfig, Trainer, fine_tuning_trainer, inverse_frequency_weights
    from ..utils import seed_everything

    seed_everything(cfg.seed)
    train = splits["train"] if pretrained else scratch_train(cfg, splits["train"])
    size = cfg.pretrained_size if pretrained else cfg.image_size
    model = create_model(name, splits["train"].num_classes, pretrained=pretrained)
    loaders = make_loaders(
        {**splits, "train": train},
        size,
        cfg.batch_size,
        cfg.num_workers,
        seed=cfg.seed,
        normalization=input_normalization(model),
    )
    config = TrainConfig.for_settings(cfg, "fine_tune" if pretrained else "scratch")
    trainer = (fine_tuning_trainer if pretrained else Trainer)(
        model,
        config,
        class_weights=inverse_frequency_weights(train),
        checkpoint_dir=cfg.run_dir(name),
        log_dir=cfg.outputs / "runs" / f"08_{name}",
        class_names=splits["train"].classes,
    )
    history = trainer.fit(loaders["train"], loaders["val"])
    trainer.load_best()
    preds = trainer.predict(loaders["test"])
    scores = task_scores(preds.labels, preds.probs, top_k=3)
    how = "pretrained, fine-tuned" if pretrained else "from scratch"
    save_result(
        cfg,
        f"08_{name}",
        f"{name} ({how}): test",
        scores,
        image_size=size,
        epochs=config.epochs,
        train_images=len(train),
    )
    return ScoredRun(name, pretrained, size, len(train), trainer, loaders["test"], history, preds, scores)


def comparison_table(runs: dict[str, ScoredRun]) -> pd.DataFrame:
    """Accuracy with its 95 % interval and macro-F1 per task, one column group per model."""
    columns = ["accuracy", "accuracy_low", "accuracy_high", "macro_f1"]
    return pd.concat({name: run.scores[columns] for name, run in runs.items()}, axis=1)


def views_comparison(cfg: Settings, run: ScoredRun, test: ArtTable) -> tuple[Predictions, pd.DataFrame]:
    """The run's test scores three ways: one view each, averaged with the mirror image, and averaged over the
    profile's views (``cfg.tta_views``) with their mirror images; the last predictions (with features, for the
    open-set rule) and the table (written to ``tables/08_lite0_tta.csv``)."""
    from ..data.loaders import make_loader
    from ..models import input_normalization

    views = cfg.tta_views
    normalization = input_normalization(run.trainer.model)
    multi_view = make_loader(
        test,
        train=False,
        image_size=run.image_size,
        batch_size=cfg.batch_size,
        num_workers=cfg.num_workers,
        normalization=normalization,
        tta_views=views,
    )
    tta_preds = run.trainer.predict(multi_view, flip_tta=True, embed=True)
    table = pd.concat(
        {
            "one view": run.preds.metrics(top_k=(3,)),
            "+ mirror": run.trainer.evaluate(run.test_loader, top_k=(), flip_tta=True),
            f"{' + '.join(views)}, + mirror": tta_preds.metrics(top_k=()),
        },
        axis=1,
    )
    table.to_csv(cfg.out("tables", "08_lite0_tta.csv"))
    return tta_preds, table
