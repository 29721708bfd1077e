"""Training pictures (matplotlib): activations, loss curves, decision boundaries, optimizer paths.

Every function takes an optional ``ax`` (draw into it) or ``figsize`` (inches,
for a new figure) and returns the :class:`matplotlib.figure.Figure`. Figures
are created with ``matplotlib.figure.Figure`` directly, not through
``pyplot``: no global state, and a notebook shows a returned figure exactly
once.

Inputs are duck-typed so the plots work with whatever produced them: loss
histories are lists of floats; a classifier is any function from an
``(M, 2)`` array to scores; a surface is any ``f(X, Y)`` on numpy grids (the
``optim.surfaces.Surface`` objects also bring their plot range and minima);
a path is an ``(N, 2)`` array or anything with ``.points``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import Value, grad
from autograd.ops import REGISTRY, activations

__all__ = [
    "ACTIVATIONS",
    "LECTURE_ORDER",
    "activation_and_derivative",
    "class_grid",
    "plot_activation",
    "plot_activations",
    "plot_batch_modes",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_optimizer_paths",
]

LECTURE_ORDER = ("sign", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "mish")
"""The order the lecture introduces its activations in (the panels' order)."""


def _activation_table() -> dict[str, Callable[[Value], Value]]:
    """Every activation op of the registry, in :data:`LECTURE_ORDER`, then any others in
    registry order; each applied to a ``Value`` (its derivative comes from the engine)."""
    names = activations()
    ordered = [n for n in LECTURE_ORDER if n in names] + [
        n for n in names if n not in LECTURE_ORDER
    ]
    return {name: REGISTRY[name] for name in ordered}


ACTIVATIONS: dict[str, Callable[[Value], Value]] = _activation_table()
"""Name → function ``Value -> Value``, read from the op registry (``autograd.ops``)."""


def _unwrap(v: Any) -> Any:
    """The number or array inside a Value/Tensor; plain numbers and arrays pass through."""
    if isinstance(v, numbers.Real | np.ndarray | list | tuple):
        return v
    return getattr(v, "data", v)


def _check_figsize(figsize: Any) -> None:
    """``figsize`` must be ``(width, height)``: two positive finite numbers of inches."""
    ok = (
        isinstance(figsize, tuple | list)
        and len(figsize) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in figsize)
        and all(np.isfinite(v) and v > 0 for v in figsize)
    )
    if not ok:
        raise ValueError(
            f"figsize must be (width, height) in inches, two positive numbers, got {figsize!r}"
        )


