"""The math of :class:`~autograd.Tensor` operations: numpy forward kernels and backward rules.

Every backward rule is a module-level function ``rule(g, *ctx) -> tuple``:
``g`` is the upstream gradient (shaped like the op's output) and ``ctx`` the
values the forward pass saved. It returns one gradient per parent in the
node's ``_prev`` order, each *shaped like the output* where the op broadcasts:
:meth:`Tensor._vjp` reduces it to the parent's shape (``unbroadcast``) once,
for every op. Rules never write into ``g`` or into saved arrays.

Binary rules get ``ctx = (x, y, out, rx, ry)``: the operands' data (a Python
number for a scalar constant), the result, and whether each operand requires
a gradient; they return ``(gx, gy)``, ``(gx,)`` or ``(gy,)`` accordingly.

Conventions at non-differentiable points follow PyTorch and are pinned by
tests: ``relu'(0) = 0``, ``|x|'(0) = 0``, ``sign' = 0``,
``leaky_relu'(0) = negative_slope``, ``clip`` passes the gradient on
``lo <= x <= hi``, ``maximum``/``minimum`` split it 0.5/0.5 between equal
elements, ``max``/``min`` reductions split it evenly among tied elements
(``torch.amax``), ``d/dx x**0 = 0`` and ``d/dy x**y = 0`` where ``x == 0`` and
``y >= 0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray


def unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``g`` down to ``shape``: over prepended axes, then over axes where ``shape`` has 1.

    The adjoint of numpy broadcasting (ANCHORS #1); the result is shaped ``shape``.
    """
    extra = g.ndim - len(shape)
    if extra == 1 and g.shape[1:] == shape:  # the bias case: (batch, n) -> (n,)
        return np.add.reduce(g, 0)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:  # pragma: no cover - a broken rule, not user input
        raise RuntimeError(f"internal error: gradient of shape {g.shape} for input {shape}")
    return g


# ----------------------------------------------------------------------------
# Binary operations: ctx = (x, y, out, rx, ry)
# ----------------------------------------------------------------------------


def add_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    return (g, g) if rx and ry else (g,)


def sub_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    if rx and ry:
        return (g, -g)
    return (g,) if rx else (-g,)


def mul_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    if rx and ry:
        return (g * y, g * x)
    return (g * y,) if rx else (g * x,)


def div_forward(x: Any, y: Any) -> Array:
    """``x / y``; ``±inf`` or ``nan`` for a zero divisor, without warnings (IEEE, as PyTorch)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.true_divide(x, y)


def div_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    # PyTorch's formulas: d/dx = g / y, d/dy = -g * x / y².
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gx = g / y if rx else None
        gy = -g * x / (y * y) if ry else None
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


def pow_forward(x: Any, y: Any) -> Array:
    """``x ** y``; a negative base with a non-integer exponent is ``nan`` (never complex)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(x, y)


def _pow_grad_base(g: Array, x: Any, y: Any) -> Array:
    # d/dx x**y = y * x**(y-1), and 0 where y == 0 (also at x == 0).
    if isinstance(y, float | int):
        if y == 0:
            return np.zeros_like(g)
        if y == 1:
            return g * 1
        if y == 2:
            return g * (2 * x)
        return g * (y * np.power(x, y - 1))
    return np.where(y == 0, 0, g * (y * np.power(x, y - 1)))


def _pow_grad_exponent(g: Array, x: Any, y: Any, out: Array) -> Array:
    # d/dy x**y = x**y * log(x), and 0 where x == 0 and y >= 0.
    return np.where((x == 0) & (y >= 0), 0, g * (out * np.log(x)))


def pow_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gx = _pow_grad_base(g, x, y) if rx else None
        gy = _pow_grad_exponent(g, x, y, out) if ry else None
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


