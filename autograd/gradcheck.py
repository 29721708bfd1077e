"""Finite-difference gradient checking for :class:`Value` and :class:`Tensor` functions.

``gradcheck(fn, *inputs)`` compares the engine's vector-Jacobian product with a
central-difference estimate, in float64, for a *random* cotangent ``v``:

    analytical_i = ∂(v · fn(x))/∂x_i                     (one backward pass)
    numerical_i  = v · (fn(x + ε e_i) − fn(x − ε e_i)) / (2ε)

An element fails when ``|analytical − numerical| > atol + rtol·|numerical|``
(``nan`` matches only ``nan``). A random cotangent, never ``sum()``, is what
catches a wrong permutation in a transpose rule or a gradient that is right
only in total.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core import enable_grad, gradients, no_grad
from .value import Value

__all__ = ["GradcheckError", "GradcheckFailure", "GradcheckResult", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when backprop and finite differences disagree."""


@dataclass(frozen=True)
class GradcheckFailure:
    """One mismatching element: which input, where, and by how much."""

    input_index: int
    label: str
    element: tuple[int, ...]
    analytical: float
    numerical: float
    abs_error: float
    rel_error: float

    def describe(self) -> str:
        """A one-line human-readable account of the mismatch."""
        name = f" ({self.label!r})" if self.label else ""
        where = f" at element {self.element}" if self.element else ""
        return (
            f"input {self.input_index}{name}{where}: analytical {self.analytical:.8g}, "
            f"numerical {self.numerical:.8g}, abs error {self.abs_error:.3g}, "
            f"rel error {self.rel_error:.3g}"
        )


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found; truthy when every element agreed."""

    passed: bool
    failures: list[GradcheckFailure] = field(default_factory=list)
    analytical: list[np.ndarray] = field(default_factory=list)
    numerical: list[np.ndarray] = field(default_factory=list)
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0

    def __bool__(self) -> bool:
        return self.passed


def _is_value(x: Any) -> bool:
    return isinstance(x, Value)


def _data_array(x: Any) -> np.ndarray:
    return np.array(x.data, dtype=np.float64, ndmin=0) if _is_value(x) else x.data


def _check_inputs(inputs: Sequence[Any]) -> None:
    if not inputs:
        raise ValueError("gradcheck needs at least one input node to differentiate with respect to")
    for i, x in enumerate(inputs):
        if _is_value(x):
            continue
        data = getattr(x, "data", None)
        if not isinstance(data, np.ndarray) or not hasattr(x, "_prev"):
            raise TypeError(
                f"gradcheck input {i} is a {type(x).__name__}; pass Value or Tensor nodes "
                "(wrap numbers as Value(x) or Tensor(x, requires_grad=True, dtype=np.float64))"
            )
        if data.dtype != np.float64:
            raise TypeError(
                f"gradcheck input {i} has dtype {data.dtype}; finite differences need float64: "
                "create it with dtype=np.float64"
            )
        if not x._requires_grad:
            raise ValueError(f"gradcheck input {i} does not require grad; pass requires_grad=True")


def _outputs(result: Any) -> list[Any]:
    outs = list(result) if isinstance(result, list | tuple) else [result]
    for k, out in enumerate(outs):
        if not hasattr(out, "_prev"):
            raise TypeError(
                f"gradcheck: fn returned a {type(out).__name__} as output {k}; it must return "
                "a Value or Tensor (or a list/tuple of them) computed from the inputs"
            )
    return outs


def _set_data(x: Any, array: np.ndarray) -> None:
    x.data = float(array) if _is_value(x) else array


def _random_cotangents(rng: np.random.Generator, outs: list[Any]) -> list[np.ndarray]:
    """One random cotangent per output, magnitudes in [0.5, 1.5] so no element is ignored."""
    return [
        rng.uniform(0.5, 1.5, size=np.shape(out.data))
        * rng.choice((-1.0, 1.0), size=np.shape(out.data))
        for out in outs
    ]


def _dot(cotangents: list[np.ndarray], outs: list[Any]) -> float:
    return float(
        sum(np.vdot(v, np.asarray(out.data, dtype=np.float64)) for v, out in zip(cotangents, outs))
    )


def _check_tolerances(eps: Any, atol: Any, rtol: Any) -> None:
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise TypeError(f"gradcheck: {name} must be a number, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"gradcheck: {name} must be positive and finite, got {value!r} (a zero or "
                "infinite tolerance would let any gradient pass; a zero step divides by zero)"
            )


def _analytical(
    fn: Callable[..., Any], inputs: Sequence[Any], rng: np.random.Generator
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One backward pass with random cotangents: ``∂(v · fn(x))/∂x`` for every input."""
    outs = _outputs(fn(*inputs))
    cotangents = _random_cotangents(rng, outs)
    seeds = [
        float(v) if _is_value(out) else v.astype(out.data.dtype)
        for v, out in zip(cotangents, outs)
    ]
    # An output that depends on no input (a constant) contributes nothing.
    live = [(out, seed) for out, seed in zip(outs, seeds) if out._requires_grad]
    found: list[Any] = [None] * len(inputs)
    if live:
        found = gradients([out for out, _ in live], [seed for _, seed in live], inputs)
    analytical = [
        np.zeros(np.shape(x.data)) if g is None else np.array(g, dtype=np.float64).reshape(
            np.shape(x.data)
        )
        for x, g in zip(inputs, found)
    ]
    return analytical, cotangents


