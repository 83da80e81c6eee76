"""A map of every painting: 2-D coordinates for millions of embeddings, drawn by datashader, zoomed by a box.

    xy = map_coordinates(vectors, method="umap")        # artlib.features.maps: any number of rows
    points = PointMap(xy[:, 0], xy[:, 1], labels)        # labels: a category per painting, or None
    view = points.full_view()                            # the whole map; view.zoomed(x0, x1, y0, y1) a part
    points.render(view, 800, 560)                        # a PIL image: every point of the view, binned to pixels
    points.clickable(view, cells=(60, 40))               # one painting per occupied cell, for clicks

Drawing a million points as marks is out of a browser's reach: datashader bins them to the image's pixels and
shades the counts (log scale; by the majority label where a label is given). A page shows that image under a
layer of :meth:`PointMap.clickable` points (one painting per occupied cell of a coarse grid, or every painting
once the view holds few enough), so a click still opens a painting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

#: a view holding at most this many paintings shows each one as a clickable point
ALL_POINTS_BELOW = 2000
#: the colours of named labels: Tableau 20 without its greys, its dark shades first, then their light ones (not
#: mixed with Tableau 10's, whose teal, pink and yellow lie within 4-11 CIELAB units of Tableau 20's light ones)
PALETTE = (
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#439894", "#b79a20", "#b279a2", "#d67195", "#9e765f",
    "#9ecae9", "#ffbf79", "#88d27a", "#ff9d98", "#83bcb6", "#f2cf5b", "#d6a5c9", "#fcbfd2", "#d8b5a5",
)  # fmt: skip
#: at most this many colours: one of the palette's for each of the most common labels, then "(other)", and
#: "(no label)" beside them (the Map page's rule: the sample's 11 styles each get their own)
MAX_LABELS = len(PALETTE) + 1
#: a label column with at most this many values is one a map can colour well (:meth:`LargeCollection.map_labels`)
FEW_LABELS = 30
#: the labels that name no class, in greys no named label has
UNNAMED = {"(other)": "#8c8c8c", "(no label)": "#d3d3d3"}


def label_colours(categories: Sequence[str]) -> dict[str, str]:
    """A colour per label, named labels first (distinct up to ``len(PALETTE)`` of them), then "(other)" and
    "(no label)" in greys: the order a legend lists them in."""
    named = [str(c) for c in categories if c not in UNNAMED]
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(named)}
    return colours | {c: UNNAMED[c] for c in UNNAMED if c in list(categories)}


def common_labels(labels: Sequence | np.ndarray, most: int = MAX_LABELS) -> pd.Categorical:
    """``labels`` as a categorical of at most ``most - 1`` named labels, each a colour of its own: all of them when
    they fit, else the commonest and "(other)" for the rest. Missing values are "(no label)" whatever their count
    (a grey of their own, never a named slot nor part of "(other)")."""
    named = pd.Series(labels, dtype=object)
    missing = (named.isna() | (named == "(no label)")).to_numpy()  # (filled in already, as the explorer's map is)
    named = named.astype(str)
    counts = named[~missing].value_counts()
    if len(counts) > most - 1:
        named = named.where(missing | named.isin(counts.index[: most - 1]), "(other)")
    return pd.Categorical(named.where(~missing, "(no label)"))


@dataclass(frozen=True)
class View:
    """The part of the map on show: x from ``x0`` to ``x1``, y from ``y0`` to ``y1``."""

    x0: float
    x1: float
    y0: float
    y1: float

    def zoomed(self, x0: float, x1: float, y0: float, y1: float, min_share: float = 1e-4) -> View:
        """The box ``x0..x1, y0..y1`` (in any order) inside this view, at least ``min_share`` of its width."""
        (x0, x1), (y0, y1) = sorted((x0, x1)), sorted((y0, y1))
        x0, x1 = max(x0, self.x0), min(x1, self.x1)
        y0, y1 = max(y0, self.y0), min(y1, self.y1)
        if x1 - x0 < min_share * (self.x1 - self.x0) or y1 - y0 < min_share * (self.y1 - self.y0):
            return self  # an empty or outside box keeps the view
        return View(float(x0), float(x1), float(y0), float(y1))


class PointMap:
    """Every painting's map coordinates (and optionally a label), drawn and picked by view."""

    def __init__(self, x: np.ndarray, y: np.ndarray, labels: Sequence | np.ndarray | None = None) -> None:
        self.x, self.y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
        if self.x.shape != self.y.shape or self.x.ndim != 1:
            raise ValueError(f"x and y must be two 1-D arrays of one length, got {self.x.shape} and {self.y.shape}")
        finite = np.isfinite(self.x) & np.isfinite(self.y)
        if not finite.all():
            raise ValueError(f"{int((~finite).sum())} paintings have no finite map coordinates")
        self.labels: pd.Categorical | None = None
        if labels is not None:
            self.labels = common_labels(labels)
            if len(self.labels) != len(self.x):
                raise ValueError(f"{len(self.labels)} labels for {len(self.x)} paintings")
        # a fixed random rank per painting: the first-ranked painting of a cell stands for the cell
        self._rank = np.random.default_rng(0).permutation(len(self.x))

    def __len__(self) -> int:
        return len(self.x)

    def full_view(self, margin: float = 0.02) -> View:
        if not len(self.x):
            return View(0.0, 1.0, 0.0, 1.0)
        pad_x = margin * max(float(np.ptp(self.x)), 1e-6)
        pad_y = margin * max(float(np.ptp(self.y)), 1e-6)
        return View(
            float(self.x.min()) - pad_x,
            float(self.x.max()) + pad_x,
            float(self.y.min()) - pad_y,
            float(self.y.max()) + pad_y,
        )

    def inside(self, view: View) -> np.ndarray:
        """The positions of the paintings inside ``view``."""
        keep = (self.x >= view.x0) & (self.x <= view.x1) & (self.y >= view.y0) & (self.y <= view.y1)
        return np.flatnonzero(keep)

    def colours(self) -> dict[str, str]:
        """The colour of each label (none without labels)."""
        return {} if self.labels is None else label_colours(list(self.labels.categories))

    def render(self, view: View, width: int = 800, height: int = 560) -> Image.Image:
        """Every painting of ``view`` binned to a ``width`` x ``height`` image (datashader), counts shaded on a log
        scale, by label where there are labels; empty pixels are transparent."""
        import datashader as ds
        import datashader.transfer_functions as tf

        frame = pd.DataFrame({"x": self.x, "y": self.y})
        canvas = ds.Canvas(plot_width=width, plot_height=height, x_range=(view.x0, view.x1), y_range=(view.y0, view.y1))
        if self.labels is None:
            image = tf.shade(canvas.points(frame, "x", "y", agg=ds.count()), cmap=["#9ecae1", "#08306b"], how="log")
        else:
            frame["label"] = self.labels
            counts = canvas.points(frame, "x", "y", agg=ds.count_cat("label"))
            image = tf.shade(counts, color_key=self.colours(), how="log", min_alpha=90)
        return tf.spread(image, px=1).to_pil()

    def figure(self, view: View | None = None, width: int = 640, height: int = 420) -> Any:
        """:meth:`render` of ``view`` (default: the whole map) as a matplotlib figure, with a legend of the labels'
        colours (a notebook's picture of the app's Map)."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        from ..utils.fonts import use_fallback_fonts

        use_fallback_fonts()  # labels in any script

        fig, ax = plt.subplots(figsize=(width / 80, height / 80))
        ax.imshow(self.render(view or self.full_view(), width, height))
        ax.set_axis_off()
        if self.labels is not None:
            handles = [Patch(color=colour, label=name) for name, colour in self.colours().items()]
            ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
        fig.tight_layout()
        return fig

    def clickable(self, view: View, cells: tuple[int, int] = (60, 40)) -> pd.DataFrame:
        """Points a click can pick in ``view``: every painting when it holds at most :data:`ALL_POINTS_BELOW`,
        else one per occupied cell of a ``cells`` grid (a fixed random one), with how many the cell holds."""
        positions = self.inside(view)
        counts = np.ones(len(positions), dtype=np.int64)
        if len(positions) > ALL_POINTS_BELOW:
            positions = positions[np.argsort(self._rank[positions], kind="stable")]
            cx = np.clip(
                ((self.x[positions] - view.x0) / (view.x1 - view.x0) * cells[0]).astype(np.int64), 0, cells[0] - 1
            )
            cy = np.clip(
                ((self.y[positions] - view.y0) / (view.y1 - view.y0) * cells[1]).astype(np.int64), 0, cells[1] - 1
            )
            _, first, counts = np.unique(cy * cells[0] + cx, return_index=True, return_counts=True)
            positions = positions[first]
        out = pd.DataFrame({"position": positions, "x": self.x[positions], "y": self.y[positions], "in_cell": counts})
        if self.labels is not None:
            out["label"] = np.asarray(self.labels[positions])
        return out
