"""Reductions and the softmax family (Tensor only): forward and vector-Jacobian product, once.

``axes`` is always a sorted tuple of non-negative axes (the Tensor method
normalizes ``axis=None``/negative/int first); ``keepdims`` as numpy's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._math import keep_shape
from ._record import OpChecks, define_op


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    count = 1
    for a in axes:
        count *= shape[a]
    return count


def _ratio(a: float, b: float) -> float:
    """``a / b`` on Python numbers with IEEE results for ``b == 0`` (inf or nan)."""
    if b:
        return a / b
    return float("nan") if a == 0 or a != a else float("inf") * (1 if a > 0 else -1)


def _reduction_samples(rng: np.random.Generator) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    x = rng.normal(size=(3, 4))
    return [
        ((x,), {"axes": (0, 1), "keepdims": False}),
        ((x,), {"axes": (1,), "keepdims": True}),
        ((rng.normal(size=(2, 3, 2)),), {"axes": (0, 2), "keepdims": False}),
    ]


def _torch_reduction(name: str) -> Any:
    def call(torch: Any, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
        if not axes:  # numpy reduces nothing over axes=(); torch's dim=() means every axis
            return getattr(torch, name)(x.unsqueeze(-1), dim=-1)
        return getattr(torch, name)(x, dim=axes, keepdim=keepdims)

    return call


SUM = define_op(
    "sum",
    forward=lambda m, x, *, axes, keepdims: m.sum(x, axes, keepdims),
    vjp=lambda m, g, x, axes: (m.unreduce(g, x.shape, axes),),
    kind="reduction",
    method="sum",
    doc="``Σ x`` over ``axes``; gradient: ``g`` repeated along the summed axes.",
    checks=OpChecks(samples=_reduction_samples, torch=_torch_reduction("sum")),
)


MEAN = define_op(
    "mean",
    forward=lambda m, x, *, axes, keepdims: m.mean(x, axes, keepdims),  # nan for an empty axis
    vjp=lambda m, g, x, axes: (m.unreduce(g * _ratio(1.0, _count(x.shape, axes)), x.shape, axes),),
    kind="reduction",
    method="mean",
    doc="``Σ x / n`` over ``axes`` (``n`` the number of reduced elements); gradient ``g / n``.",
    checks=OpChecks(samples=_reduction_samples, torch=_torch_reduction("mean")),
)


def _extremum_vjp(m: Any, g: Any, x: Any, out: Any, axes: tuple[int, ...]) -> tuple[Any]:
    # torch.amax/amin: the gradient is split evenly among the elements equal to the extremum
    # (selected: an element that is not an extremum gets an exact 0).
    keep = keep_shape(x.shape, axes)
    ties = x == m.reshape(out, keep)
    count = ties.sum(axis=axes, keepdims=True, dtype=g.dtype)
    return (m.where(ties, m.reshape(g, keep) / count, 0.0),)


MAX = define_op(
    "max",
    forward=lambda m, x, *, axes, keepdims: m.amax(x, axes, keepdims),
    vjp=_extremum_vjp,
    kind="reduction",
    method="max",
    doc="The largest element over ``axes``; ties share the gradient evenly (``torch.amax``).",
    checks=OpChecks(samples=_reduction_samples, torch=_torch_reduction("amax")),
)

MIN = define_op(
    "min",
    forward=lambda m, x, *, axes, keepdims: m.amin(x, axes, keepdims),
    vjp=_extremum_vjp,
    kind="reduction",
    method="min",
    doc="The smallest element over ``axes``; ties share the gradient evenly (``torch.amin``).",
    checks=OpChecks(samples=_reduction_samples, torch=_torch_reduction("amin")),
)


def _var(m: Any, x: Any, *, axes: tuple[int, ...], keepdims: bool, ddof: int) -> Any:
    n = _count(x.shape, axes)
    centered = x - m.divide(m.sum(x, axes, True), n)
    return m.divide(m.sum(centered * centered, axes, keepdims), max(n - ddof, 0))


def _var_vjp(m: Any, g: Any, x: Any, axes: tuple[int, ...], ddof: int) -> tuple[Any]:
    # var = Σ(x − x̄)² / (n − ddof); ∂/∂x = 2(x − x̄)/(n − ddof) (the x̄ terms cancel).
    n = _count(x.shape, axes)
    centered = x - m.divide(m.sum(x, axes, True), n)
    return (centered * (m.reshape(g, keep_shape(x.shape, axes)) * _ratio(2.0, max(n - ddof, 0))),)


VAR = define_op(
    "var",
    forward=_var,
    vjp=_var_vjp,
    kind="reduction",
    method="var",
    doc="Variance ``Σ(x − x̄)² / (n − ddof)`` over ``axes`` (``ddof=0`` as numpy; torch "
    "uses 1); ``n − ddof ≤ 0`` gives inf (nan for zero spread), as numpy.",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(3, 4)),), {"axes": (1,), "keepdims": False, "ddof": 0}),
            ((rng.normal(size=(5,)),), {"axes": (0,), "keepdims": True, "ddof": 1}),
        ],
        torch=lambda torch, x, axes, keepdims, ddof: (
            torch.var(x, dim=axes, keepdim=keepdims, correction=ddof)
            if axes
            else torch.var(x.unsqueeze(-1), dim=-1, correction=ddof)
        ),
    ),
)

def _softmax_times(m: Any, g: Any, x: Any, out: Any, keep: tuple[int, ...]) -> tuple[Any]:
    # ∂/∂x logsumexp(x) = softmax(x) = e^(x − lse)
    return (m.reshape(g, keep) * m.exp(x - m.reshape(out, keep)),)


LOGSUMEXP = define_op(
    "logsumexp",
    forward=lambda m, x, *, axes, keepdims: m.logsumexp(x, axes, keepdims),
    vjp=lambda m, g, x, out, axes: _softmax_times(m, g, x, out, keep_shape(x.shape, axes)),
    kind="reduction",
    method="logsumexp",
    doc="``log Σ e^x`` over ``axes``, computed as ``m + log Σ e^(x − m)`` (``m`` the max); "
    "gradient ``softmax(x)·g``.",
    checks=OpChecks(samples=_reduction_samples, torch=_torch_reduction("logsumexp")),
)


def _softmax_samples(rng: np.random.Generator) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return [((rng.normal(size=(3, 4)),), {"axis": 1}), ((rng.normal(size=(2, 3, 2)),), {"axis": 0})]


SOFTMAX = define_op(
    "softmax",
    forward=lambda m, x, *, axis: m.softmax(x, axis),
    vjp=lambda m, g, out, axis: (out * (g - m.sum(g * out, (axis,), True)),),
    kind="reduction",
    method="softmax",
    doc="``e^x / Σ e^x`` along ``axis``, shifted by the max (no overflow); the output layer of "
    "multi-class classification. Gradient ``s ⊙ (g − Σ g⊙s)``.",
    checks=OpChecks(
        samples=_softmax_samples, torch=lambda torch, x, axis: torch.softmax(x, dim=axis)
    ),
)

LOG_SOFTMAX = define_op(
    "log_softmax",
    forward=lambda m, x, *, axis: m.log_softmax(x, axis),
    vjp=lambda m, g, out, axis: (g - m.exp(out) * m.sum(g, (axis,), True),),
    kind="reduction",
    method="log_softmax",
    doc="``x − logsumexp(x)`` along ``axis``, computed stably; gradient ``g − softmax·Σg``.",
    checks=OpChecks(
        samples=_softmax_samples, torch=lambda torch, x, axis: torch.log_softmax(x, dim=axis)
    ),
)