def _new_figure(figsize: Any, default: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure

    if figsize is not None:
        _check_figsize(figsize)
    return Figure(figsize=tuple(figsize or default), layout="constrained")


def _figure_and_axes(
    ax: Any, figsize: tuple[float, float] | None, default: tuple[float, float]
) -> tuple[Any, Any]:
    """The given axes and its figure, or a new figure of ``figsize`` (else ``default``)."""
    if ax is not None:
        if figsize is not None:
            raise ValueError(
                "pass either ax= (draw into an existing figure, which keeps its size) "
                "or figsize= (size of a new figure), not both"
            )
        return ax.figure, ax
    fig = _new_figure(figsize, default)
    return fig, fig.add_subplot()


def activation_and_derivative(
    fn: Callable[[Value], Value], xs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``f(x)`` and ``f'(x)`` at each point, the derivative from the engine's ``backward``."""
    ys = np.empty(len(xs))
    ds = np.empty(len(xs))
    for k, x in enumerate(xs):
        v = Value(float(x))
        out = fn(v)
        out.backward()
        ys[k], ds[k] = out.data, v.grad
    return ys, ds


def second_derivative(fn: Callable[[Value], Value], xs: np.ndarray) -> np.ndarray | None:
    """``f''(x)`` at each point (backprop through backprop), or ``None`` if ``fn`` has none."""
    d2 = grad(grad(fn))
    try:
        return np.array([float(d2(float(x))) for x in xs])
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None  # e.g. a node built micrograd's way, with a hand-written _backward


def continuous_pieces(
    xs: np.ndarray, ys: np.ndarray, slopes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Break a sampled curve where it jumps, so that a line plot does not join the jump.

    Between neighbours the change of a continuous ``f`` is at most the step
    times its largest slope (mean value theorem); a change more than twice
    ``max(|f'(xₖ)|, |f'(xₖ₊₁)|)·Δx`` (plus 10⁻³ of the curve's range) is a
    jump. A NaN point is inserted there. Returns the new ``x`` and ``y`` and
    the points left with no neighbour on either side (``sign(0) = 0``),
    which a line would not show. Without ``slopes`` nothing is broken, nor
    when over a tenth of the steps look like jumps: then the slopes do not
    belong to the curve (a node with a hand-written, wrong ``_backward``).
    """
    if slopes is None or len(xs) < 2:
        return xs, ys, np.empty((0, 2))
    finite = np.isfinite(ys)
    spread = float(np.ptp(ys[finite])) if finite.any() else 0.0
    steps = np.abs(np.diff(xs))
    bound = 2 * np.maximum(np.abs(slopes[:-1]), np.abs(slopes[1:])) * steps + 1e-3 * spread
    with np.errstate(invalid="ignore"):
        jumps = np.flatnonzero(np.abs(np.diff(ys)) > bound)
    if not jumps.size or jumps.size > 0.1 * len(steps):
        return xs, ys, np.empty((0, 2))
    broken = np.zeros(len(xs) + 1, bool)  # broken[k]: no line between point k-1 and k
    broken[[0, -1]] = True
    broken[jumps + 1] = True
    alone = np.flatnonzero(broken[:-1] & broken[1:])
    middles = (xs[jumps] + xs[jumps + 1]) / 2
    return (
        np.insert(xs, jumps + 1, middles),
        np.insert(ys.astype(float), jumps + 1, np.nan),
        np.c_[xs[alone], ys[alone]],
    )


def _resolve_activation(name_or_fn: str | Callable[[Value], Value]) -> tuple[str, Callable]:
    if callable(name_or_fn):
        return getattr(name_or_fn, "__name__", "f"), name_or_fn
    key = str(name_or_fn).lower().replace("-", "_").replace(" ", "_")
    if key not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name_or_fn!r}; use one of {sorted(ACTIVATIONS)} "
            "or pass a function Value -> Value"
        )
    return key, ACTIVATIONS[key]


