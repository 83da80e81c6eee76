"""Figures for EDA, augmentation and training (matplotlib + seaborn)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .data.images import ImageLoadError, image_size, load_rgb
from .data.table import ArtTable
from .utils.fonts import use_fallback_fonts

use_fallback_fonts()  # names in any script (a museum's Chinese titles), not boxes


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = 120) -> Path:
    """Save ``fig`` (creating folders) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def plot_class_balance(table: ArtTable, tasks: Sequence[str] | None = None, top: int = 30) -> plt.Figure:
    """Bar chart of images per class for each task (largest ``top`` classes)."""
    tasks = list(tasks or table.tasks)
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=False):
        counts = table.counts(task).sort_values(ascending=False).head(top)
        sns.barplot(x=counts.to_numpy(), y=[str(i) for i in counts.index], ax=ax, color="steelblue")
        missing = int((table.frame[task] < 0).sum())
        ax.set_title(f"{task} ({len(table.classes[task])} classes, {missing} unlabelled)")
        ax.set_xlabel("images")
    fig.tight_layout()
    return fig


def image_sizes(table: ArtTable, sample: int | None = 2000, seed: int = 0) -> pd.DataFrame:
    """Width and height read from headers of up to ``sample`` images (unreadable ones skipped)."""
    paths = table.image_paths()
    idx = np.arange(len(paths))
    if sample is not None and len(idx) > sample:
        idx = np.random.default_rng(seed).choice(idx, sample, replace=False)
    rows = []
    for i in idx:
        try:
            w, h = image_size(paths[i])
            rows.append({"path": table.frame["path"].iloc[i], "width": w, "height": h})
        except ImageLoadError:
            continue
    frame = pd.DataFrame(rows, columns=["path", "width", "height"])
    frame["aspect"] = frame["width"] / frame["height"]
    return frame


def plot_image_sizes(sizes: pd.DataFrame) -> plt.Figure:
    """Scatter of width vs height with marginal histograms, plus the aspect-ratio histogram."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    sns.scatterplot(data=sizes, x="width", y="height", s=12, alpha=0.6, ax=axes[0])
    axes[0].set_title(f"image sizes (n={len(sizes)})")
    sns.histplot(sizes["aspect"], bins=30, ax=axes[1])
    axes[1].set_title("aspect ratio (width / height)")
    fig.tight_layout()
    return fig


def plot_query_results(
    paths: Sequence[str | Path], captions: Sequence[str], scores: Sequence[float], title: str
) -> plt.Figure:
    """The paintings a query found, in a row: each captioned (22 characters) with its similarity."""
    from .data.images import load_rgb

    labels = [f"{str(c)[:22]}\n{s:.2f}" for c, s in zip(captions, scores, strict=True)]
    fig = plot_image_grid([load_rgb(p) for p in paths], labels, cols=len(labels))
    fig.suptitle(title, y=1.08)
    return fig


def plot_image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    cols: int = 6,
    size: float = 2.0,
    title_colors: Sequence[str] | None = None,
) -> plt.Figure:
    """Images (HxWx3 uint8 or float in [0, 1]) in a grid with optional captions."""
    n = max(len(images), 1)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.3), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k])
            if titles is not None:
                color = title_colors[k] if title_colors is not None else "black"
                ax.set_title(str(titles[k]), fontsize=8, color=color)
    fig.tight_layout()
    return fig


def plot_samples(table: ArtTable, task: str | None = None, n: int = 12, seed: int = 0, cols: int = 6) -> plt.Figure:
    """Random readable images of ``table`` captioned with their ``task`` label."""
    task = task or table.tasks[0]
    rng = np.random.default_rng(seed)
    paths = table.image_paths()
    names = table.label_names(task)
    images: list[np.ndarray] = []
    titles: list[str] = []
    for i in rng.permutation(len(paths)):
        if len(images) == n:
            break
        try:
            images.append(load_rgb(paths[i]))
            titles.append("(unlabelled)" if pd.isna(names.iloc[i]) else names.iloc[i])
        except ImageLoadError:
            continue
    return plot_image_grid(images, titles, cols=cols)


def plot_augmentations(image: np.ndarray, transform: Callable[..., dict], n: int = 8, cols: int = 4) -> plt.Figure:
    """The original image and ``n`` draws of ``transform`` (an albumentations pipeline)."""
    from .data.transforms import denormalize

    out = [image]
    for _ in range(n):
        aug = transform(image=image)["image"]
        out.append(denormalize(aug) if hasattr(aug, "permute") else aug)
    return plot_image_grid(out, ["original"] + [f"draw {i + 1}" for i in range(n)], cols=cols)


def plot_history(history: pd.DataFrame, metrics: Sequence[str] | None = None) -> plt.Figure:
    """Loss curves and validation metrics against the epoch."""
    metrics = list(metrics or [c for c in history.columns if c.startswith("val_") and c != "val_loss"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for col in ("train_loss", "val_loss"):
        if col in history:
            axes[0].plot(history["epoch"], history[col], marker="o", label=col)
    axes[0].set_xlabel("epoch")
    axes[0].set_title("loss")
    axes[0].legend()
    for col in metrics:
        axes[1].plot(history["epoch"], history[col], marker=".", label=col)
    axes[1].set_xlabel("epoch")
    axes[1].set_title("validation metrics")
    axes[1].set_ylim(0, 1.02)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_runs(histories: dict[str, pd.DataFrame], metric: str = "val_macro_f1", title: str = "") -> plt.Figure:
    """One validation metric against the epoch for several training runs (one line each)."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, history in histories.items():
        ax.plot(history["epoch"], history[metric], marker="o", label=name)
    ax.set(xlabel="epoch", ylabel=metric.replace("val_", "validation ").replace("_", " "), title=title)
    ax.legend()
    return fig


