"""Activations and losses as functions, on ``Value``, lists of ``Value`` and ``Tensor`` alike.

Every function dispatches on its input:

* a :class:`~autograd.Value` — one scalar;
* a list (or tuple) of Values — a vector, e.g. one sample's logits, or a
  batch of scalar predictions; a list of such lists is a batch of vectors;
* a ``Tensor`` — any shape, elementwise or along ``axis``.

Targets are constants (numbers, lists, numpy arrays; a Tensor target is read
through ``.data``): no gradient flows into them.

Losses take ``reduction``: ``"mean"`` (the default, over samples), ``"sum"``
or ``"none"`` (one loss per sample: a list of Values or a 1-D Tensor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Value
from autograd._tensor_functions import fused_cross_entropy, out_of_range
from autograd.ops import REGISTRY

__all__ = [
    "REDUCTIONS",
    "apply_op",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "cross_entropy_from_probs",
    "half_sse",
    "hinge",
    "is_tensor",
    "leaky_relu",
    "log_softmax",
    "mish",
    "mse",
    "op_params",
    "relu",
    "sigmoid",
    "sign",
    "softmax",
    "softplus",
    "tanh",
]

REDUCTIONS = ("mean", "sum", "none")
BCE_LOG_FLOOR = -100.0
"""``binary_cross_entropy`` clamps each log at this value (as PyTorch does)."""

_BCE_P_FLOOR = math.exp(BCE_LOG_FLOOR)


def is_tensor(x: Any) -> bool:
    """Return whether ``x`` is an ``autograd.Tensor`` (False while Tensor does not exist)."""
    tensor_type = getattr(autograd, "Tensor", None)
    return tensor_type is not None and isinstance(x, tensor_type)


def _is_values(x: Any) -> bool:
    return isinstance(x, list | tuple) and len(x) > 0


def _type_error(fn: str, x: Any) -> TypeError:
    return TypeError(
        f"{fn} takes a Value, a list of Values or a Tensor; got {type(x).__name__}. "
        "Wrap plain numbers with Value(x) or arrays with Tensor(x)."
    )


def _elementwise(fn: str, x: Any, *args: Any) -> Any:
    if isinstance(x, Value) or is_tensor(x):
        return REGISTRY[fn](x, *args)
    if _is_values(x):
        return [_elementwise(fn, xi, *args) for xi in x]
    raise _type_error(fn, x)


def apply_op(name: str, x: Any, **params: Any) -> Any:
    """Apply the registry's one-input op ``name`` to a Value, a list of Values or a Tensor.

    What :class:`nn.Activation` calls: every activation of the registry
    (``autograd.ops``), including ones you define, works on every input kind.
    """
    return _elementwise(name, x, *op_params(name, params))


def op_params(name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """Check that ``name`` is a one-input elementwise op taking ``params``; their values."""
    op = REGISTRY.get(name)
    if op is None or not op.elementwise or op.arity != 1:
        names = ", ".join(o.name for o in REGISTRY.values() if o.elementwise and o.arity == 1)
        raise ValueError(f"{name!r} is not a one-input elementwise op; choose one of {names}")
    return op.split((None,), params)[1]


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------


def sign(x: Any) -> Any:
    """``sign(x)``, the perceptron's step; full text: the op's record."""
    return _elementwise("sign", x)


def sigmoid(x: Any) -> Any:
    """``1/(1 + e^−x)``; full text: the op's record."""
    return _elementwise("sigmoid", x)


def tanh(x: Any) -> Any:
    """``tanh x``; full text: the op's record."""
    return _elementwise("tanh", x)