def _numerical(
    fn: Callable[..., Any], inputs: Sequence[Any], cotangents: list[np.ndarray], eps: float
) -> list[np.ndarray]:
    """Central differences of ``v · fn(x)``, one element at a time, inputs restored after.

    The step is the one the floats can represent, ``(x + ε) − (x − ε)``, not
    ``2ε``: at ``x = 1e8`` a step of 1e-6 rounds to about 1.5e-8 per side.
    """
    numerical = []
    with no_grad():
        for x in inputs:
            base = _data_array(x).copy()
            num = np.zeros(base.shape)
            for index in np.ndindex(base.shape):
                shifted = base.copy()
                shifted[index] = up = base[index] + eps
                _set_data(x, shifted)
                plus = _dot(cotangents, _outputs(fn(*inputs)))
                shifted = shifted.copy()
                shifted[index] = down = base[index] - eps
                _set_data(x, shifted)
                minus = _dot(cotangents, _outputs(fn(*inputs)))
                step = up - down
                num[index] = (plus - minus) / step if step else np.nan
            _set_data(x, base)
            numerical.append(num)
    return numerical


def _compare(
    inputs: Sequence[Any],
    analytical: list[np.ndarray],
    numerical: list[np.ndarray],
    atol: float,
    rtol: float,
) -> GradcheckResult:
    failures: list[GradcheckFailure] = []
    max_abs = max_rel = 0.0
    for i, (x, a, n) in enumerate(zip(inputs, analytical, numerical)):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            abs_err = np.abs(a - n)
            rel_err = abs_err / np.maximum(np.abs(n), np.finfo(np.float64).tiny)
        both_nan = np.isnan(a) & np.isnan(n)
        same_inf = np.isinf(a) & (a == n)
        bad = ~(both_nan | same_inf | (abs_err <= atol + rtol * np.abs(n)))
        finite = np.isfinite(abs_err)
        if finite.any():
            max_abs = max(max_abs, float(abs_err[finite].max()))
            max_rel = max(max_rel, float(rel_err[finite].max()))
        failures.extend(
            GradcheckFailure(
                input_index=i,
                label=getattr(x, "label", ""),
                element=index,
                analytical=float(a[index]),
                numerical=float(n[index]),
                abs_error=float(abs_err[index]),
                rel_error=float(rel_err[index]),
            )
            for index in np.ndindex(bad.shape)
            if bad[index]
        )
    return GradcheckResult(
        passed=not failures,
        failures=failures,
        analytical=analytical,
        numerical=numerical,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
    )


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int | None = 0,
) -> GradcheckResult:
    """Check ``fn``'s gradients with respect to ``inputs`` against central differences.

    Args:
        fn: called as ``fn(*inputs)``; returns a Value or Tensor (or a list or
            tuple of them) built from the inputs.
        inputs: the Value or Tensor nodes to differentiate (Tensors must be
            float64 and require grad).
        eps: the finite-difference step (positive, finite).
        atol, rtol: an element passes when ``|a − n| ≤ atol + rtol·|n|``
            (positive and finite: a zero or infinite tolerance is refused).
        raise_exception: raise :class:`GradcheckError` on a mismatch (default);
            otherwise return the result with its ``failures``.
        seed: seeds the random cotangent (``None`` for a fresh one each call).

    Returns:
        A :class:`GradcheckResult` (truthy when everything agreed).

    The inputs' ``.data`` and ``.grad`` are left exactly as they were.
    """
    _check_inputs(inputs)
    _check_tolerances(eps, atol, rtol)
    rng = np.random.default_rng(seed)
    saved = [(x.grad, x.data) for x in inputs]
    try:
        analytical, cotangents = _analytical(fn, inputs, rng)
        numerical = _numerical(fn, inputs, cotangents, eps)
    finally:
        for x, (grad, data) in zip(inputs, saved):
            x.grad = grad
            x.data = data
    result = _compare(inputs, analytical, numerical, atol, rtol)
    if result.failures and raise_exception:
        total = sum(a.size for a in analytical)
        raise GradcheckError(
            f"gradcheck: backprop disagrees with finite differences in {len(result.failures)} "
            f"of {total} element(s) (atol={atol:g}, rtol={rtol:g}, eps={eps:g}); first: "
            f"{result.failures[0].describe()}"
        )
    return result


def gradgradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int | None = 0,
) -> GradcheckResult:
    """Check second derivatives: the gradient of ``fn``'s gradient, against finite differences.

    For a fixed random cotangent ``v`` it builds ``h(x) = ∂(v · fn(x))/∂x`` with
    ``create_graph=True`` and runs :func:`gradcheck` on ``h``: backprop through
    the recorded gradient computation against central differences of first
    derivatives. Same arguments and result as :func:`gradcheck`.
    """
    _check_inputs(inputs)
    rng = np.random.default_rng(seed)
    with enable_grad():
        probe = _outputs(fn(*inputs))
    cotangents = _random_cotangents(rng, probe)
    del probe

    def first_derivatives(*xs: Any) -> list[Any]:
        with enable_grad():
            outs = _outputs(fn(*xs))
            seeds = [
                Value(float(v)) if _is_value(out) else type(out)(v.astype(out.data.dtype))
                for v, out in zip(cotangents, outs)
            ]
            live = [(o, s) for o, s in zip(outs, seeds) if o._requires_grad]
            found = (
                gradients([o for o, _ in live], [s for _, s in live], xs, create_graph=True)
                if live
                else [None] * len(xs)
            )
        return [
            g if g is not None else (Value(0.0) if _is_value(x) else type(x)(np.zeros_like(x.data)))
            for g, x in zip(found, xs)
        ]

    return gradcheck(
        first_derivatives,
        *inputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        seed=None if seed is None else seed + 1,
    )
