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
