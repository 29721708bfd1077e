"""The 2-D test surfaces, their documented minima, and the saddle-point experiments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value
from optim import BEALE, ROSENBROCK, SADDLE, SGD, SIX_HUMP_CAMEL, SURFACES, Adam, optimize


def hessian(surface, x, y, h=1e-5):
    """Central differences of the engine's gradient."""
    gx1, gy1 = surface.gradient(x + h, y)
    gx0, gy0 = surface.gradient(x - h, y)
    hx1, hy1 = surface.gradient(x, y + h)
    hx0, hy0 = surface.gradient(x, y - h)
    H = np.array([[gx1 - gx0, gy1 - gy0], [hx1 - hx0, hy1 - hy0]]) / (2 * h)
    return (H + H.T) / 2


@pytest.mark.parametrize("surface", SURFACES.values(), ids=SURFACES.keys())
def test_documented_minima_are_minima(surface):
    for m in surface.minima:
        assert surface.value(m.x, m.y) == pytest.approx(m.value, abs=1e-9)
        assert np.hypot(*surface.gradient(m.x, m.y)) < 1e-8
        assert np.linalg.eigvalsh(hessian(surface, m.x, m.y)).min() > 0
    if surface.minima:
        best = min(m.value for m in surface.minima)
        assert all(m.is_global == (m.value == pytest.approx(best)) for m in surface.minima)
    for sx, sy in surface.saddles:
        assert np.hypot(*surface.gradient(sx, sy)) < 1e-8
        eig = np.linalg.eigvalsh(hessian(surface, sx, sy))
        assert eig.min() < 0 < eig.max()


def test_known_minima():
    assert (ROSENBROCK.minima[0].x, ROSENBROCK.minima[0].y) == (1.0, 1.0)
    assert (BEALE.minima[0].x, BEALE.minima[0].y) == (3.0, 0.5)
    glob = [m for m in SIX_HUMP_CAMEL.minima if m.is_global]
    assert len(glob) == 2 and len(SIX_HUMP_CAMEL.minima) == 6
    assert glob[0].value == pytest.approx(-1.0316, abs=1e-4)
    assert (glob[0].x, glob[0].y) == pytest.approx((0.0898, -0.7126), abs=1e-4)
    assert SADDLE.minima == () and SADDLE.saddles == ((0.0, 0.0),)


@pytest.mark.parametrize("surface", SURFACES.values(), ids=SURFACES.keys())
def test_engine_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(0)
    h = 1e-6
    for _ in range(5):
        x, y = rng.uniform(*surface.xlim), rng.uniform(*surface.ylim)
        gx, gy = surface.gradient(x, y)
        fx = (surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h)
        fy = (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)
        scale = 1 + abs(fx) + abs(fy)
        assert gx == pytest.approx(fx, abs=1e-5 * scale)
        assert gy == pytest.approx(fy, abs=1e-5 * scale)


@pytest.mark.parametrize("surface", SURFACES.values(), ids=SURFACES.keys())
def test_grid_evaluation_agrees_with_values(surface):
    X, Y, Z = surface.grid(7)
    assert Z.shape == (7, 7)
    assert X[0, 0] == surface.xlim[0] and Y[-1, -1] == surface.ylim[1]
    for i, j in [(0, 0), (3, 4), (6, 6)]:
        assert Z[i, j] == pytest.approx(surface(Value(X[i, j]), Value(Y[i, j])).data, rel=1e-12)
    for start in surface.starts:
        assert math.isfinite(surface.value(*start))


def test_optimize_returns_the_path():
    path = optimize(ROSENBROCK, lambda p: SGD(p, lr=1e-3), (-1.2, 1.0), 5)
    assert path.points.shape == (6, 2) and path.values.shape == (6,)
    assert tuple(path.points[0]) == (-1.2, 1.0)
    for point, value in zip(path.points, path.values):
        assert value == pytest.approx(ROSENBROCK.value(*point), rel=1e-12)
    gx, gy = ROSENBROCK.gradient(-1.2, 1.0)
    assert path.points[1] == pytest.approx([-1.2 - 1e-3 * gx, 1.0 - 1e-3 * gy])
    with pytest.raises(ValueError, match="steps"):
        optimize(ROSENBROCK, lambda p: SGD(p, lr=1e-3), (0.0, 0.0), -1)
    with pytest.raises(ValueError, match="start"):
        optimize(ROSENBROCK, lambda p: SGD(p, lr=1e-3), (0.0, 0.0, 0.0), 1)


def test_gradient_descent_converges_to_the_saddle_on_its_stable_axis():
    path = optimize(SADDLE, lambda p: SGD(p, lr=0.1), (1.0, 0.0), 200)
    assert (path.points[:, 1] == 0.0).all()  # ∂f/∂y = −2y stays exactly 0
    assert np.hypot(*path.points[-1]) < 1e-18  # x shrinks by 0.8 per step
    assert abs(path.values[-1]) < 1e-36
    assert np.hypot(*SADDLE.gradient(*path.points[-1])) < 1e-18  # a stationary point ...
    assert SADDLE.value(0.0, 0.5) < SADDLE.value(0.0, 0.0)  # ... but not a minimum


def steps_to_leave(path, radius=1.0):
    """First step at which |y| > radius: the run has left the saddle's neighbourhood."""
    outside = np.flatnonzero(np.abs(path.points[:, 1]) > radius)
    return int(outside[0]) if outside.size else None


def test_momentum_and_adam_leave_the_saddle_faster_than_gradient_descent():
    start, steps = (1.0, 1e-6), 300
    gd = steps_to_leave(optimize(SADDLE, lambda p: SGD(p, lr=0.1), start, steps))
    momentum = steps_to_leave(
        optimize(SADDLE, lambda p: SGD(p, lr=0.1, momentum=0.9), start, steps)
    )
    adam = steps_to_leave(optimize(SADDLE, lambda p: Adam(p, lr=0.1), start, steps))
    # Plain GD multiplies y by 1.2 per step: 1e-6·1.2^k > 1 needs k = 76.
    assert gd == math.ceil(math.log(1e6) / math.log(1.2))
    assert momentum is not None and momentum < gd
    assert adam is not None and adam < gd


def test_gradient_descent_stops_in_a_local_minimum_of_the_camel():
    side = next(m for m in SIX_HUMP_CAMEL.minima if m.x < -1.5 and m.y > 0)
    path = optimize(SIX_HUMP_CAMEL, lambda p: SGD(p, lr=0.01), (-1.9, 0.9), 500)
    assert path.points[-1] == pytest.approx([side.x, side.y], abs=1e-4)
    assert not side.is_global and path.values[-1] > -1.0


def test_a_diverging_run_returns_nan_instead_of_raising():
    path = optimize(ROSENBROCK, lambda p: SGD(p, lr=0.1), (-1.2, 1.0), 50)
    assert path.points.shape == (51, 2)
    assert not np.isfinite(path.points[-1]).all()
