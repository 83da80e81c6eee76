"""Every setting of a run in one place: :class:`Settings` (defaults: the ``ci`` profile), :data:`PROFILES` (what
the ``cpu`` and ``full`` profiles change), ``ARTLIB_*`` variables, then a notebook's ``OVERRIDES``, in that order.

Environment variables (all optional): ``ARTLIB_<FIELD>`` for every field of :class:`Settings` (:data:`VARIABLES`),
e.g.

========================  ==========================================================
``ARTLIB_DATA``           images root of a real dataset (unset: the generated fixture)
``ARTLIB_DATASET``        ``wikiart`` (default) | ``pbn`` | ``nga`` | ``wga`` | ``imagefolder`` | ``csv``
                          (the registered datasets, :mod:`artlib.data.sources`)
``ARTLIB_META``           metadata location (ArtGAN csv folder, ``train_info.csv``,
                          NGA folder, WGA csv, labels csv); defaults to ``ARTLIB_DATA``
``ARTLIB_TASKS``          comma-separated tasks to keep (e.g. ``style,genre``)
``ARTLIB_PROFILE``        ``ci`` (fixture, CPU, minutes), ``cpu`` (real data on 2 cores, < 1 h for 7.5k images)
                          or ``full`` (real training on a GPU)
``ARTLIB_PROTOCOL``       ``official`` (the data's own split) | ``intersection`` (seed 000's)
``ARTLIB_OUTPUTS``        where figures, tables and checkpoints go (default ``outputs/``)
``ARTLIB_TITLE_COLUMN``   the column of a ``csv`` dataset that holds titles, when it is not called ``title``
``ARTLIB_DATASET_MODULES`` modules of user code to import for their ``@register_dataset`` (comma-separated;
                          packages can declare them as ``artlib.datasets`` entry points instead)
``ARTLIB_EPOCHS``, ...    numbers: ``ARTLIB_EPOCHS`` and ``ARTLIB_IMAGE_SIZE`` also set the pretrained models'
                          unless ``ARTLIB_PRETRAINED_EPOCHS`` / ``ARTLIB_PRETRAINED_SIZE`` say otherwise;
                          ``ARTLIB_WORKERS`` sets ``num_workers``; ``ARTLIB_SEED``, ``ARTLIB_TRAIN_FRACTION``...
``ARTLIB_THREADS``        torch's CPU threads (default: every core); a run repeats bit for bit only with the
                          same count, so a result records it (``measured_on``)
========================  ==========================================================

The data pipeline that reads these settings (load, verify, split) is :mod:`artlib.data.prepare`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .utils.paths import checkout_root as checkout_root  # re-exported: where artlib runs from
from .utils.paths import project_root

log = logging.getLogger(__name__)


#: Registered model names by role, for each ``model_scale``: the notebooks ask ``cfg.architecture(role)``.
ARCHITECTURES = {
    "small": {  # compact recipes that train on a CPU
        "baseline": "simple_cnn_small",  # notebook 03
        "hpo": "simple_cnn_tiny",  # notebook 04's search
        "rla": "rla_resnet_compact",  # notebooks 05, 06
        "cnn_gru": "cnn_gru_compact",  # notebook 07
        "scratch_backbone": "simple_cnn_small",  # metric learning without pretrained backbones (10)
        "pair_classifier": "simple_cnn_small",  # classify-then-compare (12)
    },
    "full": {  # the studies' architectures (a GPU)
        "baseline": "simple_cnn",
        "hpo": "simple_cnn",
        "rla": "rla_resnet",  # ResNet-50 depth
        "cnn_gru": "cnn_gru_resnet34",
        "scratch_backbone": "simple_cnn",
        "pair_classifier": "tv_resnet34",
    },
}
#: The pretrained backbone of metric learning, frozen features and Siamese heads (``pretrained_backbones``).
PRETRAINED_BACKBONE = "efficientnet_lite0"


def default_outputs() -> Path:
    """``ARTLIB_OUTPUTS`` or the checkout's ``outputs/``: where the notebooks write, and tools read."""
    value = os.environ.get("ARTLIB_OUTPUTS", "").strip()  # stripped as every other variable ("out " is "out")
    if not value:
        return project_root() / "outputs"
    return _outputs_folder(Path(value).expanduser())