def plot_confusion_matrix(
    cm: np.ndarray, class_names: Sequence[str], normalize: bool = True, title: str = "", max_classes: int = 40
) -> plt.Figure:
    """Heatmap of a confusion matrix (rows: true label), row-normalised by default."""
    cm = np.asarray(cm, dtype=np.float64)
    if normalize:
        cm = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
    k = min(len(class_names), max_classes)
    side = max(4, 0.35 * k + 2)
    fig, ax = plt.subplots(figsize=(side + 1, side))
    sns.heatmap(
        cm[:k, :k],
        annot=k <= 12,
        fmt=".2f" if normalize else ".0f",
        cmap="Blues",
        xticklabels=list(class_names)[:k],
        yticklabels=list(class_names)[:k],
        ax=ax,
        vmin=0,
        vmax=1 if normalize else None,
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or ("confusion matrix (row-normalised)" if normalize else "confusion matrix"))
    fig.tight_layout()
    return fig


def plot_intervals(
    table: pd.DataFrame, metric: str = "accuracy", target: float | None = None, title: str = ""
) -> plt.Figure:
    """Forest plot of ``metric`` with its interval per row of a
    :func:`~artlib.evaluation.significance.compare_classifiers`
    table (columns ``metric``, ``metric_low``, ``metric_high``); the reference row in black, a dashed
    line at ``target``."""
    missing = [c for c in (metric, f"{metric}_low", f"{metric}_high") if c not in table.columns]
    if missing:
        raise KeyError(f"the table lacks {missing}: pass a compare_classifiers table")
    rows = table.iloc[::-1]  # first row on top
    y = np.arange(len(rows))
    reference = table.attrs.get("reference")
    colours = ["black" if name == reference else "tab:blue" for name in rows.index]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.2))
    est = rows[metric].to_numpy(float)
    err = np.stack([est - rows[f"{metric}_low"].to_numpy(float), rows[f"{metric}_high"].to_numpy(float) - est])
    for i in range(len(rows)):
        ax.errorbar(est[i], y[i], xerr=err[:, i : i + 1], fmt="o", color=colours[i], capsize=3)
    if target is not None:
        ax.axvline(target, color="tab:red", linestyle="--", label=f"target {target:g}")
        ax.legend(loc="best")
    ax.set_yticks(y, [str(name) for name in rows.index])
    confidence = table.attrs.get("confidence", 0.95)
    ax.set_xlabel(f"{metric.replace('_', ' ')} ({confidence:.0%} interval)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_embedding_maps(maps: dict[str, np.ndarray], hue: pd.Series, hue_name: str) -> plt.Figure:
    """2-D maps (e.g. UMAP of image and title embeddings) side by side, points coloured by ``hue``
    (a legend when it has at most 12 values)."""
    fig, axes = plt.subplots(1, len(maps), figsize=(5.5 * len(maps), 4.5), squeeze=False)
    for ax, (name, xy) in zip(axes[0], maps.items(), strict=True):
        sns.scatterplot(x=xy[:, 0], y=xy[:, 1], hue=hue, s=12, ax=ax, legend=ax is axes[0][-1] and hue.nunique() <= 12)
        ax.set_title(f"{name} embeddings (UMAP), colour: {hue_name}")
    return fig


def plot_pair_curves(same: np.ndarray, scores: dict[str, np.ndarray]) -> plt.Figure:
    """ROC, precision-recall and calibration curves of same/different scores, one line per model."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(same, s)
        axes[0].plot(fpr, tpr, label=name)
        prec, rec, _ = precision_recall_curve(same, s)
        axes[1].plot(rec, prec, label=name)
        frac, mean = calibration_curve(same, np.clip(s, 0, 1), n_bins=8)
        axes[2].plot(mean, frac, marker="o", label=name)
    axes[0].plot([0, 1], [0, 1], "k:")
    axes[2].plot([0, 1], [0, 1], "k:")
    axes[0].set(title="ROC", xlabel="false positive rate")
    axes[1].set(title="precision-recall", xlabel="recall")
    axes[2].set(title="calibration", xlabel="predicted probability")
    for ax in axes:
        ax.legend(fontsize=8)
    return fig