def relu(x: Any) -> Any:
    """``max(0, x)``; full text: the op's record."""
    return _elementwise("relu", x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """``max(negative_slope·x, x)``; full text: the op's record."""
    return _elementwise("leaky_relu", x, negative_slope)


def softplus(x: Any) -> Any:
    """``ln(1 + e^x)``; full text: the op's record."""
    return _elementwise("softplus", x)


def mish(x: Any) -> Any:
    """``x·tanh(softplus(x))``; full text: the op's record."""
    return _elementwise("mish", x)


for _activation in (sign, sigmoid, tanh, relu, leaky_relu, softplus, mish):
    _activation.__doc__ = REGISTRY[_activation.__name__].doc  # written once, in the record


def _softmax_values(xs: Sequence[Value], log: bool) -> list[Value]:
    m = max(x.data for x in xs)  # a constant shift: softmax is shift-invariant
    shifted = [x - m for x in xs]
    exps = [s.exp() for s in shifted]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    if log:
        lse = total.log()
        return [s - lse for s in shifted]
    return [e / total for e in exps]


def _vector_op(fn: str, x: Any, axis: int, log: bool) -> Any:
    if is_tensor(x):
        return getattr(x, fn)(axis=axis)
    if _is_values(x):
        if all(type(xi) is Value for xi in x):
            return _softmax_values(x, log)
        if all(_is_values(row) for row in x):
            return [_vector_op(fn, row, axis, log) for row in x]
    raise _type_error(fn, x)


def softmax(x: Any, axis: int = -1) -> Any:
    """``softmax(x)_i = e^{x_i} / Σ_j e^{x_j}``, shifted by ``max(x)`` for stability.

    The output layer for multi-class classification: non-negative, sums to 1;
    predict the argmax. A list of Values is one vector, a list of lists a
    batch (rows); a Tensor is normalised along ``axis``.
    """
    return _vector_op("softmax", x, axis, log=False)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``log_softmax(x)_i = x_i − log Σ_j e^{x_j}`` (= ``x − max − log Σ e^{x − max}``).

    Finite for any finite input (``log(softmax(x))`` is not: it underflows to
    ``log 0``). Pair it with the negative log-likelihood, or use
    :func:`cross_entropy`, which does both.
    """
    return _vector_op("log_softmax", x, axis, log=True)


# --------------------------------------------------------------------------
# Helpers for losses
# --------------------------------------------------------------------------


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: Any, reduction: str) -> Any:
    if is_tensor(losses):
        if reduction == "mean":
            return losses.mean()
        return losses.sum() if reduction == "sum" else losses
    if reduction == "none":
        return losses
    total = losses[0]
    for item in losses[1:]:
        total = total + item
    return total / len(losses) if reduction == "mean" else total


def _const(target: Any) -> np.ndarray:
    """A target as a float64/int array (a Tensor target is read through ``.data``)."""
    if is_tensor(target) or type(target) is Value:
        target = target.data
    return np.asarray(target)


def _as_list(pred: Any, fn: str) -> list[Value]:
    if type(pred) is Value:
        return [pred]
    if _is_values(pred) and all(type(p) is Value for p in pred):
        return list(pred)
    raise _type_error(fn, pred)


def _pairs(pred: Any, target: Any, fn: str) -> tuple[list[Value], list[float]]:
    preds = _as_list(pred, fn)
    t = _const(target).astype(np.float64).reshape(-1)
    if t.size != len(preds):
        raise ValueError(f"{fn}: {len(preds)} predictions but {t.size} targets")
    return preds, t.tolist()


def _check_same_shape(pred: Any, t: np.ndarray, fn: str) -> None:
    if tuple(pred.shape) != t.shape:
        raise ValueError(
            f"{fn}: prediction shape {tuple(pred.shape)} and target shape {t.shape} differ; "
            "reshape one of them (e.g. pred.reshape(-1) for an (N, 1) output) so they match"
        )


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------


def mse(pred: Any, target: Any, reduction: str = "mean", half: bool = False) -> Any:
    """Squared error ``(y − ŷ)²`` per element, reduced by ``reduction`` (default ``"mean"``).

    The default is the usual mean squared error ``(1/n) Σ (y − ŷ)²`` (as
    PyTorch's ``mse_loss``). With ``half=True`` each term is ``½ (y − ŷ)²``,
    so ``mse(..., reduction="sum", half=True)`` is the lecture's
    ``MSE = ½ Σ (y_i − ŷ_i)² = ½ (y − ŷ)ᵀ(y − ŷ)`` (see :func:`half_sse`);
    the ½ cancels the 2 of the derivative: ``∂/∂ŷ = ŷ − y``.
    """
    _check_reduction(reduction)
    scale = 0.5 if half else 1.0
    if is_tensor(pred):
        t = _const(target)
        _check_same_shape(pred, t, "mse")
        sq = (pred - t) ** 2  # one node per square: chain-rule paths are not doubled
        return _reduce(sq * scale if half else sq, reduction)
    preds, ts = _pairs(pred, target, "mse")
    losses = []
    for p, y in zip(preds, ts):
        sq = (p - y) ** 2
        losses.append(sq * scale if half else sq)
    return _reduce(losses, reduction)


def half_sse(pred: Any, target: Any) -> Any:
    """The lecture's ``MSE = ½ Σ_i (y_i − ŷ_i)²`` (= ``mse(pred, target, "sum", half=True)``)."""
    return mse(pred, target, reduction="sum", half=True)


def _class_indices(target: Any, n: int, c: int, fn: str) -> np.ndarray:
    t = _const(target)
    if t.dtype.kind not in "iub":
        raise TypeError(f"{fn}: class targets must be integers, got dtype {t.dtype}")
    t = t.reshape(-1).astype(np.intp, copy=False)
    if t.size != n:
        raise ValueError(f"{fn}: {n} samples but {t.size} targets")
    if t.size and out_of_range(t, c):
        raise ValueError(f"{fn}: class targets must lie in [0, {c}), got {t.min()}..{t.max()}")
    return t


def _rows(x: Any, fn: str) -> tuple[list[list[Value]], bool]:
    """A list of Values (one sample) or a list of lists (a batch) as rows; flag = was single."""
    if _is_values(x) and all(type(v) is Value for v in x):
        return [list(x)], True
    if _is_values(x) and all(_is_values(r) and all(type(v) is Value for v in r) for r in x):
        return [list(r) for r in x], False
    raise _type_error(fn, x)


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """Cross entropy from *logits*: ``−log softmax(z)_y = logsumexp(z) − z_y``.

    Fused and stable: for a Tensor and class indices it is one node
    (:func:`autograd.softmax_cross_entropy`), shifted by the row max, so
    logits of ±1000 give a finite loss and gradient. The gradient with
    respect to the logits is ``softmax(z) − onehot(y)`` (divided by N for
    ``"mean"``).

    ``logits``: a Tensor ``(N, C)`` (or ``(C,)``), a list of C Values (one
    sample) or a list of such lists. ``target``: integer class indices
    (``(N,)``, or an int for one sample); for a Tensor also a float array of
    class probabilities shaped like ``logits`` (soft labels: ``−Σ y_i
    log_softmax(z)_i``).
    """
    _check_reduction(reduction)
    if is_tensor(logits):
        t = _const(target)
        if t.dtype.kind == "f":
            _check_same_shape(logits, t, "cross_entropy")
            return _reduce(-((logits.log_softmax(axis=-1) * t).sum(axis=-1)), reduction)
        if logits.ndim == 1:
            idx = _class_indices(t, 1, logits.shape[0], "cross_entropy")
            return -logits.log_softmax(axis=-1)[int(idx[0])]
        if logits.ndim != 2:
            raise ValueError(f"cross_entropy: logits must be (N, C) or (C,), got {logits.shape}")
        n, c = logits.shape
        idx = _class_indices(t, n, c, "cross_entropy")
        # One fused node: gradient (softmax − onehot)/N, no log-softmax/index/mean chain
        # (the targets are checked above: the unchecked entry saves checking them twice).
        if n == 0:  # refused there, with its message
            return autograd.softmax_cross_entropy(logits, idx, reduction)
        return fused_cross_entropy(logits, idx, reduction)
    rows, single = _rows(logits, "cross_entropy")
    idx = _class_indices(target, len(rows), len(rows[0]), "cross_entropy")
    losses = [-_softmax_values(row, log=True)[k] for row, k in zip(rows, idx.tolist())]
    return losses[0] if single else _reduce(losses, reduction)


def cross_entropy_from_probs(probs: Any, target: Any, reduction: str = "mean") -> Any:
    """The lecture's cross entropy on probabilities: ``CE = −Σ_i y_i log ŷ_i``.

    ``probs`` are already normalised (e.g. a softmax output). ``target``:
    integer class indices (then ``CE = −log ŷ_y``) or a distribution shaped
    like ``probs`` (one-hot or soft). Terms with ``y_i = 0`` are dropped
    (``0·log 0 := 0``), so they give no ``nan``. Not clamped: ``ŷ_y = 0``
    gives ``inf``, as the formula does — prefer :func:`cross_entropy` on
    logits, which cannot underflow.
    """
    _check_reduction(reduction)
    if is_tensor(probs):
        t = _const(target)
        if t.dtype.kind == "f":
            _check_same_shape(probs, t, "cross_entropy_from_probs")
            safe = autograd.where(t > 0, probs, 1.0)
            return _reduce(-((safe.log() * t).sum(axis=-1)), reduction)
        if probs.ndim == 1:
            idx = _class_indices(t, 1, probs.shape[0], "cross_entropy_from_probs")
            return -probs[int(idx[0])].log()
        n, c = probs.shape
        idx = _class_indices(t, n, c, "cross_entropy_from_probs")
        return _reduce(-probs[np.arange(n), idx].log(), reduction)
    rows, single = _rows(probs, "cross_entropy_from_probs")
    t = _const(target)
    if t.dtype.kind == "f":
        dists = t.reshape(len(rows), -1).tolist()
        if len(dists[0]) != len(rows[0]):
            raise ValueError("cross_entropy_from_probs: target rows must match the prob rows")
        losses = []
        for row, dist in zip(rows, dists):
            terms = [p.log() * y for p, y in zip(row, dist) if y != 0.0]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            losses.append(-total)
    else:
        idx = _class_indices(t, len(rows), len(rows[0]), "cross_entropy_from_probs")
        losses = [-row[k].log() for row, k in zip(rows, idx.tolist())]
    return losses[0] if single else _reduce(losses, reduction)


def _clamped_log_value(p: Value) -> Value | float:
    return p.log() if p.data >= _BCE_P_FLOOR else BCE_LOG_FLOOR


def binary_cross_entropy(probs: Any, target: Any, reduction: str = "mean") -> Any:
    """``BCE = −y log ŷ − (1 − y) log(1 − ŷ)`` on probabilities ``ŷ ∈ [0, 1]``.

    Clamped as PyTorch's ``binary_cross_entropy``: each log is floored at
    ``BCE_LOG_FLOOR = −100`` (i.e. ``ŷ`` below ``e^−100`` counts as
    ``e^−100``), so ``ŷ = 0`` or ``1`` gives a finite loss (at most 100) and
    the clamped term contributes gradient 0. Where the clamp is inactive the
    gradient is the exact ``(ŷ − y) / (ŷ (1 − ŷ))``.

    On a Tensor it is one op (``autograd.ops``'s ``binary_cross_entropy``) whose
    derivative is computed in float64: for float32 ``ŷ = σ(−90)``, ``1/ŷ``
    does not fit float32, but the gradient that reaches the logit, ``σ − y ≈
    −1``, does, so ``binary_cross_entropy(x.sigmoid(), 1)`` keeps finite
    gradients (``ŷ.grad`` itself is then kept in float64). For stability from
    the start prefer :func:`binary_cross_entropy_with_logits`.
    """
    _check_reduction(reduction)
    if is_tensor(probs):
        t = _const(target).astype(probs.dtype)
        _check_same_shape(probs, t, "binary_cross_entropy")
        return _reduce(REGISTRY["binary_cross_entropy"](probs, target=t), reduction)
    preds, ts = _pairs(probs, target, "binary_cross_entropy")
    losses = []
    for p, y in zip(preds, ts):
        loss = -(y * _clamped_log_value(p) + (1.0 - y) * _clamped_log_value(1.0 - p))
        losses.append(loss if type(loss) is Value else Value(loss))
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """BCE of ``σ(z)`` computed from the logit ``z``: ``softplus(z) − y·z``.

    Equal to ``−y log σ(z) − (1 − y) log(1 − σ(z))`` but stable for any ``z``
    (``softplus`` never overflows); gradient ``σ(z) − y``.
    """
    _check_reduction(reduction)
    if is_tensor(logits):
        t = _const(target).astype(logits.dtype)
        _check_same_shape(logits, t, "binary_cross_entropy_with_logits")
        return _reduce(logits.softplus() - logits * t, reduction)
    preds, ts = _pairs(logits, target, "binary_cross_entropy_with_logits")
    return _reduce([z.softplus() - z * y for z, y in zip(preds, ts)], reduction)


def hinge(scores: Any, target: Any, reduction: str = "mean") -> Any:
    """Hinge loss ``max(0, 1 − y·s)`` with labels ``y ∈ {−1, +1}`` (micrograd's demo loss).

    Zero once a point is on the right side with margin 1; gradient ``−y``
    inside the margin and 0 outside (0 exactly at the hinge, as ReLU).
    """
    _check_reduction(reduction)
    t = _const(target)
    labels = np.unique(t)
    if labels.size and not np.isin(labels, (-1, 1)).all():
        raise ValueError(
            f"hinge expects labels -1/+1, got {labels.tolist()[:5]}; map 0/1 labels with 2*y - 1"
        )
    if is_tensor(scores):
        t = t.astype(scores.dtype)
        _check_same_shape(scores, t, "hinge")
        return _reduce((1.0 - scores * t).relu(), reduction)
    preds, ts = _pairs(scores, target, "hinge")
    return _reduce([(1.0 - s * y).relu() for s, y in zip(preds, ts)], reduction)
