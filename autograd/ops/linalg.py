"""Matrix products and the fused ops of a training step (Tensor only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._record import OpChecks, define_op


def _swap_last(m: Any, a: Any) -> Any:
    axes = list(range(a.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return m.transpose(a, tuple(axes))


def _matmul_vjp(m: Any, g: Any, x: Any, y: Any, wants: tuple[bool, ...]) -> tuple[Any, Any]:
    # out = x @ y: ∂/∂x = g @ yᵀ, ∂/∂y = xᵀ @ g. numpy treats a 1-D left operand as a row
    # (1, k) and a 1-D right one as a column (k, 1) and drops the added axis from the result;
    # the adjoint adds it back to g, multiplies and drops it again. Batch axes broadcast
    # (the engine sums them back).
    a = m.reshape(x, (1, -1)) if x.ndim == 1 else x
    b = m.reshape(y, (-1, 1)) if y.ndim == 1 else y
    if x.ndim == 1 and y.ndim == 1:
        G = m.reshape(g, (1, 1))
    elif x.ndim == 1:
        G = m.reshape(g, (*g.shape[:-1], 1, g.shape[-1]))
    elif y.ndim == 1:
        G = m.reshape(g, (*g.shape, 1))
    else:
        G = g
    gx = gy = None
    if wants[0]:
        gx = m.matmul(G, _swap_last(m, b))
        if x.ndim == 1:
            gx = m.reshape(gx, (*gx.shape[:-2], gx.shape[-1]))
    if wants[1]:
        gy = m.matmul(_swap_last(m, a), G)
        if y.ndim == 1:
            gy = m.reshape(gy, gy.shape[:-1])
    return gx, gy


MATMUL = define_op(
    "matmul",
    forward=lambda m, x, y: m.matmul(x, y),
    vjp=_matmul_vjp,
    label="@",
    kind="operator",
    method="__matmul__",
    doc="``x @ y`` as ``numpy.matmul`` (1-D operands and batch axes included); gradients "
    "``g @ yᵀ`` and ``xᵀ @ g``.",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), {}),
            ((rng.normal(size=(4,)), rng.normal(size=(4, 2))), {}),
            ((rng.normal(size=(2, 3, 4)), rng.normal(size=(4,))), {}),
            ((rng.normal(size=(4,)), rng.normal(size=(4,))), {}),
        ],
        torch=lambda torch, x, y: torch.matmul(x, y),
    ),
)


def _linear_vjp(
    m: Any, g: Any, x: Any, w: Any, wants: tuple[bool, ...]
) -> tuple[Any, Any, Any]:
    # out = x @ w + b: ∂/∂x = g @ wᵀ, ∂/∂w = xᵀ @ g (batch axes folded into rows), ∂/∂b = Σ g.
    gx = m.matmul(g, m.transpose(w, (1, 0))) if wants[0] else None
    gw = gb = None
    if wants[1] or wants[2]:
        rows = m.reshape(g, (-1, g.shape[-1]))
        if wants[1]:
            gw = m.matmul(m.transpose(m.reshape(x, (-1, x.shape[-1])), (1, 0)), rows)
        if wants[2]:
            gb = m.sum(rows, (0,), False)
    return gx, gw, gb


LINEAR = define_op(
    "linear",
    forward=lambda m, x, w, b: m.linear(x, w, b),
    vjp=_linear_vjp,
    kind="linalg",
    doc="``x @ w + b`` as one node (a fully connected layer; ``w`` is ``(in, out)``, ``b`` "
    "may be None). Gradients ``g·wᵀ``, ``xᵀ·g``, ``Σ g``.",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))), {}),
            ((rng.normal(size=(2, 5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))), {}),
        ],
        torch=lambda torch, x, w, b: torch.nn.functional.linear(x, w.T, b),
    ),
)


def _onehot(target: np.ndarray, shape: tuple[int, int], dtype: Any) -> np.ndarray:
    onehot = np.zeros(shape, dtype=dtype)
    onehot[np.arange(shape[0]), target] = 1
    return onehot


def _cross_entropy_vjp(m: Any, g: Any, logits: Any, target: Any, reduction: str) -> tuple[Any]:
    # ∂/∂z (logsumexp(z) − z_y) = softmax(z) − onehot(y), times each row's upstream gradient.
    n = logits.shape[0]
    d = m.softmax(logits, 1) - _onehot(target, logits.shape, logits.dtype)
    if reduction == "none":
        return (d * m.reshape(g, (-1, 1)),)
    return (d * (g * (1.0 / n)) if reduction == "mean" else d * g,)


SOFTMAX_CROSS_ENTROPY = define_op(
    "softmax_cross_entropy",
    forward=lambda m, logits, *, target, reduction: m.softmax_cross_entropy(
        logits, target, reduction
    ),
    vjp=_cross_entropy_vjp,
    label="cross_entropy",
    kind="linalg",
    doc="Cross entropy of ``softmax(logits)`` against integer classes, fused and stable: "
    "``logsumexp(z) − z_y`` per row; gradient ``softmax(z) − onehot(y)`` (``/N`` for the mean).",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(4, 3)),), {"target": np.array([0, 2, 1, 2]), "reduction": "mean"}),
            ((rng.normal(size=(3, 5)),), {"target": np.array([4, 0, 0]), "reduction": "none"}),
        ],
        torch=lambda torch, z, target, reduction: torch.nn.functional.cross_entropy(
            z, torch.as_tensor(target), reduction=reduction
        ),
    ),
)
