"""The op table of the ONNX exporter: each Tensor op of the registry as ONNX operators.

Each emitter gets the graph, the op's operands as symbols (already cast to
the result's dtype), its parameters and the result's shape and dtype, and
returns the result's symbol, or ``None`` to export the op through its forward
formula instead (see :mod:`autograd._onnx_graph`). The first line of each
emitter's docstring is what :func:`autograd.onnx.mapping` reports.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._onnx_graph import BOOL, FORMULA, Emitter, Graph, Symbol

__all__ = ["EMITTERS"]

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def _same(op_type: str, **attributes: Any) -> Emitter:
    """An ONNX operator with the op's inputs, in order, and the op's result."""

    def emit(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
        return g.node(op_type, xs, shape, dtype, **attributes)

    emit.__doc__ = op_type
    return emit


def _float32_only(op_type: str, **attributes: Any) -> Emitter:
    """``op_type`` for float32; float64 through the op's formula (onnxruntime has no kernel)."""

    def emit(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Any:
        if dtype != np.float32:
            return None
        attrs = {k: p[v] if isinstance(v, str) else v for k, v in attributes.items()}
        return g.node(op_type, xs, shape, dtype, **attrs)

    emit.__doc__ = f"{op_type} (float64: the op's formula)"
    return emit


def _pow(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Pow (Sqrt, or Reciprocal of Sqrt, for a constant exponent 0.5 or −0.5, as the engine)."""
    x, y = xs
    if y.const is not None and y.const.ndim == 0 and shape == x.shape:
        if y.const == 0.5:
            return g.node("Sqrt", [x], shape, dtype)
        if y.const == -0.5:
            return g.node("Reciprocal", [g.node("Sqrt", [x], shape, dtype)], shape, dtype)
    return g.node("Pow", [x, y], shape, dtype)


def _tan(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Tan (float64: Sin / Cos; onnxruntime has no float64 Tan)."""
    (x,) = xs
    if dtype == np.float32:
        return g.node("Tan", [x], shape, dtype)
    sin, cos = g.node("Sin", [x], shape, dtype), g.node("Cos", [x], shape, dtype)
    return g.node("Div", [sin, cos], shape, dtype)


def _log1p(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """x·Log(u)/(u − 1) with u = 1 + x, x itself where u − 1 = 0 or x = ∞ (ONNX has no Log1p).

    Log(1 + x) alone would lose every digit of a tiny x; this is exact to rounding.
    """
    (x,) = xs
    one = g.const(1.0, dtype)
    u = g.node("Add", [x, one], shape, dtype)
    d = g.node("Sub", [u, one], shape, dtype)
    ratio = g.node("Div", [g.node("Mul", [x, g.node("Log", [u], shape, dtype)], shape, dtype), d],
                   shape, dtype)
    exact = g.node("Or", [g.node("Equal", [d, g.const(0.0, dtype)], shape, BOOL),
                          g.node("IsInf", [x], shape, BOOL, detect_negative=0)], shape, BOOL)
    return g.node("Where", [exact, x, ratio], shape, dtype)


def _where(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Where (the condition an initializer)."""
    condition = g.const(np.asarray(p["condition"], dtype=bool), hint="condition")
    return g.node("Where", [condition, *xs], shape, dtype)


def _clip(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Max with lo, then Min with hi (as the engine computes it)."""
    (x,) = xs
    if p["lo"] is not None:
        x = g.node("Max", [x, g.const(p["lo"], dtype)], np.broadcast_shapes(x.shape,
                                                                           np.shape(p["lo"])),
                   dtype)
    if p["hi"] is not None:
        x = g.node("Min", [x, g.const(p["hi"], dtype)], shape, dtype)
    return x


def _reduce(op_type: str) -> Emitter:
    def emit(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
        axes = g.ints(p["axes"], "axes")
        return g.node(op_type, [xs[0], axes], shape, dtype, keepdims=int(bool(p["keepdims"])),
                      noop_with_empty_axes=1)

    emit.__doc__ = op_type
    return emit


def _softmax(op_type: str) -> Emitter:
    def emit(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
        return g.node(op_type, xs, shape, dtype, axis=int(p["axis"]))

    emit.__doc__ = op_type
    return emit


def _reshape(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Reshape (a dimension kept from the input written 0, "copy": a batch axis stays free)."""
    (x,) = xs
    target = [int(n) for n in p["shape"]]
    if 0 in shape:  # an empty result: spell the shape out, zeros meaning zero
        return g.node("Reshape", [x, g.ints(shape, "shape")], shape, dtype, allowzero=1)
    spelled = [0 if i < x.ndim and n == x.shape[i] else n for i, n in enumerate(target)]
    return g.node("Reshape", [x, g.ints(spelled, "shape")], shape, dtype)


def _broadcast_to(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Expand (a dimension the input already has written 1: a batch axis stays free)."""
    (x,) = xs
    target = [int(n) for n in p["shape"]]
    offset = len(target) - x.ndim
    spelled = [1 if i >= offset and x.shape[i - offset] == n else n for i, n in enumerate(target)]
    return g.node("Expand", [x, g.ints(spelled, "shape")], shape, dtype)


def _transpose(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Transpose."""
    return g.node("Transpose", xs, shape, dtype, perm=[int(a) for a in p["axes"]])


def _concatenate(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Concat."""
    return g.node("Concat", xs, shape, dtype, axis=int(p["axis"]))


def _stack(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Unsqueeze each input, then Concat."""
    axis = int(p["axis"])
    axes = g.ints([axis], "axes")
    parts = [g.node("Unsqueeze", [x, axes], (*x.shape[:axis], 1, *x.shape[axis:]), dtype)
             for x in xs]
    return g.node("Concat", parts, shape, dtype, axis=axis)


def _linear(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Gemm (a 2-D input with a bias), else MatMul and Add."""
    x, w, b = xs
    if x.ndim == 2 and b is not None:
        return g.node("Gemm", [x, w, b], shape, dtype)
    out = g.node("MatMul", [x, w], shape, dtype)
    return out if b is None else g.node("Add", [out, b], shape, dtype)


def _softmax_cross_entropy(
    g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any
) -> Symbol:
    """LogSoftmax, GatherElements at the targets, Neg, ReduceSum (times 1/N for the mean)."""
    (z,) = xs
    n = z.shape[0]
    log_probs = g.node("LogSoftmax", [z], z.shape, dtype, axis=1)
    target = g.const(np.asarray(p["target"], dtype=np.int64).reshape(-1, 1), hint="target")
    picked = g.node("GatherElements", [log_probs, target], (n, 1), dtype, axis=1)
    losses = g.node("Neg", [g.node("Squeeze", [picked, g.ints([1], "axes")], (n,), dtype)],
                    (n,), dtype)
    if p["reduction"] == "none":
        return losses
    total = g.node("ReduceSum", [losses, g.ints([0], "axes")], (), dtype, keepdims=0)
    if p["reduction"] == "sum":
        return total
    return g.node("Mul", [total, g.const(1.0 / n, dtype)], (), dtype)


# -- indexing ----------------------------------------------------------------------


def _is_int(item: Any) -> bool:
    return isinstance(item, int | np.integer) and not isinstance(item, bool | np.bool_)


def _basic_items(key: Any, ndim: int) -> list[Any] | None:
    """The index as one item per input axis (plus ``None``s) if it is basic (ints/slices/None)."""
    items = list(key) if isinstance(key, tuple) else [key]
    if not all(_is_int(i) or isinstance(i, slice) or i is None or i is Ellipsis for i in items):
        return None
    return _expand_ellipsis(items, ndim)


def _expand_ellipsis(items: list[Any], ndim: int) -> list[Any] | None:
    """``items`` with ``...`` (or the missing trailing axes) written as full slices.

    ``None`` for what needs numpy's own reading (a boolean mask of several axes, two ``...``).
    """
    if any(isinstance(i, np.ndarray) and i.dtype == BOOL and i.ndim != 1 for i in items):
        return None
    ellipses = [k for k, i in enumerate(items) if i is Ellipsis]
    if len(ellipses) > 1:
        return None
    fill = [slice(None)] * (ndim - sum(1 for i in items if i is not None and i is not Ellipsis))
    if ellipses:
        return items[: ellipses[0]] + fill + items[ellipses[0] + 1 :]
    return items + fill


def _slice_bounds(s: slice) -> tuple[int, int, int]:
    """ONNX Slice's (start, end, step) with Python's meaning for missing bounds."""
    step = 1 if s.step is None else int(s.step)
    start = (0 if step > 0 else INT64_MAX) if s.start is None else int(s.start)
    end = (INT64_MAX if step > 0 else INT64_MIN) if s.stop is None else int(s.stop)
    return start, end, step


def _basic_index(g: Graph, x: Symbol, items: list[Any], shape: Any, dtype: Any) -> Symbol:
    """Slice (ints as one-element slices), Squeeze the int axes, Unsqueeze the None axes."""
    per_axis = [item for item in items if item is not None]  # one per input axis
    as_slices = [slice(i, None if i == -1 else i + 1) if _is_int(i) else i for i in per_axis]
    squeeze = [axis for axis, item in enumerate(per_axis) if _is_int(item)]
    unsqueeze = [position for position, item in enumerate(i for i in items if not _is_int(i))
                 if item is None]  # where each new axis sits in the result
    sliced = [(axis, s) for axis, s in enumerate(as_slices) if s not in (slice(None),
                                                                         slice(None, None, 1))]
    out = x
    if sliced:
        bounds = [_slice_bounds(s) for _, s in sliced]
        view = np.broadcast_to(np.empty((), bool), x.shape)[tuple(as_slices)]  # for its shape
        out = g.node("Slice", [
            x,
            g.ints([b[0] for b in bounds], "starts"),
            g.ints([b[1] for b in bounds], "ends"),
            g.ints([axis for axis, _ in sliced], "axes"),
            g.ints([b[2] for b in bounds], "steps"),
        ], view.shape, dtype)
    if squeeze:
        kept = tuple(n for axis, n in enumerate(out.shape) if axis not in squeeze)
        out = g.node("Squeeze", [out, g.ints(squeeze, "axes")], kept, dtype)
    if unsqueeze:
        out = g.node("Unsqueeze", [out, g.ints(unsqueeze, "axes")], shape, dtype)
    return out


def _single_array_axis(key: Any, ndim: int) -> tuple[int, np.ndarray] | None:
    """``(axis, integer indices)`` for ``x[:, ..., idx, ...]``: one array, the rest ``:``."""
    items = list(key) if isinstance(key, tuple) else [key]
    if any(i is None for i in items):
        return None
    if sum(1 for i in items if isinstance(i, np.ndarray)) != 1:
        return None
    expanded = _expand_ellipsis(items, ndim)
    if expanded is None:
        return None
    items = expanded
    axis = next(k for k, i in enumerate(items) if isinstance(i, np.ndarray))
    full = slice(None)
    if any(not (isinstance(i, slice) and i == full) for k, i in enumerate(items) if k != axis):
        return None
    index = items[axis]
    if index.dtype == BOOL:
        index = np.flatnonzero(index)
    return axis, index.astype(np.int64)


def _getitem(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """Slice, Squeeze, Unsqueeze; Gather for one index array; else Gather from the flat input.

    Anything else numpy accepts (several index arrays, boolean masks of
    several axes, arrays mixed with ints) gathers from the flattened input at
    the positions numpy itself picks: ``arange(x.size).reshape(x.shape)[index]``.
    """
    (x,) = xs
    key = p["index"]
    items = _basic_items(key, x.ndim)
    if items is not None:
        return _basic_index(g, x, items, shape, dtype)
    single = _single_array_axis(key, x.ndim)
    if single is not None:
        axis, index = single
        return g.node("Gather", [x, g.const(index, hint="indices")], shape, dtype, axis=axis)
    positions = np.arange(x.size, dtype=np.int64).reshape(x.shape)[key]
    flat = g.node("Reshape", [x, g.ints([-1], "shape")], (x.size,), dtype)
    return g.node("Gather", [flat, g.const(positions, hint="indices")], shape, dtype, axis=0)


def _scatter(g: Graph, xs: list[Any], p: dict[str, Any], shape: Any, dtype: Any) -> Symbol:
    """ScatterND into zeros (ConstantOfShape) at the positions numpy's index picks."""
    (values,) = xs
    size = math.prod(shape)
    positions = np.arange(size, dtype=np.int64).reshape(shape)[p["index"]]
    if values.shape != positions.shape:
        values = g.node("Expand", [values, g.ints(positions.shape, "shape")], positions.shape,
                        dtype)
    zero = g.onnx.numpy_helper.from_array(np.zeros(1, dtype))
    zeros = g.node("ConstantOfShape", [g.ints([size], "shape")], (size,), dtype, value=zero)
    indices = g.const(positions[..., None], hint="indices")
    reduction = "add" if p["accumulate"] else "none"
    flat = g.node("ScatterND", [zeros, indices, values], (size,), dtype, reduction=reduction)
    return g.node("Reshape", [flat, g.ints(shape, "shape")], shape, dtype)


EMITTERS: dict[str, Emitter] = {
    # operators and elementwise functions
    "neg": _same("Neg"),
    "add": _same("Add"),
    "sub": _same("Sub"),
    "mul": _same("Mul"),
    "div": _same("Div"),
    "pow": _pow,
    "exp": _same("Exp"),
    "log": _same("Log"),
    "log1p": _log1p,
    "sqrt": _same("Sqrt"),
    "tanh": _same("Tanh"),
    "sigmoid": _same("Sigmoid"),
    "relu": _same("Relu"),
    "leaky_relu": _float32_only("LeakyRelu", alpha="negative_slope"),
    "softplus": _float32_only("Softplus"),
    "mish": _float32_only("Mish"),
    "abs": _same("Abs"),
    "sign": _same("Sign"),
    "sin": _same("Sin"),
    "cos": _same("Cos"),
    "tan": _tan,
    "maximum": _same("Max"),
    "minimum": _same("Min"),
    "where": _where,
    "clip": _clip,
    # reductions and the softmax family
    "sum": _reduce("ReduceSum"),
    "mean": _reduce("ReduceMean"),
    "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"),
    "var": FORMULA,
    "logsumexp": _reduce("ReduceLogSumExp"),
    "softmax": _softmax("Softmax"),
    "log_softmax": _softmax("LogSoftmax"),
    # shapes
    "reshape": _reshape,
    "transpose": _transpose,
    "broadcast_to": _broadcast_to,
    "getitem": _getitem,
    "scatter": _scatter,
    "concatenate": _concatenate,
    "stack": _stack,
    # matrix products and the fused ops
    "matmul": _same("MatMul"),
    "linear": _linear,
    "softmax_cross_entropy": _softmax_cross_entropy,
}
"""Registry op name → how it is written in ONNX (``FORMULA``: through its forward formula)."""
