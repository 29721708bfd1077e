"""2-D test surfaces for the lecture's optimizer problems, and a helper to run an optimizer on one.

Each :class:`Surface` is a polynomial in ``x`` and ``y`` written with plain
operators, so the same function evaluates Values (its gradient then comes
from the engine's ``backward``), floats and numpy grids (for contour plots).

* :data:`SADDLE` ``x² − y²``: one stationary point, a saddle at (0, 0).
  Gradient descent started on the stable axis ``y = 0`` converges to it; any
  perturbation in ``y`` grows by ``(1 + 2α)`` per step.
* :data:`SIX_HUMP_CAMEL`: two global minima, four local ones, saddles.
* :data:`ROSENBROCK` ``(a − x)² + b(y − x²)²`` (a = 1, b = 100): minimum 0
  at (1, 1) at the end of a long curved flat valley.
* :data:`BEALE`: minimum 0 at (3, 0.5); steep walls and flat plateaus.

:func:`optimize` runs an optimizer on a surface from a start point and
returns the path, the input of ``viz``'s trajectory plots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from autograd import Value

from .optimizer import Optimizer

__all__ = [
    "BEALE",
    "ROSENBROCK",
    "SADDLE",
    "SIX_HUMP_CAMEL",
    "SURFACES",
    "Minimum",
    "OptimizationPath",
    "Surface",
    "optimize",
]


class Minimum(NamedTuple):
    """A known minimum: its point, its value and whether it is global."""

    x: float
    y: float
    value: float
    is_global: bool


@dataclass(frozen=True)
class Surface:
    """A function of two variables with its known minima and a suggested view.

    ``function(x, y)`` accepts Values, floats or numpy arrays (broadcast).
    ``minima`` lists the known minima; ``saddles`` the known saddle points
    (as ``(x, y)``); ``xlim``/``ylim`` a plot range; ``starts`` suggested
    start points; ``log_levels`` whether contour levels should be spaced
    logarithmically (values spanning many decades).
    """

    name: str
    formula: str
    function: Callable[[Any, Any], Any]
    minima: tuple[Minimum, ...]
    saddles: tuple[tuple[float, float], ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    starts: tuple[tuple[float, float], ...]
    log_levels: bool = False

    def __call__(self, x: Any, y: Any) -> Any:
        """Evaluate the surface on Values, floats or numpy arrays."""
        return self.function(x, y)

    def value(self, x: float, y: float) -> float:
        """``f(x, y)`` as a float (``inf``/``nan`` on overflow, never an exception)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return float(self.function(np.float64(x), np.float64(y)))

    def gradient(self, x: float, y: float) -> tuple[float, float]:
        """``(∂f/∂x, ∂f/∂y)`` at a point, computed by the engine's ``backward``."""
        vx, vy = Value(float(x), label="x"), Value(float(y), label="y")
        self.function(vx, vy).backward()
        return vx.grad, vy.grad

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)`` on an ``n×n`` grid over ``xlim × ylim`` for contour plots."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.function(X, Y)


def _saddle(x: Any, y: Any) -> Any:
    return x**2 - y**2


def _six_hump_camel(x: Any, y: Any) -> Any:
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def _rosenbrock(x: Any, y: Any, a: float = 1.0, b: float = 100.0) -> Any:
    return (a - x) ** 2 + b * (y - x**2) ** 2


def _beale(x: Any, y: Any) -> Any:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


SADDLE = Surface(
    name="saddle",
    formula="x² − y²",
    function=_saddle,
    minima=(),
    saddles=((0.0, 0.0),),
    xlim=(-1.5, 1.5),
    ylim=(-1.5, 1.5),
    starts=((1.0, 0.0), (1.0, 1e-6), (1.0, 0.1)),
)