def _matmul_general(g: Array, x: Array, y: Array, rx: bool, ry: bool) -> tuple[Any, Any]:
    """The matmul vjp for any ranks, mirroring numpy's promotion of 1-D operands.

    numpy treats a 1-D left operand as a row ``(1, k)`` and a 1-D right operand
    as a column ``(k, 1)`` and removes the added axis from the result; the
    backward adds it back to ``g``, multiplies, and removes it again.
    """
    a = x[np.newaxis, :] if x.ndim == 1 else x
    b = y[:, np.newaxis] if y.ndim == 1 else y
    if x.ndim == 1 and y.ndim == 1:
        G = np.reshape(g, (1, 1))
    elif x.ndim == 1:
        G = np.expand_dims(g, -2)
    elif y.ndim == 1:
        G = np.expand_dims(g, -1)
    else:
        G = g
    gx = gy = None
    if rx:
        ga = np.matmul(G, np.swapaxes(b, -1, -2))
        gx = ga[..., 0, :] if x.ndim == 1 else ga
    if ry:
        gb = np.matmul(np.swapaxes(a, -1, -2), G)
        gy = gb[..., 0] if y.ndim == 1 else gb
    return gx, gy


def matmul_backward(g: Array, x: Array, y: Array, out: Array, rx: bool, ry: bool) -> tuple:
    # out = x @ y: d/dx = g @ yᵀ, d/dy = xᵀ @ g (2-D fast path; batched and 1-D below).
    if x.ndim == 2 and y.ndim == 2:
        if rx and ry:
            return (g @ y.T, x.T @ g)
        return (g @ y.T,) if rx else (x.T @ g,)
    gx, gy = _matmul_general(g, x, y, rx, ry)
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


def maximum_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    # torch.maximum: the whole gradient to the larger operand, half to each on a tie.
    half = np.where(x == y, g * 0.5, 0)
    gx = np.where(x > y, g, half) if rx else None
    gy = np.where(y > x, g, half) if ry else None
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


def minimum_backward(g: Array, x: Any, y: Any, out: Array, rx: bool, ry: bool) -> tuple:
    half = np.where(x == y, g * 0.5, 0)
    gx = np.where(x < y, g, half) if rx else None
    gy = np.where(y < x, g, half) if ry else None
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


def where_backward(g: Array, condition: Array, rx: bool, ry: bool) -> tuple:
    gx = np.where(condition, g, 0) if rx else None
    gy = np.where(condition, 0, g) if ry else None
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


# ----------------------------------------------------------------------------
# Elementwise functions
# ----------------------------------------------------------------------------


def neg_backward(g: Array) -> tuple:
    return (-g,)


def exp_forward(x: Array) -> Array:
    """``e^x`` (``inf`` on overflow, no warning)."""
    with np.errstate(over="ignore"):
        return np.exp(x)


def exp_backward(g: Array, out: Array) -> tuple:
    return (g * out,)


def log_forward(x: Array) -> Array:
    """``log x``: ``-inf`` at 0, ``nan`` below, without warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def log_backward(g: Array, x: Array) -> tuple:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g / x,)


def sqrt_forward(x: Array) -> Array:
    """``√x``; ``nan`` below 0, without warnings."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


def sqrt_backward(g: Array, out: Array) -> tuple:
    # g / (2√x): inf at x = 0 (the limit), nan outside the domain.
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g / (2 * out),)


def tanh_backward(g: Array, out: Array) -> tuple:
    return (g * (1 - out * out),)


def sigmoid_forward(x: Array) -> Array:
    """Stable ``σ(x)``: ``1/(1+e^-x)`` for x ≥ 0, ``e^x/(1+e^x)`` below (``e^-|x|`` ≤ 1)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(g: Array, out: Array) -> tuple:
    return (g * (out * (1 - out)),)


def softplus_forward(x: Array) -> Array:
    """Stable ``log(1 + e^x) = max(x, 0) + log1p(e^-|x|)``."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def softplus_backward(g: Array, x: Array) -> tuple:
    return (g * sigmoid_forward(x),)


def mish_forward(x: Array) -> Array:
    """``x · tanh(softplus(x))``."""
    return x * np.tanh(softplus_forward(x))


