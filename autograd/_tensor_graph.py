"""Tensor backward rules as recorded Tensor operations, for ``create_graph=True``.

The first-order rules in :mod:`autograd._tensor_ops` work on raw ndarrays: the
fast path of every training step. Differentiating a gradient needs the same
formulas evaluated with Tensor operations, so that they are recorded in the
graph; this module holds them, one per first-order rule and in the same
order, each the same formula in a line (``g`` is the upstream gradient, a
Tensor; ``out`` the node itself; ``xs`` its parents). Masks that depend only
on the data (relu, abs, clip, ties in max) are constants: their derivative is
zero almost everywhere, exactly as for the first-order rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _tensor_ops as ops
from .tensor import Tensor, _node, where


def _operands(out: Tensor, xd: Any, yd: Any, rx: bool, ry: bool) -> tuple[Any, Any]:
    """The operands as graph nodes where they need a gradient, else as constants."""
    prev = out._prev
    x = prev[0] if rx else xd
    y = prev[-1] if ry else yd
    return x, y


def _pick(gx: Any, gy: Any, rx: bool, ry: bool) -> tuple[Any, ...]:
    if rx and ry:
        return (gx, gy)
    return (gx,) if rx else (gy,)


def _add(out, g, xd, yd, od, rx, ry):
    return _pick(g, g, rx, ry)


def _sub(out, g, xd, yd, od, rx, ry):
    return _pick(g, -g if ry else None, rx, ry)


def _mul(out, g, xd, yd, od, rx, ry):
    x, y = _operands(out, xd, yd, rx, ry)
    return _pick(g * y if rx else None, g * x if ry else None, rx, ry)


def _div(out, g, xd, yd, od, rx, ry):
    x, y = _operands(out, xd, yd, rx, ry)
    return _pick(g / y if rx else None, -g * x / (y * y) if ry else None, rx, ry)


def _pow(out, g, xd, yd, od, rx, ry):
    x, y = _operands(out, xd, yd, rx, ry)
    gx = gy = None
    if rx:
        if np.ndim(yd) == 0 and not ry:
            c = float(yd)
            gx = g * 0.0 if c == 0 else g * (c * x ** (c - 1))
        else:
            gx = where((yd == 0) & (xd == 0), 0.0, g * (y * x ** (y - 1)))
    if ry:
        log_x = x.log() if rx else ops.log_forward(np.asarray(xd, dtype=od.dtype))
        gy = where((xd == 0) & (yd >= 0), 0.0, g * (out * log_x))
    return _pick(gx, gy, rx, ry)


def _transpose_last(a: Tensor) -> Tensor:
    axes = list(range(a.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return a.transpose(*axes)


def _matmul(out, g, xd, yd, od, rx, ry):
    x, y = _operands(out, xd, yd, rx, ry)
    x = x if isinstance(x, Tensor) else Tensor(x)
    y = y if isinstance(y, Tensor) else Tensor(y)
    a = x.reshape(1, -1) if xd.ndim == 1 else x
    b = y.reshape(-1, 1) if yd.ndim == 1 else y
    if xd.ndim == 1 and yd.ndim == 1:
        G = g.reshape(1, 1)
    elif xd.ndim == 1:
        G = g.unsqueeze(-2)
    elif yd.ndim == 1:
        G = g.unsqueeze(-1)
    else:
        G = g
    gx = gy = None
    if rx:
        ga = G @ _transpose_last(b)
        gx = ga.reshape((*ga.shape[:-2], ga.shape[-1])) if xd.ndim == 1 else ga
    if ry:
        gb = _transpose_last(a) @ G
        gy = gb.reshape(gb.shape[:-1]) if yd.ndim == 1 else gb
    return _pick(gx, gy, rx, ry)


def _maximum(out, g, xd, yd, od, rx, ry):
    half = where(xd == yd, g * 0.5, 0.0)
    gx = where(xd > yd, g, half) if rx else None
    gy = where(yd > xd, g, half) if ry else None
    return _pick(gx, gy, rx, ry)


def _minimum(out, g, xd, yd, od, rx, ry):
    half = where(xd == yd, g * 0.5, 0.0)
    gx = where(xd < yd, g, half) if rx else None
    gy = where(yd < xd, g, half) if ry else None
    return _pick(gx, gy, rx, ry)


def _where(out, g, condition, rx, ry):
    gx = where(condition, g, 0.0) if rx else None
    gy = where(condition, 0.0, g) if ry else None
    return _pick(gx, gy, rx, ry)


def _x(out: Tensor) -> Tensor:
    return out._prev[0]


def _mish(out, g, xd):
    x = _x(out)
    t = x.softplus().tanh()
    return (g * (t + x * x.sigmoid() * (1 - t * t)),)


def _extremum(out, g, xd, out_keep, axes, keep_shape):
    mask = xd == out_keep
    count = mask.sum(axis=axes, keepdims=True, dtype=xd.dtype)
    return ((g.reshape(keep_shape) / count) * mask,)


def _var(out, g, xd, mean_keep, keep_shape, scale):
    x = _x(out)
    axes = tuple(i for i, n in enumerate(keep_shape) if n == 1)
    return ((x - x.mean(axis=axes, keepdims=True)) * (g.reshape(keep_shape) * scale),)


def _scatter_backward(g: np.ndarray, index: Any) -> tuple:
    return (g[index],)


def _scatter(g: Tensor, shape: tuple[int, ...], index: Any, accumulate: bool) -> Tensor:
    """The adjoint of ``t[index]``, recorded: zeros of ``shape`` with ``g`` added at ``index``."""
    (data,) = ops.getitem_backward(g.data, shape, index, accumulate)
    if not g._requires_grad:
        return Tensor(data)
    return _node(data, (g,), "scatter", _scatter_backward, (index,))


def _concatenate(out, g, axis, bounds, keep):
    edges = (0, *bounds, g.shape[axis])
    pieces = []
    for i in keep:
        key = (slice(None),) * axis + (slice(edges[i], edges[i + 1]),)
        pieces.append(g[key])
    return tuple(pieces)


def _stack(out, g, axis, keep):
    return tuple(g[(slice(None),) * axis + (i,)] for i in keep)


def _linear(out, g, xd, wd, rx, rw, rb):
    prev = list(out._prev)
    x = prev.pop(0) if rx else Tensor(xd)
    w = prev.pop(0) if rw else Tensor(wd)
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


def _softmax_cross_entropy(out, g, probs, target, rows, reduction):
    logits = out._prev[0]
    onehot = np.zeros(probs.shape, dtype=probs.dtype)
    onehot[rows, target] = 1
    d = logits.softmax(axis=1) - onehot
    if reduction == "none":
        return (d * g.reshape(-1, 1),)
    return (d * (g / len(target)) if reduction == "mean" else d * g,)


GraphRule = Callable[..., tuple[Any, ...]]

RULES: dict[Any, GraphRule] = {
    ops.add_backward: _add,
    ops.sub_backward: _sub,
    ops.mul_backward: _mul,
    ops.div_backward: _div,
    ops.pow_backward: _pow,
    ops.matmul_backward: _matmul,
    ops.maximum_backward: _maximum,
    ops.minimum_backward: _minimum,
    ops.where_backward: _where,
    ops.neg_backward: lambda out, g: (-g,),
    ops.exp_backward: lambda out, g, od: (g * out,),
    ops.log_backward: lambda out, g, xd: (g / _x(out),),
    ops.sqrt_backward: lambda out, g, od: (g / (2 * out),),
    ops.tanh_backward: lambda out, g, od: (g * (1 - out * out),),
    ops.sigmoid_backward: lambda out, g, od: (g * (out * (1 - out)),),
    ops.relu_backward: lambda out, g, od: (g * (od > 0),),
    ops.leaky_relu_backward: lambda out, g, xd, slope: (where(xd > 0, g, g * slope),),
    ops.softplus_backward: lambda out, g, xd: (g * _x(out).sigmoid(),),
    ops.mish_backward: _mish,
    ops.abs_backward: lambda out, g, xd: (g * np.sign(xd),),
    ops.sign_backward: lambda out, g: (g * 0.0,),
    ops.clip_backward: lambda out, g, xd, lo, hi: (
        g * ops.clip_backward(np.ones_like(xd), xd, lo, hi)[0],
    ),
    ops.sum_backward: lambda out, g, shape, keep: (g.reshape(keep).broadcast_to(shape),),
    ops.mean_backward: lambda out, g, shape, keep, scale: (
        (g.reshape(keep) * scale).broadcast_to(shape),
    ),
    ops.extremum_backward: _extremum,
    ops.var_backward: _var,
    ops.softmax_backward: lambda out, g, od, axis: (
        out * (g - (g * out).sum(axis=axis, keepdims=True)),
    ),
    ops.log_softmax_backward: lambda out, g, od, axis: (
        g - out.exp() * g.sum(axis=axis, keepdims=True),
    ),
    ops.logsumexp_backward: lambda out, g, xd, out_keep, keep: (
        g.reshape(keep) * (_x(out) - out.reshape(keep)).exp(),
    ),
    ops.reshape_backward: lambda out, g, shape: (g.reshape(shape),),
    ops.transpose_backward: lambda out, g, inverse: (g.transpose(*inverse),),
    ops.identity_backward: lambda out, g: (g,),
    ops.getitem_backward: lambda out, g, shape, index, acc: (_scatter(g, shape, index, acc),),
    ops.concatenate_backward: _concatenate,
    ops.stack_backward: _stack,
    _scatter_backward: lambda out, g, index: (g[index],),
    ops.linear_backward: _linear,
    ops.softmax_cross_entropy_backward: _softmax_cross_entropy,
}


def unbroadcast(c: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum a recorded gradient down to ``shape`` (the graph-mode twin of ``ops.unbroadcast``)."""
    extra = c.ndim - len(shape)
    if extra > 0:
        c = c.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and c.shape[i] != 1)
    if axes:
        c = c.sum(axis=axes, keepdims=True)
    return c


def vjp_graph(node: Tensor, grad: Tensor) -> tuple[Any, ...]:
    """Each parent's contribution as a recorded Tensor, reduced to the parent's shape."""
    rule = RULES.get(node._backward)
    if rule is None:  # pragma: no cover - every first-order rule has a twin above
        raise NotImplementedError(f"no create_graph rule for the {node._op!r} operation")
    if not isinstance(grad, Tensor):
        grad = Tensor(grad)
    contributions = rule(node, grad, *node._ctx)
    fitted = []
    for parent, c in zip(node._prev, contributions):
        if c is None:
            fitted.append(None)
            continue
        if not isinstance(c, Tensor):
            c = Tensor(np.broadcast_to(c, parent.shape), dtype=parent.dtype)
        if c.shape != parent.shape:
            c = unbroadcast(c, parent.shape)
        fitted.append(c)
    return tuple(fitted)