_CAMEL_GLOBAL = -1.0316284534898774
_CAMEL_SIDE = -0.2154638243837
_CAMEL_UPPER = 2.1042503103112593
SIX_HUMP_CAMEL = Surface(
    name="six-hump camel",
    formula="(4 − 2.1x² + x⁴/3)x² + xy + (−4 + 4y²)y²",
    function=_six_hump_camel,
    minima=(
        Minimum(0.0898420131, -0.712656403021, _CAMEL_GLOBAL, True),
        Minimum(-0.0898420131, 0.712656403021, _CAMEL_GLOBAL, True),
        Minimum(-1.70360671497, 0.796083568673, _CAMEL_SIDE, False),
        Minimum(1.70360671497, -0.796083568673, _CAMEL_SIDE, False),
        Minimum(1.60710475292, 0.568651454884, _CAMEL_UPPER, False),
        Minimum(-1.60710475292, -0.568651454884, _CAMEL_UPPER, False),
    ),
    saddles=(
        (0.0, 0.0),
        (1.109205336805, -0.76826809251),
        (-1.109205336805, 0.76826809251),
        (1.63806798419, 0.228674069044),
        (-1.63806798419, -0.228674069044),
        (1.296070267167, 0.605084388039),
        (-1.296070267167, -0.605084388039),
    ),
    xlim=(-2.0, 2.0),
    ylim=(-1.1, 1.1),
    starts=((-1.5, -0.8), (1.2, 0.9), (0.0, 0.0)),
)

ROSENBROCK = Surface(
    name="Rosenbrock",
    formula="(1 − x)² + 100(y − x²)²",
    function=_rosenbrock,
    minima=(Minimum(1.0, 1.0, 0.0, True),),
    saddles=(),
    xlim=(-2.0, 2.0),
    ylim=(-1.0, 3.0),
    starts=((-1.2, 1.0), (-1.5, 2.5), (0.0, 0.0)),
    log_levels=True,
)

BEALE = Surface(
    name="Beale",
    formula="(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    function=_beale,
    minima=(Minimum(3.0, 0.5, 0.0, True),),
    saddles=(),
    xlim=(-4.5, 4.5),
    ylim=(-4.5, 4.5),
    starts=((1.0, 1.0), (-2.0, 2.0), (2.0, -1.5)),
    log_levels=True,
)

SURFACES: dict[str, Surface] = {
    "saddle": SADDLE,
    "six_hump_camel": SIX_HUMP_CAMEL,
    "rosenbrock": ROSENBROCK,
    "beale": BEALE,
}


class OptimizationPath(NamedTuple):
    """An optimizer's path: ``points`` ``(steps+1)×2`` (start first) and ``values`` f there."""

    points: np.ndarray
    values: np.ndarray


def optimize(
    surface: Surface,
    optimizer_factory: Callable[[list[Value]], Optimizer],
    start: Sequence[float],
    steps: int,
) -> OptimizationPath:
    """Run ``steps`` optimizer steps on ``surface`` from ``start``; return the path.

    ``optimizer_factory`` gets the two parameters ``[x, y]`` (Values) and
    returns an optimizer, e.g. ``lambda p: Adam(p, lr=0.05)``. Each step
    zeroes the gradients, evaluates ``f(x, y)``, backpropagates and calls
    ``optimizer.step()``. A diverging run keeps going (its points may
    become ``inf``/``nan``); check ``np.isfinite`` when plotting.
    """
    if len(start) != 2:
        raise ValueError(f"start must be a point (x, y), got {start!r}")
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    x, y = Value(float(start[0]), label="x"), Value(float(start[1]), label="y")
    optimizer = optimizer_factory([x, y])
    points = np.empty((steps + 1, 2))
    values = np.empty(steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            optimizer.zero_grad()
            f = surface.function(x, y)
            points[k] = x.data, y.data
            values[k] = f.data
            f.backward()
            optimizer.step()
        points[steps] = x.data, y.data
    values[steps] = surface.value(x.data, y.data)
    return OptimizationPath(points, values)