def plot_activation(
    name_or_fn: str | Callable[[Value], Value],
    ax: Any = None,
    *,
    xlim: tuple[float, float] = (-5.0, 5.0),
    points: int = 401,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Plot an activation (solid) and its derivative (dashed) computed by the engine.

    ``name_or_fn`` is one of :data:`ACTIVATIONS` (``"sigmoid"``, ``"relu"``,
    ``"mish"``, ...) or any function ``Value -> Value``. Kinks follow the
    engine's (PyTorch's) conventions, e.g. ``relu'(0) = 0``. Jumps (sign at
    0, relu' at 0) are left open instead of joined by a vertical line (see
    :func:`continuous_pieces`); a point alone between two jumps is a dot
    (``sign(0) = 0``).
    """
    name, fn = _resolve_activation(name_or_fn)
    xs = np.linspace(xlim[0], xlim[1], points)
    ys, ds = activation_and_derivative(fn, xs)
    curvature = second_derivative(fn, xs)
    fig, ax = _figure_and_axes(ax, figsize, (4.5, 3.2))
    ax.axhline(0, color="0.75", lw=0.8)
    ax.axvline(0, color="0.75", lw=0.8)
    for values, slopes, colour, style in ((ys, ds, "C0", "-"), (ds, curvature, "C3", "--")):
        px, py, alone = continuous_pieces(xs, values, slopes)
        label = f"{name}(x)" if style == "-" else f"{name}'(x)"
        ax.plot(px, py, color=colour, lw=2 if style == "-" else 1.6, ls=style, label=label)
        if len(alone):
            ax.plot(alone[:, 0], alone[:, 1], "o", color=colour, ms=4, label=f"_{label} alone")
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    return fig


def plot_activations(
    names: Sequence[str] | None = None,
    *,
    ncols: int = 4,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """A grid with each activation and its derivative (default: all of :data:`ACTIVATIONS`,
    in the lecture's order). ``figsize`` defaults to 3.6 × 2.9 inches per panel."""
    names = list(ACTIVATIONS) if names is None else list(names)
    if not names:
        raise ValueError("plot_activations needs at least one activation name")
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    fig = _new_figure(figsize, (3.6 * ncols, 2.9 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        plot_activation(name, ax=ax)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    return fig


def _as_curve(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from a list of losses, or from an ``(x, y)`` pair of sequences."""
    if isinstance(values, tuple) and len(values) == 2 and np.ndim(values[0]) == 1:
        x, y = np.asarray(values[0], float), np.asarray(values[1], float)
    else:
        y = np.asarray([_unwrap(v) for v in values], dtype=float)
        x = np.arange(len(y))
    if y.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"a loss history must be 1-D numbers (or an (x, y) pair), got {values!r:.80}"
        )
    return x, y


def _histories(histories: Any) -> dict[str, Any]:
    if isinstance(histories, Mapping):
        if not histories:
            raise ValueError("no loss histories given")
        return dict(histories)
    return {"loss": histories}


def plot_loss_curves(
    histories: Mapping[str, Sequence[float]] | Sequence[float],
    ax: Any = None,
    *,
    log: bool = False,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Loss (or any metric) per step, one line per named history.

    ``histories`` maps a name to a list of numbers (or to an ``(x, y)`` pair
    when the points are not one per step); a bare list is one curve.
    ``log=True`` uses a logarithmic y axis.
    """
    fig, ax = _figure_and_axes(ax, figsize, (5.5, 3.5))
    for name, values in _histories(histories).items():
        x, y = _as_curve(values)
        ax.plot(x, y, lw=1.6, label=str(name))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def plot_batch_modes(
    histories: Mapping[str, Sequence[float]],
    ax: Any = None,
    *,
    steps_per_epoch: Mapping[str, float] | None = None,
    log: bool = True,
    title: str = "full-batch vs SGD vs mini-batch",
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Full-batch GD, SGD (N = 1) and mini-batch GD loss curves on one axis.

    ``histories`` maps a mode name to its loss per update. With
    ``steps_per_epoch`` (updates per pass over the data, per mode) the x axis
    is epochs, so the modes compare at equal amounts of data seen; without
    it, updates. Curves with at least 5× the points of the shortest one (SGD's
    many noisy updates) are drawn thin and translucent.
    """
    fig, ax = _figure_and_axes(ax, figsize, (6.0, 3.8))
    curves = {name: _as_curve(values) for name, values in _histories(histories).items()}
    shortest = min(len(y) for _, y in curves.values())
    for k, (name, (x, y)) in enumerate(curves.items()):
        if steps_per_epoch is not None and name in steps_per_epoch:
            x = x / float(steps_per_epoch[name])
        dense = len(y) >= 5 * max(shortest, 1)  # SGD's many small noisy updates
        ax.plot(
            x,
            y,
            color=f"C{k}",
            lw=0.9 if dense else 2.0,
            alpha=0.6 if dense else 1.0,
            label=str(name),
        )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch" if steps_per_epoch is not None else "update")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def _to_numbers(out: Any) -> np.ndarray:
    """Model output (array, Tensor, list of Values or of lists) as a float array."""
    data = _unwrap(out)
    if isinstance(data, np.ndarray) and data.dtype != object:
        return data.astype(float)
    arr = np.asarray(data, dtype=object)
    return np.vectorize(lambda v: float(_unwrap(v)), otypes=[float])(arr)


def class_grid(
    predict: Callable[[np.ndarray], Any],
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 100,
    margin: float = 0.5,
    threshold: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The class ``predict`` gives each point of a ``resolution²`` grid around the data.

    Returns the grid coordinates ``G0, G1`` and the classes ``Z`` (same shape).
    ``predict`` maps an ``(M, 2)`` array to one score per point (class =
    score > ``threshold``) or one row of class scores per point (argmax).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) for a 2-D decision boundary, got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} points but y has {len(y)} labels")
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    G0, G1 = np.meshgrid(x0, x1)
    grid = np.c_[G0.ravel(), G1.ravel()]
    scores = _to_numbers(predict(grid))
    if scores.size == len(grid):
        classes = (scores.reshape(-1) > threshold).astype(int)
    elif scores.ndim == 2 and scores.shape[0] == len(grid):
        classes = scores.argmax(axis=1)
    else:
        raise ValueError(
            f"predict returned shape {scores.shape} for {len(grid)} points; expected "
            f"({len(grid)},) scores or ({len(grid)}, n_classes)"
        )
    return G0, G1, classes.reshape(G0.shape)


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: np.ndarray,
    y: np.ndarray,
    ax: Any = None,
    *,
    resolution: int = 100,
    margin: float = 0.5,
    threshold: float = 0.0,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Shade the regions a 2-D classifier assigns to each class and scatter the data.

    ``predict`` maps an ``(M, 2)`` array of points to scores: one per point
    (class = score > ``threshold``; use 0.5 for probabilities) or one row of
    class scores per point (class = argmax). Values/Tensors are accepted.
    The grid has ``resolution²`` points: a scalar (``Value``) model runs one
    forward pass per point, so keep it near 50 there.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).ravel()
    G0, G1, Z = class_grid(predict, X, y, resolution=resolution, margin=margin,
                           threshold=threshold)
    x0, x1 = G0[0], G1[:, 0]
    fig, ax = _figure_and_axes(ax, figsize, (5.0, 4.2))
    n_levels = max(int(Z.max()) + 1, 2)
    ax.contourf(G0, G1, Z, levels=np.arange(n_levels + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    ax.contour(G0, G1, Z, levels=np.arange(n_levels) + 0.5, colors="k", linewidths=1.0)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=22, edgecolors="k", linewidths=0.5)
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    if title:
        ax.set_title(title)
    return fig


def _surface_grid(
    surface: Any, xlim: tuple[float, float], ylim: tuple[float, float], n: int
) -> tuple[np.ndarray, ...]:
    X, Y = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    fn = getattr(surface, "function", surface)
    with np.errstate(all="ignore"):
        try:
            Z = np.asarray(_to_numbers(fn(X, Y)), dtype=float)
            if Z.shape != X.shape:
                raise ValueError
        except (TypeError, ValueError):
            Z = np.vectorize(lambda a, b: float(_unwrap(fn(a, b))))(X, Y)
    return X, Y, Z


def _path_points(path: Any) -> np.ndarray:
    pts = np.asarray(getattr(path, "points", path), dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"a path must be an (N, 2) array of points, got shape {pts.shape}")
    finite = np.isfinite(pts).all(axis=1)
    if not finite.all():  # a diverging run: keep the part before it left the reals
        pts = pts[: int(np.argmin(finite))]
    return pts


def _plot_limits(
    surface: Any, named: Mapping[str, np.ndarray], xlim: Any, ylim: Any
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The plot range: given, else the surface's, else around the paths."""
    all_pts = np.concatenate([p for p in named.values() if len(p)] or [np.zeros((1, 2))])
    pad = 0.15 * (np.ptp(all_pts, axis=0) + 1.0)
    xlim = (
        xlim
        or getattr(surface, "xlim", None)
        or (all_pts[:, 0].min() - pad[0], all_pts[:, 0].max() + pad[0])
    )
    ylim = (
        ylim
        or getattr(surface, "ylim", None)
        or (all_pts[:, 1].min() - pad[1], all_pts[:, 1].max() + pad[1])
    )
    return xlim, ylim


def _contour_levels(Z: np.ndarray, levels: int, log_levels: bool) -> Any:
    """``levels`` contour levels, spaced geometrically for a non-negative surface if asked."""
    finite = Z[np.isfinite(Z)]
    if log_levels and finite.size and finite.min() >= 0 and (finite > 0).any():
        lo = max(np.percentile(finite[finite > 0], 0.5), finite.max() * 1e-12)
        return np.geomspace(lo, finite.max(), levels)
    return levels


def _mark_points(
    ax: Any, surface: Any, named: Mapping[str, np.ndarray], start: Any, minima: Any
) -> None:
    """The start (black circle), minima (stars; filled: global) and saddles (crosses)."""
    starts = [start] if start is not None else {tuple(p[0]) for p in named.values() if len(p)}
    for s in starts:
        ax.plot(*s, "o", color="k", ms=7, zorder=5)
    if starts:
        ax.plot([], [], "o", color="k", label="start")
    if minima is None:
        mins = [(m.x, m.y, getattr(m, "is_global", True)) for m in getattr(surface, "minima", ())]
    else:
        mins = [(float(m[0]), float(m[1]), True) for m in minima]
    for mx, my, is_global in mins:
        ax.plot(mx, my, "*", ms=14, mec="k", mfc="gold" if is_global else "white", zorder=6)
    if mins:
        ax.plot([], [], "*", ms=10, mec="k", mfc="gold", label="minimum")
    saddles = getattr(surface, "saddles", ())
    for sx, sy in saddles:
        ax.plot(sx, sy, "x", color="k", ms=8, mew=1.5, zorder=6)
    if saddles:
        ax.plot([], [], "x", color="k", ms=7, label="saddle")


def plot_optimizer_paths(
    surface: Any,
    paths: Mapping[str, Any],
    ax: Any = None,
    *,
    minima: Sequence[tuple[float, float]] | None = None,
    start: tuple[float, float] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int = 30,
    log_levels: bool | None = None,
    resolution: int = 200,
    title: str | None = None,
    crisp: bool = True,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Contours of a 2-D surface with several optimizers' paths, start and minima marked.

    ``surface`` is ``f(X, Y)`` on numpy grids or an ``optim.surfaces.Surface``
    (whose ``xlim``/``ylim``, ``minima``, ``saddles`` and ``log_levels`` are
    used unless given here). ``paths`` maps an optimizer's name to its
    ``(N, 2)`` points (or an object with ``.points``); a diverging path is cut
    at its first non-finite point. Minima are stars (filled: global), saddles
    crosses, the start a black circle (each path's first point by default).

    ``crisp`` draws the contour lines without anti-aliasing: a PNG of dense
    contours (Rosenbrock's valley) then has few distinct colours and is about
    6× smaller (≈45 KB instead of ≈280 KB at 100 dpi), which keeps notebooks
    small; ``crisp=False`` smooths them. The paths are always smooth.
    """
    named = {str(k): _path_points(v) for k, v in paths.items()}
    xlim, ylim = _plot_limits(surface, named, xlim, ylim)
    X, Y, Z = _surface_grid(surface, xlim, ylim, resolution)
    if log_levels is None:
        log_levels = bool(getattr(surface, "log_levels", False))
    fig, ax = _figure_and_axes(ax, figsize, (6.0, 4.8))
    ax.contour(X, Y, Z, levels=_contour_levels(Z, levels, log_levels), cmap="viridis",
               linewidths=0.6 if crisp else 0.7, alpha=0.6 if crisp else 0.8,
               antialiased=not crisp)
    for k, (name, pts) in enumerate(named.items()):
        if not len(pts):
            continue
        ax.plot(pts[:, 0], pts[:, 1], "-", color=f"C{k}", lw=1.6, label=name)
        ax.plot(pts[:, 0], pts[:, 1], ".", color=f"C{k}", ms=3)
        ax.plot(*pts[-1], "o", color=f"C{k}", ms=6, mec="k", mew=0.6)
    _mark_points(ax, surface, named, start, minima)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    surface_name = getattr(surface, "name", None)
    formula = getattr(surface, "formula", None)
    default_title = f"{surface_name}: {formula}" if surface_name and formula else surface_name
    ax.set_title(title or default_title or "")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
