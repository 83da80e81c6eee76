"""Notebook 08's comparison: EfficientNet-B0 from scratch against a pretrained Lite0 fine-tuned with progressive
unfreezing, each trained, scored on the test split with intervals and recorded; then the Lite0's test-time views,
chosen on validation.

    runs = {name: train_efficientnet(cfg, splits, name, pretrained) for name, pretrained in RECIPES.items()}
    views = choose_views(cfg, runs["efficientnet_lite0"], splits["val"], splits["test"])  # chosen on validation
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..data.table import ArtTable

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

    from ..config import Settings
    from ..evaluation.predict import Predictions
    from ..train import Trainer

log = logging.getLogger(__name__)

#: The two models compared, and whether each starts from pretrained weights.
RECIPES = {"efficientnet_b0": False, "efficientnet_lite0": True}


@dataclass
class ScoredRun:
    """A trained model (its trainer holds the best weights), its test loader, history, test predictions (one view,
    with features) and test scores."""

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
    preds = trainer.predict(loaders["test"], embed=True)  # features from the same pass: choose_views' one view
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


@dataclass(frozen=True)
class Way:
    """One way of feeding the model at test time: its views (:mod:`artlib.data.tta`), each averaged with its mirror
    image or not."""

    views: tuple[str, ...]
    mirror: bool

    @property
    def name(self) -> str:
        if self.views == ("crop",):
            return "+ mirror" if self.mirror else "one view"
        return " + ".join(self.views) + (", + mirror" if self.mirror else "")


#: the centre crop alone, as the loaders of training and testing read a painting
ONE_VIEW = Way(("crop",), False)


def candidate_ways(cfg: Settings) -> list[Way]:
    """The ways compared, cheapest first: one view (the centre crop), with its mirror image, and the profile's
    views (``cfg.tta_views``) with their mirror images."""
    return list(dict.fromkeys([ONE_VIEW, Way(("crop",), True), Way(tuple(cfg.tta_views), True)]))


@dataclass
class ViewsChoice:
    """The way chosen on the validation split, every way's accuracy on validation and test (``table``: a row per
    way, columns ``(split, task)`` and ``chosen``), and the chosen way's predictions of both splits, with features."""

    chosen: Way
    table: pd.DataFrame
    validation: Predictions
    test: Predictions


def best_on_validation(table: pd.DataFrame, ways: list[Way]) -> Way:
    """The way of ``ways`` (cheapest first; ``table``'s rows by name) with the best validation accuracy averaged
    over the tasks, the first of equals; the test columns are never read. With no labelled validation painting,
    the cheapest way, with a warning."""
    validation_mean = table.loc[[w.name for w in ways], "validation"].mean(axis=1)
    if validation_mean.isna().all():
        log.warning("no labelled validation painting to choose the test-time views on: the cheapest way is kept")
        return ways[0]
    return next(w for w in ways if w.name == validation_mean.idxmax())  # idxmax: the first of equals


def choose_views(cfg: Settings, run: ScoredRun, val: ArtTable, test: ArtTable) -> ViewsChoice:
    """Score each of :func:`candidate_ways` on ``val`` and on ``test``, and choose the way of the best validation
    accuracy (the mean over tasks; a tie goes to the cheaper way): the test split is reported, never chosen on.
    The run's own test pass is the one view on ``test`` (the same loader), not predicted again. The table is
    written to ``tables/08_lite0_tta.csv``."""
    from ..data.loaders import make_loader
    from ..models import input_normalization

    normalization = input_normalization(run.trainer.model)
    tested = getattr(run.test_loader.dataset, "table", None)  # the table of the run's own test pass

    def predictions(table: ArtTable, way: Way) -> Predictions:
        if way == ONE_VIEW and table is tested and run.preds.embeddings is not None:
            return run.preds
        loader = make_loader(
            table,
            train=False,
            image_size=run.image_size,
            batch_size=cfg.batch_size,
            num_workers=cfg.num_workers,
            normalization=normalization,
            tta_views=way.views,
        )
        return run.trainer.predict(loader, flip_tta=way.mirror, embed=True)

    ways = candidate_ways(cfg)
    scored = {
        (split, way): predictions(table, way) for split, table in (("validation", val), ("test", test)) for way in ways
    }
    table = pd.DataFrame.from_dict(
        {
            way.name: {
                (split, task): accuracy
                for split in ("validation", "test")
                for task, accuracy in scored[(split, way)].metrics(top_k=())["accuracy"].items()
            }
            for way in ways
        },
        orient="index",
    )
    chosen = best_on_validation(table, ways)
    table[("chosen", "")] = [w == chosen for w in ways]  # a full-length key: the columns are (split, task)
    table.to_csv(cfg.out("tables", "08_lite0_tta.csv"))
    return ViewsChoice(chosen, table, scored[("validation", chosen)], scored[("test", chosen)])