def _outputs_folder(path: Path) -> Path:
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
    """Where the data is, what to train on, and how hard. The defaults are the ``ci`` profile."""

    # the data
    dataset: str = "wikiart"
    data: Path | None = None  # None: the generated fixture
    meta: Path | None = None
    tasks: tuple[str, ...] | None = None
    title_column: str | None = None  # a csv dataset's title column, when it is not called "title"
    # "official": the data's own split (WikiArt: ArtGAN train / val), else 80/10/10; "intersection": only the
    # images labelled for every task, split 80/10/10 stratified (seed 000's protocol; any multi-task data)
    protocol: str = "official"
    profile: str = "ci"
    outputs: Path = field(default_factory=lambda: project_root() / "outputs")
    seed: int = 0
    # torch's CPU threads (0: torch's default, the machine's cores). Results depend on it bit for bit: set it to a
    # recorded result's `measured_on.torch_threads` to repeat that run exactly (docs/benchmarks/infrastructure.md)
    threads: int = 0
    # models trained from scratch
    image_size: int = 64
    batch_size: int = 32
    epochs: int = 6
    num_workers: int = 0
    train_fraction: float = 1.0  # share of the training split that from-scratch models train on
    train_images: int = 0  # at most this many of them (0: no cap); neither cuts below MIN_SCRATCH_IMAGES
    model_scale: str = "small"  # ARCHITECTURES: "small" compact recipes (CPU), "full" the studies' (GPU)
    # pretrained (Lite) models, fine-tuned or frozen
    pretrained_size: int = 96
    pretrained_epochs: int = 3
    pretrained_backbones: bool = False  # metric learning starts from PRETRAINED_BACKBONE (else scratch_backbone)
    feature_backbone: str = PRETRAINED_BACKBONE  # the frozen network whose features notebooks 11-14 use
    tta_views: tuple[str, ...] = ("letterbox", "start", "end")  # test-time views 08 tries (chosen on validation)
    # hyper-parameter search (04)
    hpo_trials: int = 4
    hpo_epochs: int = 3
    # same-artist pairs (12)
    min_artist_works: int = 10  # artists with fewer works are left out of the pairs
    # painters held out of training (12: their pairs are "unseen", as in Painter by Numbers; 11b: the share of other
    # painters with >= min_artist_works paintings that identity is measured on); the fixture's 9 other painters: 0.4
    unseen_artist_share: float = 0.4
    # who painted it (11b): the frozen network's input size for the whole painting (details: half of it, at full
    # resolution) and the identity head's epochs (the recipe: artlib.identity.embedding.IdentityRecipe)
    identity_size: int = 64
    identity_epochs: int = 15
    pairs_per_image: int = 2  # pairs drawn per painting for Siamese networks that decode images
    frozen_pairs_per_image: int = 12  # pairs per painting for heads on frozen features (no decoding: cheap)
    head_epochs: int = 10  # epochs of a Siamese head on frozen features
    # Siamese models, "backbone:combine:training" (artlib.models.siamese.parse_siamese_spec)
    # (the fixture: one from scratch and a head on the frozen pretrained network; the unit tests train the other
    # combinations, the pretrained network fine-tuned on pairs included)
    siamese_models: tuple[str, ...] = ("simple_cnn_small:all:scratch", "efficientnet_lite0:all:frozen")
    progress: bool = False  # progress bars while training

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

    def architecture(self, role: str) -> str:
        """The registered model name this profile uses for ``role`` (:data:`ARCHITECTURES`)."""
        roles = ARCHITECTURES[self.model_scale]
        if role not in roles:
            raise KeyError(f"no architecture for role {role!r}; roles: {sorted(roles)}")
        return roles[role]

    @property
    def embedding_recipe(self) -> tuple[str, int, int]:
        """``(backbone, image size, epochs)`` of metric learning: pretrained when the profile says so."""
        if self.pretrained_backbones:
            return PRETRAINED_BACKBONE, self.pretrained_size, self.pretrained_epochs
        return self.architecture("scratch_backbone"), self.image_size, self.epochs

    def out(self, *parts: str) -> Path:
        """A path under ``outputs`` whose parent folder exists."""
        path = self.outputs.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def run_dir(self, name: str) -> Path:
        """The checkpoint folder of training run ``name`` (``outputs/checkpoints/<name>``), created."""
        folder = self.outputs / "checkpoints" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


