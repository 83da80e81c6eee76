"""Notebook settings from the environment: fixture by default, real data when pointed at it.

Environment variables (all optional):

=================  ==========================================================
``ARTLIB_DATA``    images root of a real dataset (unset: the generated fixture)
``ARTLIB_DATASET`` ``wikiart`` (default) | ``pbn`` | ``nga`` | ``wga`` | ``imagefolder`` | ``csv``
``ARTLIB_META``    metadata location (ArtGAN csv folder, ``train_info.csv``,
                   NGA folder, WGA csv, labels csv); defaults to ``ARTLIB_DATA``
``ARTLIB_TASKS``   comma-separated tasks to keep (e.g. ``style,genre``)
``ARTLIB_PROFILE`` ``ci`` (fixture, CPU, minutes), ``cpu`` (real data on 2 cores, < 1 h for 7.5k images)
                   or ``full`` (real training on a GPU)
``ARTLIB_OUTPUTS`` where figures, tables and checkpoints go (default ``outputs/``)
``ARTLIB_TITLE_COLUMN`` the column of a ``csv`` dataset that holds titles, when it is not called ``title``
``ARTLIB_EPOCHS``, ``ARTLIB_IMAGE_SIZE``, ``ARTLIB_BATCH_SIZE``, ``ARTLIB_WORKERS``,
``ARTLIB_PRETRAINED_EPOCHS``, ``ARTLIB_PRETRAINED_SIZE``, ``ARTLIB_HPO_TRIALS``, ``ARTLIB_HPO_EPOCHS``,
``ARTLIB_PAIRS_PER_IMAGE``: integer overrides of the profile (:data:`INT_VARIABLES`)
=================  ==========================================================
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import run_status
from .data import (
    ArtTable,
    Splits,
    drop_empty_classes,
    load_csv_table,
    load_image_folder,
    load_nga,
    load_painter_by_numbers,
    load_split_folders,
    load_wga,
    load_wikiart,
    stratified_split,
)
from .data.dataset import verify_images
from .data.duplicates import drop_overlap
from .data.io import load_table, save_table

if TYPE_CHECKING:
    from .fixtures import FixturePaths

log = logging.getLogger(__name__)

PROFILES = {
    # CI: the generated fixture on a CPU in minutes
    "ci": {
        "image_size": 64,
        "batch_size": 32,
        "epochs": 8,
        "num_workers": 0,
        "pretrained_size": 96,
        "pretrained_epochs": 6,
        "train_fraction": 1.0,
        "model_scale": "small",
        "hpo_trials": 4,
        "hpo_epochs": 3,
        "pairs_per_image": 4,
        "pretrained_backbones": False,
        "tta_views": ("letterbox", "start", "end"),
        "siamese_models": (
            "simple_cnn_small:all:scratch",
            "simple_cnn_small:concat:scratch",
            "efficientnet_lite0:all:pretrained",
            "efficientnet_lite0:all:frozen",
        ),
        "progress": False,
    },
    # real data on a laptop-class CPU (2 cores): pretrained Lite models where pretraining is the point,
    # small from-scratch models on a share of the training images; the aim is the series in an hour on 7.5k images
    # (measured 2026-12-01: 35.5 min, docs/benchmarks/wikiart.md)
    "cpu": {
        "image_size": 96,
        "batch_size": 32,
        "epochs": 4,
        "num_workers": 2,
        "pretrained_size": 128,
        "pretrained_epochs": 3,
        "train_fraction": 0.3,
        "model_scale": "small",
        "hpo_trials": 4,
        "hpo_epochs": 2,
        "pairs_per_image": 2,
        "pretrained_backbones": True,
        "tta_views": ("letterbox",),
        # the seed's Siamese from scratch on the stated share, and the pretrained network as a frozen feature
        # extractor with a Siamese head (fine-tuning it end to end on pairs: the `full` profile)
        "siamese_models": ("simple_cnn_small:concat:scratch", "efficientnet_lite0:all:frozen"),
        "progress": False,
    },
    # real training on a GPU
    "full": {
        "image_size": 224,
        "batch_size": 64,
        "epochs": 30,
        "num_workers": min(8, os.cpu_count() or 1),
        "pretrained_size": 224,
        "pretrained_epochs": 30,
        "train_fraction": 1.0,
        "model_scale": "full",
        "hpo_trials": 30,
        "hpo_epochs": 12,
        "pairs_per_image": 36,
        "pretrained_backbones": True,
        "tta_views": ("letterbox", "start", "end"),
        "siamese_models": (
            "tv_alexnet:concat:scratch",
            "tv_resnet34:all:pretrained",
            "efficientnet_lite0:all:pretrained",
            "efficientnet_lite0:all:frozen",
        ),
        "progress": True,
    },
}
SPLIT_NAMES = ("train", "val", "test")


def project_root() -> Path:
    """The artlib checkout (editable install) or, failing that, the working directory."""
    here = Path(__file__).resolve().parents[1]
    if (here / "pyproject.toml").is_file() and (here / "notebooks").is_dir():
        return here
    return Path.cwd()


def default_outputs() -> Path:
    """``ARTLIB_OUTPUTS`` or the checkout's ``outputs/``: where the notebooks write, and tools read."""
    if not os.environ.get("ARTLIB_OUTPUTS"):
        return project_root() / "outputs"
    path = Path(os.environ["ARTLIB_OUTPUTS"]).expanduser()
    blocker = next((p for p in (path, *path.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise NotADirectoryError(
            f"ARTLIB_OUTPUTS={path}: {blocker} is a file, not a folder; point ARTLIB_OUTPUTS "
            "at a folder (it is made when missing)"
        )
    return path


def portable_path(path: Path) -> str:
    """``path`` relative to the folder that holds the checkout (e.g. ``shared/data/wikiart_sample``) when it lies
    there, else its last two parts (``.../datasets/wikiart``): a name for results, not for opening files."""
    path = Path(path).expanduser().resolve()
    try:
        return path.relative_to(project_root().parent).as_posix()
    except ValueError:
        return ".../" + "/".join(path.parts[-2:])


@dataclass
class Settings:
    """Where the data is, what to train on, and how hard."""

    dataset: str = "wikiart"
    data: Path | None = None
    meta: Path | None = None
    tasks: list[str] | None = None
    title_column: str | None = None  # a csv dataset's title column, when it is not called "title"
    # "official": the data's own split (WikiArt: ArtGAN train / val), else 80/10/10; "intersection": only the
    # images labelled for every task, split 80/10/10 stratified (seed 000's protocol; any multi-task data)
    protocol: str = "official"
    profile: str = "ci"
    outputs: Path = field(default_factory=lambda: project_root() / "outputs")
    image_size: int = 64  # input size of models trained from scratch
    batch_size: int = 32
    epochs: int = 8  # epochs of models trained from scratch
    num_workers: int = 0
    seed: int = 0
    pretrained_size: int = 96  # input size of pretrained (Lite) models, fine-tuned or frozen
    pretrained_epochs: int = 6
    train_fraction: float = 1.0  # share of the training split that from-scratch models train on
    model_scale: str = "small"  # "small": compact architectures (CPU); "full": ResNet-50-class ones
    hpo_trials: int = 4
    hpo_epochs: int = 3
    pairs_per_image: int = 6  # same-artist pairs drawn per painting
    pretrained_backbones: bool = False  # metric learning and comparisons start from pretrained Lite0
    tta_views: tuple[str, ...] = ("letterbox", "start", "end")  # multi-view test-time augmentation (08)
    # same-artist Siamese models of notebook 12, "backbone:combine:training" (artlib.models.siamese.parse_siamese_spec)
    siamese_models: tuple[str, ...] = ("simple_cnn_small:all:scratch", "efficientnet_lite0:all:frozen")
    progress: bool = False

    @property
    def is_fixture(self) -> bool:
        return self.data is None

    @property
    def source_label(self) -> str:
        """The data in a few words, as results and run records name it: no machine's absolute path
        (:func:`portable_path`), so committed results read the same on every machine."""
        return "generated fixture" if self.data is None else f"{self.dataset}: {portable_path(self.data)}"

    @property
    def feature_cache(self) -> Path:
        """Where frozen-network features are kept per image (``extract_features(..., cache=)``)."""
        return self.outputs / "cache" / "features"

    def out(self, *parts: str) -> Path:
        """A path under ``outputs`` whose parent folder exists."""
        path = self.outputs.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


PROTOCOLS = ("official", "intersection")
DATASETS = ("wikiart", "pbn", "nga", "wga", "imagefolder", "csv")
#: Datasets the generated fixture has; the others need ``ARTLIB_DATA``.
FIXTURE_DATASETS = ("wikiart", "pbn", "nga", "wga", "imagefolder")
#: Integer settings and the smallest value each accepts.
_MINIMUM = {
    "epochs": 1,
    "image_size": 16,
    "batch_size": 1,
    "num_workers": 0,
    "pretrained_size": 16,
    "pretrained_epochs": 1,
    "hpo_trials": 1,
    "hpo_epochs": 1,
    "pairs_per_image": 1,
}
#: The integer settings an ``ARTLIB_*`` variable overrides (``ARTLIB_EPOCHS`` and ``ARTLIB_IMAGE_SIZE`` set the
#: pretrained models' too, unless ``ARTLIB_PRETRAINED_EPOCHS`` / ``ARTLIB_PRETRAINED_SIZE`` say otherwise).
INT_VARIABLES = {name: f"ARTLIB_{'WORKERS' if name == 'num_workers' else name.upper()}" for name in _MINIMUM}


def _env_int(name: str, minimum: int) -> int:
    raw = os.environ[name]
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _validate(s: Settings) -> None:
    """Refuse settings that cannot run, naming the variable or parameter."""
    if s.dataset not in DATASETS:
        raise ValueError(f"ARTLIB_DATASET must be one of {list(DATASETS)}, got {s.dataset!r}")
    if s.protocol not in PROTOCOLS:
        raise ValueError(f"ARTLIB_PROTOCOL must be one of {list(PROTOCOLS)}, got {s.protocol!r}")
    if s.data is None and s.dataset not in FIXTURE_DATASETS:
        raise ValueError(
            f"ARTLIB_DATASET={s.dataset} needs ARTLIB_DATA (and ARTLIB_META): the built-in fixture "
            f"only has {list(FIXTURE_DATASETS)}"
        )
    for key, minimum in _MINIMUM.items():
        value = getattr(s, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
    if not 0 < s.train_fraction <= 1:
        raise ValueError(f"train_fraction must be in (0, 1], got {s.train_fraction!r}")
    if s.model_scale not in ("small", "full"):
        raise ValueError(f"model_scale must be 'small' or 'full', got {s.model_scale!r}")
    from .data.tta import VIEWS

    if isinstance(s.tta_views, str) or not s.tta_views or any(v not in VIEWS for v in s.tta_views):
        raise ValueError(f"tta_views must be a non-empty sequence of {VIEWS}, got {s.tta_views!r}")
    s.tta_views = tuple(s.tta_views)
    from .models.siamese import parse_siamese_spec

    if isinstance(s.siamese_models, str) or not s.siamese_models:
        raise ValueError(
            f"siamese_models must be a non-empty sequence of 'backbone:combine:training', got {s.siamese_models!r}"
        )
    for spec in s.siamese_models:
        parse_siamese_spec(spec)
    s.siamese_models = tuple(s.siamese_models)


def settings(**overrides: Any) -> Settings:
    """Settings from ``ARTLIB_*`` variables, then ``overrides`` (a notebook's parameters cell).

    Unknown datasets, non-integer or non-positive sizes and a missing ``ARTLIB_DATA`` path raise
    ``ValueError`` / ``FileNotFoundError`` naming the variable.
    """
    env = os.environ
    profile = overrides.pop("profile", env.get("ARTLIB_PROFILE", "ci"))
    if profile not in PROFILES:
        raise ValueError(f"ARTLIB_PROFILE must be one of {sorted(PROFILES)}, got {profile!r}")
    values: dict[str, Any] = dict(PROFILES[profile])
    for field_name, variable in INT_VARIABLES.items():
        if variable in env:
            values[field_name] = _env_int(variable, _MINIMUM[field_name])
            if field_name in ("epochs", "image_size"):  # one knob for from-scratch and pretrained models alike
                values["pretrained_" + ("epochs" if field_name == "epochs" else "size")] = values[field_name]
    data = env.get("ARTLIB_DATA")
    s = Settings(
        dataset=env.get("ARTLIB_DATASET", "wikiart").strip().lower(),
        data=Path(data).expanduser() if data else None,
        meta=Path(env["ARTLIB_META"]).expanduser() if env.get("ARTLIB_META") else None,
        tasks=[t.strip() for t in env["ARTLIB_TASKS"].split(",")] if env.get("ARTLIB_TASKS") else None,
        title_column=env.get("ARTLIB_TITLE_COLUMN") or None,
        protocol=env.get("ARTLIB_PROTOCOL", "official").strip().lower(),
        profile=profile,
        outputs=default_outputs(),
        **values,
    )
    s = replace(s, **overrides)
    _validate(s)
    if s.data is not None and not s.data.exists():
        raise FileNotFoundError(f"ARTLIB_DATA={s.data} does not exist")
    if s.meta is not None and not s.meta.exists():
        raise FileNotFoundError(f"ARTLIB_META={s.meta} does not exist")
    s.outputs.mkdir(parents=True, exist_ok=True)
    return s


def fixture_paths(s: Settings) -> FixturePaths:
    """Write (once) and return the synthetic fixture under ``data/fixture``."""
    from .fixtures import make_fixture

    return make_fixture(project_root() / "data" / "fixture")


def source_paths(s: Settings) -> tuple[str, Path, Path]:
    """``(dataset, images_root, metadata)`` for the configured source, the fixture included."""
    if s.data is not None:
        return s.dataset, s.data, s.meta or s.data
    fx = fixture_paths(s)
    return s.dataset, *{
        "wikiart": (fx.wikiart_images, fx.wikiart_csv),
        "pbn": (fx.pbn_images, fx.pbn_csv),
        "nga": (fx.nga, fx.nga),
        "wga": (fx.wga_csv.parent / "images", fx.wga_csv),
        "imagefolder": (fx.imagefolder, fx.imagefolder),
    }[s.dataset]


def load_source(s: Settings) -> dict[str, ArtTable]:
    """The configured dataset as given: ``{'all': table}`` or its own splits (e.g. train/val)."""
    dataset, images, meta = source_paths(s)
    if dataset == "wikiart":
        tables = {split: load_wikiart(meta, split, image_root=images) for split in ("train", "val")}
    elif dataset == "pbn":
        tables = {
            "all": load_painter_by_numbers(
                meta, s.tasks or ("artist", "style", "genre"), image_dir=images, min_images=1 if s.is_fixture else 10
            )
        }
    elif dataset == "nga":
        tables = {"all": load_nga(meta, s.tasks or ("style", "school", "artist"), image_dir=images)}
    elif dataset == "wga":
        tables = {"all": load_wga(meta, s.tasks or ("type", "school", "timeframe"), image_dir=images)}
    elif dataset == "imagefolder":
        subdirs = {d.name for d in Path(images).iterdir() if d.is_dir()}
        split_folders = "train" in subdirs and bool(subdirs & {"val", "test"})  # train/ + val/ or test/
        tables = load_split_folders(images) if split_folders else {"all": load_image_folder(images)}
    elif dataset == "csv":
        tasks = s.tasks or ["label"]
        table = load_csv_table(meta, tasks, root=images if s.meta else None)  # other columns kept as metadata
        if s.title_column:
            if s.title_column not in table.frame:
                raise KeyError(
                    f"ARTLIB_TITLE_COLUMN={s.title_column}: no such column in {meta} "
                    f"(columns: {list(table.frame.columns)})"
                )
            table.frame["title"] = table.frame[s.title_column]
        tables = {"all": table}
    else:
        raise ValueError(f"unknown ARTLIB_DATASET {dataset!r}")
    if s.tasks:
        tables = {k: t.select_tasks(s.tasks) for k, t in tables.items()}
    return tables


def source_signature(s: Settings) -> dict:
    """What the splits were made from: saved splits of other data are never reused."""
    return {
        "dataset": s.dataset,
        "data": str(s.data) if s.data else "fixture",
        "meta": str(s.meta) if s.meta else None,
        "tasks": s.tasks,
        "seed": s.seed,
        **({"protocol": s.protocol} if s.protocol != "official" else {}),  # official: signatures as before
    }


def labelled_for_every_task(tables: dict[str, ArtTable]) -> ArtTable:
    """The images of ``tables`` (e.g. a source's own train and val) that carry a label for every task, in one
    table: seed 000's intersection protocol. Refused when the data has one task or no such image."""
    parts = list(tables.values())
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.concat(part)
    if len(combined.tasks) < 2:
        raise ValueError(f"ARTLIB_PROTOCOL=intersection needs several tasks; the data has {combined.tasks}")
    keep = np.flatnonzero((combined.frame[combined.tasks].to_numpy() >= 0).all(axis=1))
    if not len(keep):
        raise ValueError(f"no image is labelled for every task of {combined.tasks}: no intersection to split")
    log.info("intersection protocol: %d of %d images carry all of %s", len(keep), len(combined), combined.tasks)
    return combined.subset(keep)


def prepare_splits(s: Settings, verify: bool = True) -> Splits:
    """Build train/val/test, dropping unreadable images, and save them under ``outputs/splits``.

    A source that ships a train/val (or train/test) split keeps its held-out part
    as ``test`` and carves ``val`` (10 %) out of its training part; otherwise an
    80/10/10 split stratified on the first task. Duplicates never straddle splits.
    Classes without any image in the loaded data are dropped (:func:`drop_empty_classes`).
    """
    source = load_source(s)
    if verify:
        # every image decoded once (a truncated file passes a header check, then shifts rows of features later)
        source = {k: verify_images(t, decode=True).table for k, t in source.items()}
    if s.protocol == "intersection":
        source = {"all": labelled_for_every_task(source)}
    if "all" in source:
        splits = stratified_split(source["all"], (0.8, 0.1, 0.1), SPLIT_NAMES, seed=s.seed)
    else:
        held_out = source["test"] if "test" in source else source["val"]
        train, leaked = drop_overlap(source["train"], held_out)
        inner = stratified_split(train, (0.9, 0.1), ("train", "val"), seed=s.seed)
        splits = Splits({"train": inner.train, "val": inner.val, "test": held_out}, inner.duplicates)
        leaked.to_csv(s.out("splits", "removed_test_copies.csv"), index=False)
    splits = Splits(drop_empty_classes(splits.tables), splits.duplicates)
    for name, table in splits.tables.items():
        save_table(table, s.out("splits", name))
    splits.duplicates.to_csv(s.out("splits", "duplicates.csv"), index=False)
    s.out("splits", "source.json").write_text(json.dumps(source_signature(s), indent=1))
    _record_splits(s, "prepared splits", splits.tables)
    return splits


def _record_splits(s: Settings, what: str, tables: dict[str, ArtTable]) -> None:
    run_status.used_data(
        s, what + " " + " / ".join(f"{k} {len(t)}" for k, t in tables.items()), sum(len(t) for t in tables.values())
    )


def get_splits(s: Settings) -> dict[str, ArtTable]:
    """Saved splits of notebook 00 when they were made from the configured data, else fresh ones."""
    folder = s.outputs / "splits"
    saved = json.loads((folder / "source.json").read_text()) if (folder / "source.json").is_file() else None
    if saved == source_signature(s):
        try:
            tables = {name: load_table(folder / name) for name in SPLIT_NAMES}
            _record_splits(s, "splits", tables)
            return tables
        except FileNotFoundError:
            pass
    elif saved is not None:
        log.warning(
            "saved splits in %s were made from %s, not from the configured %s: preparing new ones",
            folder,
            saved.get("data"),
            source_signature(s)["data"],
        )
    return prepare_splits(s).tables


def scratch_train(s: Settings, table: ArtTable, stratify: str | None = None) -> ArtTable:
    """The share ``s.train_fraction`` of a training table that from-scratch models train on (stratified)."""
    if s.train_fraction >= 1:
        return table
    part = stratified_split(
        table,
        (s.train_fraction, 1 - s.train_fraction),
        ("keep", "rest"),
        stratify=stratify,
        seed=s.seed,
        group_duplicates=False,
    )
    log.info(
        "from-scratch models train on %d of %d training images (train_fraction=%s)",
        len(part["keep"]),
        len(table),
        s.train_fraction,
    )
    return part["keep"]