def mish_backward(g: Array, x: Array) -> tuple:
    # d/dx = tanh(sp) + x · σ(x) · (1 − tanh²(sp)), sp = softplus(x).
    t = np.tanh(softplus_forward(x))
    return (g * (t + x * sigmoid_forward(x) * (1 - t * t)),)


def relu_backward(g: Array, out: Array) -> tuple:
    # relu'(x) = 1 for x > 0 else 0 (0 at 0, as PyTorch); out > 0 exactly where x > 0.
    return (g * (out > 0),)


def leaky_relu_backward(g: Array, x: Array, negative_slope: float) -> tuple:
    # Slope 1 for x > 0, negative_slope for x <= 0 (at 0 too, as PyTorch).
    return (np.where(x > 0, g, g * negative_slope),)


def abs_backward(g: Array, x: Array) -> tuple:
    # d|x|/dx = sign(x), 0 at 0 (PyTorch).
    return (g * np.sign(x),)


def sign_backward(g: Array) -> tuple:
    return (np.zeros_like(g),)


def clip_backward(g: Array, x: Array, lo: Any, hi: Any) -> tuple:
    # torch.clamp: the gradient passes where lo <= x <= hi, bounds included.
    if lo is None:
        mask = x <= hi
    elif hi is None:
        mask = x >= lo
    else:
        mask = (x >= lo) & (x <= hi)
    return (g * mask,)


# ----------------------------------------------------------------------------
# Reductions. keep_shape is the output shape with the reduced axes kept as 1.
# ----------------------------------------------------------------------------


def _spread(g: Array, keep_shape: tuple[int, ...], shape: tuple[int, ...]) -> Array:
    # A fresh, writable array (np.broadcast_to would give a read-only view and cost more).
    out = np.empty(shape, dtype=g.dtype)
    if g.ndim == 0:  # a full reduction: one number everywhere
        out.fill(g)
    else:
        out[...] = g.reshape(keep_shape)
    return out


def sum_backward(g: Array, shape: tuple[int, ...], keep_shape: tuple[int, ...]) -> tuple:
    return (_spread(g, keep_shape, shape),)


def mean_backward(
    g: Array, shape: tuple[int, ...], keep_shape: tuple[int, ...], scale: float
) -> tuple:
    return (_spread(g * scale, keep_shape, shape),)


def extremum_backward(
    g: Array, x: Array, out_keep: Array, axes: tuple[int, ...], keep_shape: tuple[int, ...]
) -> tuple:
    # torch.amax/amin: the gradient is split evenly among the elements equal to the extremum.
    mask = x == out_keep
    count = mask.sum(axis=axes, keepdims=True, dtype=g.dtype)
    return (mask * (g.reshape(keep_shape) / count),)


def var_backward(
    g: Array, x: Array, mean_keep: Array, keep_shape: tuple[int, ...], scale: float
) -> tuple:
    # var = Σ(x − x̄)² / (n − ddof); d/dx = 2(x − x̄) / (n − ddof) (the x̄ terms cancel).
    return ((x - mean_keep) * (g.reshape(keep_shape) * scale),)