#: What each profile changes in the defaults (the ``ci`` profile: the generated fixture on a CPU in minutes).
PROFILES: dict[str, dict[str, Any]] = {
    "ci": {},
    # real data on a laptop-class CPU (2 cores): pretrained Lite models where pretraining is the point,
    # small from-scratch models on a share of the training images; the aim is the series in an hour on 7.5k images
    # (measured 2026-12-02: 27.2 min, docs/benchmarks/wikiart.md)
    "cpu": {
        "image_size": 96,
        "epochs": 3,
        "num_workers": 2,
        "pretrained_size": 128,
        "train_images": 1500,  # the intent: minutes per model on 2 cores, so a cap (a small split is not cut)
        "hpo_epochs": 2,
        "pretrained_backbones": True,
        "tta_views": ("letterbox",),
        "unseen_artist_share": 0.2,
        "identity_size": 224,  # the WikiArt sample's full resolution: its 112 px details are native pixels
        "identity_epochs": 40,
        # the seed's Siamese from scratch on the stated share, and the pretrained network as a frozen feature
        # extractor with a Siamese head (fine-tuning it end to end on pairs: the `full` profile)
        "siamese_models": ("simple_cnn_small:concat:scratch", "efficientnet_lite0:all:frozen"),
    },
    # real training on a GPU
    "full": {
        "image_size": 224,
        "batch_size": 64,
        "epochs": 30,
        "num_workers": min(8, os.cpu_count() or 1),
        "pretrained_size": 224,
        "pretrained_epochs": 30,
        "model_scale": "full",
        "hpo_trials": 30,
        "hpo_epochs": 12,
        "pairs_per_image": 36,
        "unseen_artist_share": 0.2,
        "identity_size": 448,
        "identity_epochs": 60,
        "pretrained_backbones": True,
        "siamese_models": (
            "tv_alexnet:concat:scratch",
            "tv_resnet34:all:pretrained",
            "efficientnet_lite0:all:pretrained",
            "efficientnet_lite0:all:frozen",
        ),
        "progress": True,
    },
}

PROTOCOLS = ("official", "intersection")
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
    "frozen_pairs_per_image": 1,
    "head_epochs": 1,
    "identity_size": 64,  # its details (half) at 32 px: the smallest a Lite network takes
    "identity_epochs": 1,
    "min_artist_works": 2,
    "seed": 0,
    "train_images": 0,
    "threads": 0,
}
#: Shares and their bounds: ``train_fraction`` in (0, 1], ``unseen_artist_share`` in [0, 0.9] (0: no artist held
#: out); a share in :data:`_OPEN_BELOW` must be above its lower bound.
_SHARES = {"train_fraction": (0.0, 1.0), "unseen_artist_share": (0.0, 0.9)}
_OPEN_BELOW = {"train_fraction"}
#: The environment variable of every setting (``profile`` is ``ARTLIB_PROFILE``, read first).
VARIABLES = {
    f.name: f"ARTLIB_{'WORKERS' if f.name == 'num_workers' else f.name.upper()}"
    for f in dataclasses.fields(Settings)
    if f.name != "profile"
}
_PATHS = ("data", "meta", "outputs")
_SEQUENCES = ("tasks", "tta_views", "siamese_models")
_BOOLS = {"pretrained_backbones", "progress"}
_FLOATS = set(_SHARES)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _from_env(name: str, raw: str) -> Any:
    """The value of setting ``name`` written as text in its variable, refused with the variable's name."""
    variable = VARIABLES[name]
    text = raw.strip()
    if name in _PATHS:
        return Path(text).expanduser() if text else None
    if name in _SEQUENCES:
        items = tuple(t.strip() for t in text.split(",") if t.strip())
        return items or None
    if name in _BOOLS:
        if text.lower() not in _TRUE | _FALSE:
            raise ValueError(f"{variable} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")
        return text.lower() in _TRUE
    if name in _FLOATS:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{variable} must be a number, got {raw!r}") from None
    if name in _MINIMUM:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{variable} must be an integer >= {_MINIMUM[name]}, got {raw!r}") from None
        if value < _MINIMUM[name]:
            raise ValueError(f"{variable} must be >= {_MINIMUM[name]}, got {value}")
        return value
    return text.lower() if name in ("dataset", "protocol", "model_scale") else (text or None)


