"""Functions of several tensors and the fused ops of a training step.

Each is an op of the registry (its math is there); these functions check
their arguments and say clearly what is wrong before anything is computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._tensor_args import MIX_HINT, as_constant, normalize_axes, shape_of, to_array
from .ops import REGISTRY
from .tensor import Tensor, apply
from .value import Value

__all__ = [
    "concatenate",
    "linear",
    "maximum",
    "minimum",
    "softmax_cross_entropy",
    "stack",
    "where",
]


def _binary_elementwise(name: str, x: Any, y: Any) -> Tensor:
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor(x)
    op = REGISTRY[name]
    try:
        return apply(op, (x, y))
    except ValueError:
        xs = x.shape if isinstance(x, Tensor) else np.shape(x)
        ys = y.shape if isinstance(y, Tensor) else np.shape(y)
        raise ValueError(
            f"{name}: operands of shapes {tuple(xs)} and {tuple(ys)} do not broadcast together"
        ) from None


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise larger of ``x`` and ``y`` (broadcast); ties split the gradient 0.5/0.5."""
    return _binary_elementwise("maximum", x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise smaller of ``x`` and ``y`` (broadcast); ties split the gradient 0.5/0.5."""
    return _binary_elementwise("minimum", x, y)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``condition`` holds, else ``y`` (all three broadcast); gradient routed likewise.

    ``condition`` is a boolean array, e.g. ``t > 0`` (a Tensor comparison gives
    one); a numeric array or Tensor means "nonzero". It gets no gradient.
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        if cond.dtype.kind not in "biuf":
            raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
        cond = cond != 0
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor(x)
    like = x if isinstance(x, Tensor) else y
    dtype = like.dtype
    xd = x._data if isinstance(x, Tensor) else as_constant(x, dtype, "where")
    yd = y._data if isinstance(y, Tensor) else as_constant(y, dtype, "where")
    try:
        np.broadcast_shapes(cond.shape, shape_of(xd), shape_of(yd))
    except ValueError:
        raise ValueError(
            f"where: condition {cond.shape}, x {shape_of(xd)} and y {shape_of(yd)} do not "
            "broadcast together"
        ) from None
    return apply(REGISTRY["where"], (x, y), (cond,))


def _as_tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op} takes a list or tuple of tensors")
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor")
    items = list(tensors)
    dtype = next((t._data.dtype for t in items if isinstance(t, Tensor)), None)
    return [t if isinstance(t, Tensor) else Tensor(t, dtype=dtype) for t in items]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``; the gradient is split back into the pieces."""
    items = _as_tensors(tensors, "concatenate")
    shapes = [t.shape for t in items]
    ndim = len(shapes[0])
    if ndim == 0 or any(len(s) != ndim for s in shapes):
        raise ValueError(f"concatenate: shapes {shapes} must have the same number (≥ 1) of axes")
    (a,) = normalize_axes(axis, ndim, "concatenate")
    if any(s[:a] + s[a + 1 :] != shapes[0][:a] + shapes[0][a + 1 :] for s in shapes):
        raise ValueError(
            f"concatenate: shapes {', '.join(map(str, shapes))} must match except along axis {axis}"
        )
    return apply(REGISTRY["concatenate"], items, (a,))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new ``axis``; the gradient is sliced back."""
    items = _as_tensors(tensors, "stack")
    shapes = [t.shape for t in items]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: all shapes must be equal, got {', '.join(map(str, shapes))}")
    (a,) = normalize_axes(axis, len(shapes[0]) + 1, "stack")
    return apply(REGISTRY["stack"], items, (a,))


def _operand(t: Any, dtype: np.dtype | None, what: str) -> Any:
    if isinstance(t, Tensor):
        return t
    if type(t) is np.ndarray and t.dtype == dtype:
        return Tensor(t)  # already what to_array makes of it
    if isinstance(t, Value):
        raise TypeError(f"{what}: got a Value. {MIX_HINT}")
    return Tensor(to_array(t, dtype, what))


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight + bias`` as one node: a fully connected layer.

    ``weight`` is ``(in_features, out_features)``, ``bias`` ``(out_features,)``
    or None, ``x`` ``(..., in_features)``. Backward: ``∂/∂x = g·Wᵀ``,
    ``∂/∂W = xᵀ·g``, ``∂/∂b = Σ g``. One node instead of matmul and add, and
    no temporary for the bias: the hot path of ``nn.Linear``. (PyTorch's
    ``F.linear`` takes the transpose, ``(out, in)``; for row-major batches
    ``x @ W`` is the faster BLAS call.) An ndarray ``x`` is a constant operand,
    used as given and not copied (as in every op): change it in place only
    after ``backward()``, whose ``∂/∂W`` reads it.
    """
    # Tensors as they are (what _operand returns for them), without its calls: the hot path.
    w = weight if type(weight) is Tensor else _operand(weight, None, "linear weight")
    wd = w._data
    raw = type(x) is Tensor or (type(x) is np.ndarray and x.dtype == wd.dtype)
    xt = x if raw else _operand(x, wd.dtype, "linear input")
    b = bias if bias is None or type(bias) is Tensor else _operand(bias, wd.dtype, "linear bias")
    w_shape, x_shape = wd.shape, xt.shape
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (in_features, out_features), got {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[0]:
        raise ValueError(
            f"linear: input of shape {x_shape} needs {w_shape[0]} features on its last axis "
            f"for a weight of shape {w_shape}"
        )
    if b is not None and b._data.shape != (w_shape[1],):
        raise ValueError(f"linear: bias must have shape ({w_shape[1]},), got {b._data.shape}")
    return apply(_LINEAR, (xt, w, b))


_LINEAR = REGISTRY["linear"]


_REDUCTIONS = ("mean", "sum", "none")


def softmax_cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Cross entropy of ``softmax(logits)`` against integer classes, fused and stable.

    ``loss_i = logsumexp(z_i) − z_i[y_i]`` for logits ``z`` of shape ``(N, C)``
    and class indices ``y`` of shape ``(N,)``, reduced by ``reduction``
    (``"mean"``, ``"sum"`` or ``"none"``). Shifted by the row maximum, so
    logits of ±1000 give finite values; the gradient is
    ``(softmax(z) − onehot(y))`` times the upstream gradient (``/N`` for the
    mean) — one node instead of log_softmax, indexing and mean.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    z = _operand(logits, None, "softmax_cross_entropy logits")
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(
            f"softmax_cross_entropy: logits must be a non-empty (N, C) array, got {z.shape}"
        )
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise TypeError(
            f"softmax_cross_entropy: target must hold integer class indices, got dtype {t.dtype}"
        )
    t = t.astype(np.intp, copy=False)
    n, c = z.shape
    if t.shape != (n,):
        raise ValueError(f"softmax_cross_entropy: target must have shape ({n},), got {t.shape}")
    if n and out_of_range(t, c):
        raise ValueError(
            f"softmax_cross_entropy: class indices must lie in [0, {c}), got {t.min()}..{t.max()}"
        )
    return apply(REGISTRY["softmax_cross_entropy"], (z,), (t, reduction))


def out_of_range(indices: np.ndarray, n: int) -> bool:
    """Whether any of the (non-empty, integer) ``indices`` lies outside ``[0, n)``.

    One reduction instead of ``min()`` and ``max()``: viewed as unsigned, a
    negative index is larger than any valid one.
    """
    unsigned = indices.astype(np.intp, copy=False).view(np.uintp)
    return bool(np.maximum.reduce(unsigned, axis=None) >= n)


def fused_cross_entropy(logits: Tensor, indices: np.ndarray, reduction: str) -> Tensor:
    """:func:`softmax_cross_entropy` for arguments already checked by the caller.

    ``logits`` a Tensor of shape ``(N, C)``, ``indices`` an ``intp`` array of
    shape ``(N,)`` in ``[0, C)``, ``reduction`` one of ``"mean"``, ``"sum"``,
    ``"none"``: ``nn.functional.cross_entropy`` checks these with its own messages.
    """
    return apply(REGISTRY["softmax_cross_entropy"], (logits,), (indices, reduction))