def softmax_forward(x: Array, axis: int) -> Array:
    """``e^(x − max) / Σ e^(x − max)`` along ``axis`` (shifted by the max: no overflow)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def softmax_backward(g: Array, out: Array, axis: int) -> tuple:
    # J = diag(s) − s sᵀ, so gᵀJ = s ⊙ (g − Σ g⊙s).
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


def log_softmax_forward(x: Array, axis: int) -> Array:
    """``x − logsumexp(x)`` along ``axis``, computed as ``(x − m) − log Σ e^(x − m)``."""
    shifted = x - np.maximum.reduce(x, axis, keepdims=True)
    lse = np.log(np.add.reduce(np.exp(shifted), axis, keepdims=True))
    shifted -= lse
    return shifted


def log_softmax_backward(g: Array, out: Array, axis: int) -> tuple:
    # d/dx (x − lse) = I − softmax: g − softmax · Σ g.
    return (g - np.exp(out) * np.add.reduce(g, axis, keepdims=True),)


def logsumexp_forward(x: Array, axes: tuple[int, ...]) -> Array:
    """``m + log Σ e^(x − m)`` over ``axes`` (keepdims), ``m`` the max (0 where infinite)."""
    m = x.max(axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m


def logsumexp_backward(g: Array, x: Array, out_keep: Array, keep_shape: tuple[int, ...]) -> tuple:
    # d/dx logsumexp(x) = softmax(x) = e^(x − lse).
    with np.errstate(invalid="ignore"):
        return (g.reshape(keep_shape) * np.exp(x - out_keep),)


# ----------------------------------------------------------------------------
# Shape operations
# ----------------------------------------------------------------------------


def reshape_backward(g: Array, shape: tuple[int, ...]) -> tuple:
    return (g.reshape(shape),)


def transpose_backward(g: Array, inverse: tuple[int, ...]) -> tuple:
    return (g.transpose(inverse),)


def identity_backward(g: Array) -> tuple:
    # broadcast_to: Tensor._vjp reduces g to the input's shape.
    return (g,)


def getitem_backward(g: Array, shape: tuple[int, ...], index: Any, accumulate: bool) -> tuple:
    # Scatter g back; repeated integer indices must add up, which needs np.add.at.
    z = np.zeros(shape, dtype=g.dtype)
    if accumulate:
        np.add.at(z, index, g)
    else:
        z[index] = g
    return (z,)


def concatenate_backward(
    g: Array, axis: int, bounds: tuple[int, ...], keep: tuple[int, ...]
) -> tuple:
    parts = np.split(g, bounds, axis=axis)
    return tuple(parts[i] for i in keep)


def stack_backward(g: Array, axis: int, keep: tuple[int, ...]) -> tuple:
    return tuple(np.take(g, i, axis=axis) for i in keep)


# ----------------------------------------------------------------------------
# Fused operations (one node instead of several: less per-op overhead, fewer
# temporaries on the hot path of a training step)
# ----------------------------------------------------------------------------


def linear_forward(x: Array, w: Array, b: Array | None) -> Array:
    """``x @ w + b`` with ``w`` of shape ``(in, out)``; the bias is added in place."""
    out = x @ w
    if b is not None:
        out += b
    return out


def linear_backward(g: Array, x: Array, w: Array, rx: bool, rw: bool, rb: bool) -> tuple:
    # d/dx = g @ wᵀ, d/dw = xᵀ @ g (batch axes folded into rows), d/db = Σ_rows g.
    grads = []
    if rx:
        grads.append(g @ w.T)
    if rw or rb:
        g2 = g.reshape(-1, g.shape[-1])
        if rw:
            grads.append(x.reshape(-1, x.shape[-1]).T @ g2)
        if rb:
            grads.append(g2.sum(axis=0))
    return tuple(grads)


def softmax_cross_entropy_forward(
    logits: Array, target: Array, reduction: str
) -> tuple[Array, Array, Array]:
    """Per-row ``logsumexp(z) − z_y`` reduced, the softmax probabilities and the row indices."""
    rows = np.arange(logits.shape[0])
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    total = probs.sum(axis=1, keepdims=True)
    losses = np.log(total[:, 0]) - shifted[rows, target]
    probs /= total
    if reduction == "mean":
        return losses.sum() * (1.0 / len(losses)), probs, rows
    if reduction == "sum":
        return losses.sum(), probs, rows
    return losses, probs, rows


def softmax_cross_entropy_backward(
    g: Array, probs: Array, target: Array, rows: Array, reduction: str
) -> tuple:
    # ∂/∂z (logsumexp(z) − z_y) = softmax(z) − onehot(y), times the row's upstream gradient.
    d = probs.copy()
    d[rows, target] -= 1
    if reduction == "none":
        d *= g[:, None]
    else:
        d *= g * (1.0 / len(rows)) if reduction == "mean" else g
    return (d,)