def _validate(s: Settings) -> None:
    """Refuse settings that cannot run, naming the variable or parameter."""
    from .data.sources import get_dataset, list_datasets  # the registered datasets

    get_dataset(s.dataset)  # an unknown name: ValueError listing the registered
    if s.protocol not in PROTOCOLS:
        raise ValueError(f"ARTLIB_PROTOCOL must be one of {list(PROTOCOLS)}, got {s.protocol!r}")
    if s.data is None and get_dataset(s.dataset).fixture is None:
        raise ValueError(
            f"ARTLIB_DATASET={s.dataset} needs ARTLIB_DATA (and ARTLIB_META): the built-in fixture "
            f"only has {list_datasets(fixture_only=True)}"
        )
    for key, minimum in _MINIMUM.items():
        value = getattr(s, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
    for key, (low, high) in _SHARES.items():
        value, open_below = getattr(s, key), key in _OPEN_BELOW
        if not (low < value if open_below else low <= value) or not value <= high:
            raise ValueError(f"{key} must be in {'(' if open_below else '['}{low:g}, {high:g}], got {value!r}")
    if s.model_scale not in ARCHITECTURES:
        raise ValueError(f"model_scale must be one of {sorted(ARCHITECTURES)}, got {s.model_scale!r}")
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
    from .models.registry import require_registered

    require_registered(s.feature_backbone, "feature_backbone")  # else notebooks 08 and 11-15 fail when they build it
    if isinstance(s.tasks, str):
        s.tasks = tuple(t.strip() for t in s.tasks.split(",") if t.strip())
    elif s.tasks is not None:
        s.tasks = tuple(s.tasks)
    if s.tasks is not None:  # a task named twice is one task (the data signature names it once)
        s.tasks = tuple(dict.fromkeys(s.tasks))


def settings(**overrides: Any) -> Settings:
    """Settings: the defaults, the profile's changes, ``ARTLIB_*`` variables, then ``overrides`` (a notebook's
    parameters cell), each over the one before.

    Unknown settings and datasets, non-integer or non-positive sizes and a missing data path raise ``ValueError`` /
    ``FileNotFoundError`` naming the variable or parameter.
    """
    env = os.environ
    profile = overrides.pop("profile", env.get("ARTLIB_PROFILE", "ci"))
    if profile not in PROFILES:
        raise ValueError(f"ARTLIB_PROFILE must be one of {sorted(PROFILES)}, got {profile!r}")
    unknown = sorted(set(overrides) - set(VARIABLES))
    if unknown:
        raise TypeError(f"unknown setting(s) {unknown}; settings: {sorted(VARIABLES)}")
    values: dict[str, Any] = {"profile": profile, **PROFILES[profile], "outputs": default_outputs()}
    for name, variable in VARIABLES.items():
        if name != "outputs" and env.get(variable, "").strip():
            values[name] = _from_env(name, env[variable])
    for name in ("epochs", "image_size"):  # one knob for from-scratch and pretrained models alike
        pretrained = "pretrained_" + ("epochs" if name == "epochs" else "size")
        if env.get(VARIABLES[name], "").strip() and not env.get(VARIABLES[pretrained], "").strip():
            values[pretrained] = values[name]
            log.info(
                "%s=%s also sets %s (set %s to differ)",
                VARIABLES[name],
                values[name],
                pretrained,
                VARIABLES[pretrained],
            )
    for name in _PATHS:  # a notebook may write paths as text
        if isinstance(overrides.get(name), str):
            overrides[name] = Path(overrides[name]).expanduser()
    if "outputs" in overrides:
        overrides["outputs"] = _outputs_folder(overrides["outputs"])
    s = replace(Settings(**values), **overrides)
    _validate(s)
    if s.data is not None and not s.data.exists():
        raise FileNotFoundError(f"ARTLIB_DATA={s.data} does not exist")
    if s.meta is not None and not s.meta.exists():
        raise FileNotFoundError(f"ARTLIB_META={s.meta} does not exist")
    s.outputs.mkdir(parents=True, exist_ok=True)
    return s
