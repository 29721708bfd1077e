"""matplotlib plots: each returns its Figure, accepts an Axes, and draws the right data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from autograd import Value
from viz import plots


def test_activation_derivative_comes_from_the_engine():
    fig = plots.plot_activation("sigmoid", xlim=(-4, 4), points=81)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    f_line, d_line = (line for line in ax.lines if line.get_label().startswith("sigmoid"))
    xs = f_line.get_xdata()
    s = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(f_line.get_ydata(), s, rtol=1e-12)
    np.testing.assert_allclose(d_line.get_ydata(), s * (1 - s), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(plots.ACTIVATIONS))
def test_every_activation_matches_finite_differences(name):
    xs = np.array([-2.3, -0.7, 0.4, 1.9])  # away from kinks
    _, ds = plots.activation_and_derivative(plots.ACTIVATIONS[name], xs)
    eps = 1e-6
    for x, d in zip(xs, ds):
        up = plots.ACTIVATIONS[name](Value(x + eps)).data
        down = plots.ACTIVATIONS[name](Value(x - eps)).data
        assert d == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)


def test_relu_kink_follows_pytorch():
    _, ds = plots.activation_and_derivative(plots.ACTIVATIONS["relu"], np.array([0.0]))
    assert ds[0] == 0.0


def test_activation_accepts_axes_and_callables():
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_activation(lambda v: v * v, ax=ax) is fig
    d_line = ax.lines[-1]
    np.testing.assert_allclose(d_line.get_ydata(), 2 * ax.lines[-2].get_xdata(), atol=1e-12)
    with pytest.raises(ValueError, match="unknown activation"):
        plots.plot_activation("swishy")


def test_activation_grid():
    fig = plots.plot_activations()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(plots.ACTIVATIONS)


def test_activations_come_from_the_op_registry_in_the_lectures_order():
    from autograd.ops import REGISTRY, activations

    assert set(plots.ACTIVATIONS) == set(activations())
    assert all(plots.ACTIVATIONS[name] is REGISTRY[name] for name in plots.ACTIVATIONS)
    # The lecture's order (registry order puts sign last and tanh first).
    assert list(plots.ACTIVATIONS) == [
        "sign", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "mish"
    ]
    assert plots.ACTIVATIONS["leaky_relu"](Value(-2.0)).data == pytest.approx(-0.02)


def test_figsize_sets_the_size_of_a_new_figure():
    assert tuple(plots.plot_activations(figsize=(10, 5)).get_size_inches()) == (10, 5)
    assert tuple(plots.plot_activations(["relu"]).get_size_inches()) == pytest.approx((3.6, 2.9))
    assert tuple(plots.plot_activation("tanh", figsize=(3, 2)).get_size_inches()) == (3, 2)
    losses = plots.plot_loss_curves([1.0, 0.5], figsize=(4, 3))
    assert tuple(losses.get_size_inches()) == (4, 3)
    paths = plots.plot_optimizer_paths(lambda X, Y: X**2 + Y**2, {"p": np.ones((2, 2))},
                                       resolution=10, figsize=(5, 5))
    assert tuple(paths.get_size_inches()) == (5, 5)
    for bad in [(0, 3), (4,), "big", (4, float("nan")), (True, 3)]:
        with pytest.raises(ValueError, match=r"figsize must be \(width, height\)"):
            plots.plot_activations(figsize=bad)
    ax = Figure().add_subplot()
    with pytest.raises(ValueError, match=r"either ax= .* or figsize="):
        plots.plot_activation("tanh", ax=ax, figsize=(3, 2))


def _segments(line):
    """The pieces of a plotted line between NaN gaps, as (x, y) arrays."""
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    cuts = np.flatnonzero(np.isnan(y))
    return [(xs, ys) for xs, ys in zip(np.split(x, cuts), np.split(y, cuts))
            if len(ys[~np.isnan(ys)])]


def test_jumps_are_not_joined_by_a_line():
    fig = plots.plot_activation("sign", points=401)
    ax = fig.axes[0]
    f_line = next(line for line in ax.lines if line.get_label() == "sign(x)")
    pieces = [(x[~np.isnan(y)], y[~np.isnan(y)]) for x, y in _segments(f_line)]
    # -1 left of 0, the lone point sign(0) = 0, +1 right of 0: no segment climbs a jump.
    assert len(pieces) == 3
    assert set(pieces[0][1]) == {-1.0} and pieces[0][0].max() < 0
    assert (list(pieces[1][0]), list(pieces[1][1])) == ([0.0], [0.0])
    assert set(pieces[2][1]) == {1.0} and pieces[2][0].min() > 0
    # sign(0) = 0 (PyTorch's convention) stands alone: drawn as a dot, not in the legend.
    (dot,) = [line for line in ax.lines if line.get_marker() == "o"]
    assert (list(dot.get_xdata()), list(dot.get_ydata())) == ([0.0], [0.0])
    assert "alone" not in [t.get_text() for t in ax.get_legend().get_texts()]
    # relu is continuous (one piece) but its derivative jumps from 0 to 1 at 0.
    ax = plots.plot_activation("relu").axes[0]
    f_line, d_line = (line for line in ax.lines if line.get_label().startswith("relu"))
    assert len(_segments(f_line)) == 1 and len(_segments(d_line)) == 2


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus", "mish"])
def test_smooth_activations_are_one_piece_with_steep_slopes_too(name):
    ax = plots.plot_activation(name, points=41, xlim=(-8, 8)).axes[0]
    assert len(ax.lines) == 4  # the two axes lines, f and f': no dots
    assert all(not np.isnan(line.get_ydata()).any() for line in ax.lines)
    steep = plots.plot_activation(lambda v: (v * 20).tanh()).axes[0]
    assert len(steep.lines) == 4  # steep (slope 20), but continuous
    assert all(not np.isnan(line.get_ydata()).any() for line in steep.lines)


def test_continuous_pieces_on_a_sampled_step():
    xs = np.arange(21.0)
    ys = np.where(xs < 10, 0.0, 5.0) + np.where(xs == 20, 2.0, 0.0)
    px, py, alone = plots.continuous_pieces(xs, ys, np.zeros(21))
    # 0 → 5 and 5 → 7 with zero slope are jumps: NaN inserted at their middles.
    np.testing.assert_array_equal(px, np.sort(np.r_[xs, 9.5, 19.5]))
    assert list(px[np.isnan(py)]) == [9.5, 19.5]
    np.testing.assert_array_equal(py[~np.isnan(py)], ys)
    np.testing.assert_array_equal(alone, [[20.0, 7.0]])  # the last point has no neighbour
    steep = plots.continuous_pieces(xs, ys, np.full(21, 5.0))  # slope 5 explains the steps
    np.testing.assert_array_equal(steep[1], ys)
    assert plots.continuous_pieces(xs, ys, None)[1] is ys  # no slopes: nothing broken
    zigzag = np.arange(21.0) % 2  # jumps everywhere: the slopes are not this curve's
    np.testing.assert_array_equal(plots.continuous_pieces(xs, zigzag, np.zeros(21))[1], zigzag)


def test_activation_of_a_micrograd_style_node_still_plots():
    def doubled(v):
        return Value(2 * v.data, (v,), "x2")  # micrograd's signature: no second derivative

    ax = plots.plot_activation(doubled, points=11).axes[0]
    # Its derivative reads 0 (no _backward), which does not fit f: nothing is broken.
    assert len(ax.lines) == 4  # the two axes lines, f and f'
    assert not np.isnan(ax.lines[2].get_ydata()).any()


def test_loss_curves():
    fig = plots.plot_loss_curves(
        {"train": [1.0, 0.5, 0.25], "test": ([0, 2], [1.2, 0.6])}, log=True
    )
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["train", "test"]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 2])
    single = plots.plot_loss_curves([Value(2.0), np.float64(1.0)])
    np.testing.assert_array_equal(single.axes[0].lines[0].get_ydata(), [2.0, 1.0])
    with pytest.raises(ValueError, match="no loss histories"):
        plots.plot_loss_curves({})


def test_batch_modes_scale_to_epochs():
    rng = np.random.default_rng(0)
    hist = {
        "full-batch": list(np.linspace(1, 0.1, 10)),
        "SGD": list(np.linspace(1, 0.1, 1000) + rng.normal(0, 0.05, 1000) ** 2),
        "mini-batch": list(np.linspace(1, 0.1, 100)),
    }
    fig = plots.plot_batch_modes(
        hist, steps_per_epoch={"full-batch": 1, "SGD": 100, "mini-batch": 10}
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "epoch"
    ends = {line.get_label(): line.get_xdata()[-1] for line in ax.lines}
    assert ends == pytest.approx({"full-batch": 9, "SGD": 9.99, "mini-batch": 9.9})
    widths = {line.get_label(): line.get_linewidth() for line in ax.lines}
    assert widths["SGD"] < widths["full-batch"]  # the noisy curve is drawn thin


def test_decision_boundary_binary_and_multiclass():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_decision_boundary(lambda G: G[:, 0], X, y, ax=ax, resolution=30) is fig
    assert len(ax.collections) >= 3  # filled regions, boundary line, points
    three = plots.plot_decision_boundary(
        lambda G: np.c_[G[:, 0], G[:, 1], -G[:, 0]], X, y, resolution=20
    )
    assert isinstance(three, Figure)
    values = plots.plot_decision_boundary(
        lambda G: [Value(float(a)) for a in G[:, 0]], X, y, resolution=10
    )
    assert isinstance(values, Figure)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plots.plot_decision_boundary(lambda G: G[:, 0], X[:, :1], y)
    with pytest.raises(ValueError, match="expected"):
        plots.plot_decision_boundary(lambda G: G[:5, 0], X, y, resolution=10)


def test_optimizer_paths_on_a_plain_function():
    paths = {
        "gd": np.array([[1.0, 1.0], [0.5, 0.5], [0.1, 0.1]]),
        "diverged": np.array([[1.0, -1.0], [3.0, -3.0], [np.inf, np.nan]]),
    }
    fig = plots.plot_optimizer_paths(
        lambda X, Y: X**2 + Y**2, paths, minima=[(0.0, 0.0)], resolution=40
    )
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert {"gd", "diverged", "start", "minimum"} <= set(labels)
    diverged = next(line for line in ax.lines if line.get_label() == "diverged")
    assert len(diverged.get_xdata()) == 2  # cut at the first non-finite point


def test_optimizer_contours_are_crisp_and_keep_pngs_small():
    import io

    from matplotlib.contour import ContourSet

    surfaces = pytest.importorskip("optim.surfaces")
    path = np.array([[-1.2, 1.0], [-1.0, 1.1]])

    def png_bytes(crisp):
        fig = plots.plot_optimizer_paths(surfaces.ROSENBROCK, {"p": path}, crisp=crisp)
        (contours,) = [c for c in fig.axes[0].collections if isinstance(c, ContourSet)]
        assert list(contours.get_antialiased()) == [not crisp]
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        return len(buf.getvalue())

    crisp, smooth = png_bytes(True), png_bytes(False)
    assert crisp * 3 < smooth, (crisp, smooth)


def test_optimizer_paths_on_an_optim_surface():
    surfaces = pytest.importorskip("optim.surfaces")
    surface = surfaces.SIX_HUMP_CAMEL
    path = np.array([[-1.5, -0.8], [-1.6, -0.6]])
    fig = plots.plot_optimizer_paths(surface, {"sgd": path}, resolution=40)
    ax = fig.axes[0]
    assert ax.get_xlim() == pytest.approx(surface.xlim)
    stars = [line for line in ax.lines if line.get_marker() == "*" and len(line.get_xdata())]
    assert len(stars) == len(surface.minima)
    assert "six-hump camel" in ax.get_title()


def test_optimizer_paths_accept_pointwise_functions():
    def scalar_only(x, y):
        return math.hypot(float(x), float(y))

    fig = plots.plot_optimizer_paths(
        scalar_only, {"p": np.array([[1.0, 0.0], [0.0, 0.0]])}, resolution=15
    )
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plots.plot_optimizer_paths(scalar_only, {"p": np.zeros(3)})
