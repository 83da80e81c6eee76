import numpy as np
import pytest

from artlib.collection.point_map import ALL_POINTS_BELOW, MAX_LABELS, PointMap, View, common_labels


def _blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    centre = rng.integers(0, 4, n)
    xy = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])[centre] + rng.normal(size=(n, 2))
    return xy[:, 0], xy[:, 1], np.array(["a", "b", "c", "d"])[centre]


def test_render_draws_every_point_of_the_view_and_zoom_keeps_inside():
    pytest.importorskip("datashader")
    x, y, labels = _blobs(20_000)
    points = PointMap(x, y, labels)
    full = points.full_view()
    picture = np.asarray(points.render(full, 200, 140))
    assert picture.shape == (140, 200, 4) and (picture[..., 3] > 0).mean() > 0.05  # drawn, not blank
    corner = full.zoomed(-5, 5, -5, 5)  # one blob only: the other corners are empty
    zoomed = np.asarray(points.render(corner, 200, 140))
    assert (zoomed[..., 3] > 0).sum() > 0 and set(points.colours()) == {"a", "b", "c", "d"}
    assert full.zoomed(100, 200, 100, 200) == full  # a box outside keeps the view
    assert full.zoomed(5, -5, 5, -5) == corner  # drawn from either corner


def test_clickable_points_cover_every_occupied_cell_or_every_painting():
    x, y, labels = _blobs(30_000, seed=1)
    points = PointMap(x, y, labels)
    view = points.full_view()
    picked = points.clickable(view, cells=(30, 20))
    assert len(picked) <= 30 * 20 and picked["in_cell"].sum() == 30_000
    assert picked["position"].is_unique and set(picked["label"]) <= {"a", "b", "c", "d"}
    assert points.clickable(view, cells=(30, 20))["position"].tolist() == picked["position"].tolist()  # stable
    small = view.zoomed(9.8, 10.2, 9.8, 10.2)
    inside = points.inside(small)
    assert 0 < len(inside) <= ALL_POINTS_BELOW
    assert sorted(points.clickable(small)["position"]) == sorted(inside)  # each painting, once zoomed in


def test_labels_past_the_palette_become_other_and_bad_points_are_refused():
    named = common_labels([f"artist {i % 50}" for i in range(1000)] + ["artist 0"] * 100)
    assert len(named.categories) == MAX_LABELS and "(other)" in named.categories and "artist 0" in named.categories
    assert list(common_labels(["a", None, "a"])) == ["a", "(no label)", "a"]
    eleven = common_labels([f"style {i % 11}" for i in range(110)])  # the sample's 11 styles: a colour each
    assert len(eleven.categories) == 11 and "(other)" not in eleven.categories
    rare = common_labels([f"artist {i % 30}" for i in range(3000)] + [None])  # one painting names no artist
    assert "(no label)" in rare.categories and len(rare.categories) == MAX_LABELS + 1  # 18 named, other, none
    nineteen = common_labels([f"style {i % 19}" for i in range(190)])  # one more than the palette's colours
    assert "(other)" in nineteen.categories and len(nineteen.categories) == MAX_LABELS
    with pytest.raises(ValueError, match="no finite map coordinates"):
        PointMap(np.array([0.0, np.nan]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="labels for"):
        PointMap(np.zeros(3), np.zeros(3), ["a"])
    assert PointMap(np.zeros(0), np.zeros(0)).full_view() == View(0.0, 1.0, 0.0, 1.0)


def test_the_notebook_figure_has_a_legend_of_the_labels():
    pytest.importorskip("datashader")
    x, y, labels = _blobs(2000, seed=2)
    fig = PointMap(x, y, labels).figure(width=320, height=200)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "c", "d"]
    assert PointMap(x, y).figure(width=320, height=200).axes[0].get_legend() is None


def test_each_named_label_has_its_own_colour_and_unnamed_ones_are_grey():
    from artlib.collection.point_map import PALETTE, UNNAMED, label_colours

    rng = np.random.default_rng(0)
    for _ in range(20):
        named = [f"artist {i}" for i in range(int(rng.integers(0, 30)))]
        unnamed = [u for u in UNNAMED if rng.random() < 0.5]
        categories = list(rng.permutation(named + unnamed))
        colours = label_colours(categories)
        assert set(colours) == set(categories)
        assert list(colours)[len(named) :] == [u for u in UNNAMED if u in unnamed]  # greys last in the legend
        in_order = [c for c in categories if c not in UNNAMED]
        shown = [colours[n] for n in in_order[: len(PALETTE)]]  # the first named labels: one colour each
        assert len(set(shown)) == len(shown) and not set(shown) & set(UNNAMED.values())
        assert all(colours[u] == UNNAMED[u] for u in unnamed)


@pytest.mark.parametrize("seed", range(8))
def test_drawn_label_sets_get_a_colour_each_up_to_the_palette(seed):
    """Collections of 1-40 labels of any frequencies (missing values included): every label keeps its own colour
    while they fit the palette; past it, the commonest keep theirs and the rest are "(other)"; missing values are
    "(no label)" however few, and never take a label's colour."""
    from artlib.collection.point_map import PALETTE, label_colours

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 41))
    values = rng.choice([f"label {i}" for i in range(n)], size=2000, p=rng.dirichlet(np.ones(n)))
    values = np.where(rng.random(2000) < 0.05, None, values)  # some paintings name none
    named = {v for v in values if v is not None}
    labels = common_labels(values)
    colours = label_colours(list(labels.categories))
    shown = set(labels.categories) - {"(other)", "(no label)"}
    assert ("(other)" in labels.categories) == (len(named) > len(PALETTE))
    assert shown == named if len(named) <= len(PALETTE) else len(shown) == len(PALETTE)
    assert len({colours[c] for c in shown}) == len(shown)  # no two named labels share a colour
    assert (np.asarray(labels) == "(no label)").sum() == sum(v is None for v in values)  # kept apart, every one
    filled = common_labels(np.where(values == None, "(no label)", values))  # noqa: E711  (as the explorer fills them)
    assert list(filled) == list(labels)


def _lab(colour: str) -> np.ndarray:
    """CIELAB (D65) of a hex colour: distances there follow what the eye tells apart."""
    from matplotlib.colors import to_rgb

    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))  # (every palette colour is far above the linear toe)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_the_palette_colours_are_told_apart():
    from itertools import combinations

    from artlib.collection.point_map import PALETTE, UNNAMED

    colours = [*PALETTE, *UNNAMED.values()]
    nearest = min(float(np.linalg.norm(_lab(a) - _lab(b))) for a, b in combinations(colours, 2))
    assert len(set(PALETTE)) == 18 and nearest >= 12  # two artists on one map never look alike (ΔE >= 12)
