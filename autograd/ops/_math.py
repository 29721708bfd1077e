"""The namespaces an op's math is written against: one rule, four ways to evaluate it.

Every rule in the registry takes a namespace ``m`` as its first argument and
uses only ``m``'s functions, Python's operators and comparisons::

    derivative=lambda m, x, out: 1 - out * out          # tanh

The same rule then runs

* on Python floats (:data:`FLOAT`): a ``Value``'s forward pass (through code
  generated once from the rule, see :mod:`autograd.ops._codegen`);
* on ndarrays (:data:`ARRAY`): a ``Tensor``'s forward and first-order backward;
* on graph nodes (:data:`NODE`): ``create_graph=True``, where every operation
  of the rule is itself recorded, so second derivatives come free;
* on symbols: the code generator, which turns the rule into Python source.

The kernels here are the only place where ``math`` and ``numpy`` functions
are called for elementwise math. They return what PyTorch returns at the edge
of each domain (``log(0) = -inf``, ``1/0 = inf``, ``sqrt(-1) = nan``,
``exp(1000) = inf``, a negative base to a fractional power is ``nan``) and
never raise or warn.

``m.is_constant(v)`` tells a rule whether ``v`` is a constant in this
evaluation (always, but for graph nodes under ``create_graph``); ``m.widen(x)``
is ``x`` in float64 where it is a float32 array (for a derivative whose
intermediate values overflow float32, see ``binary_cross_entropy``).

``m.masked(condition, d)`` is a local derivative ``d`` where ``condition``
holds and exactly zero elsewhere: the gradient is *selected* there, not
multiplied by 0, so an infinite upstream gradient gives 0 (PyTorch's
``threshold_backward``), not ``nan``. A rule returns ``None`` for an input
that gets no gradient at all (``sign``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._backend import QUIET, native

__all__ = ["ARRAY", "ARRAY_IN_BACKWARD", "FLOAT", "NODE", "Masked", "Namespace"]

INF = math.inf
NAN = math.nan


class Masked:
    """A local derivative ``d`` where ``condition`` holds and an exact zero elsewhere."""

    __slots__ = ("condition", "d")

    def __init__(self, condition: Any, d: Any) -> None:
        self.condition = condition
        self.d = d

    def __repr__(self) -> str:
        return f"Masked({self.condition!r}, {self.d!r})"


def _is_bool(c: Any) -> bool:
    return type(c) is bool or type(c) is np.bool_


def masked(condition: Any, d: Any) -> Any:
    """``d`` where ``condition``, an exact zero elsewhere (``None`` for a false Python bool)."""
    if _is_bool(condition):
        return d if condition else None
    return Masked(condition, d)


class Namespace:
    """A set of functions an op's rules call as ``m.name(...)``.

    Attributes that are not set explicitly are looked up in the op registry
    on first use (``m.sigmoid`` inside softplus's derivative), through
    ``resolve``: a namespace evaluates *every* op, primitive or not.
    """

    def __init__(self, name: str, resolve: Callable[[Namespace, str], Any] | None = None) -> None:
        self._name = name
        self._resolve = resolve

    def __setattr__(self, attr: str, value: Any) -> None:
        object.__setattr__(self, attr, value)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or self._resolve is None:
            raise AttributeError(attr)
        value = self._resolve(self, attr)
        setattr(self, attr, value)  # cached: resolved once per name
        return value

    def __repr__(self) -> str:
        return f"<namespace {self._name}>"


# ----------------------------------------------------------------------------
# Python floats
# ----------------------------------------------------------------------------


def _div(x: float, y: float) -> float:
    """``x / y`` with IEEE results for a zero divisor (``±inf`` or ``nan``)."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _odd_integer(y: float) -> bool:
    return float(y).is_integer() and int(y) % 2 == 1


def _power(x: float, y: float) -> float:
    """``x ** y`` as ``torch.pow``: a negative base with a fractional exponent is ``nan``.

    Exponents ±0.5 are square roots, as in PyTorch and numpy: ``(−0.0) ** 0.5``
    is ``−0.0`` and ``(−inf) ** 0.5`` is ``nan`` (C's ``pow`` gives 0.0 and inf).
    """
    if y == 0.5:
        return _sqrt(x)
    if y == -0.5:
        return _div(1.0, _sqrt(x))
    try:
        return math.pow(x, y)
    except OverflowError:
        return -INF if x < 0.0 and _odd_integer(y) else INF
    except ValueError:
        if x == 0.0:  # zero to a negative power
            return math.copysign(INF, x) if _odd_integer(y) else INF
        return NAN


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return -INF if x == 0.0 else NAN


def _log1p(x: float) -> float:
    if x > -1.0:
        return math.log1p(x)
    return -INF if x == -1.0 else NAN


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else NAN  # sqrt(−0.0) is −0.0 (IEEE)


def _periodic(f: Callable[[float], float]) -> Callable[[float], float]:
    def safe(x: float) -> float:
        try:
            return f(x)
        except ValueError:  # an infinite argument
            return NAN

    safe.__name__ = f.__name__
    return safe


def _sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x  # 0.0, -0.0 or nan


def _maximum(x: float, y: float) -> float:
    """``max(x, y)`` propagating ``nan`` (``np.maximum``; Python's ``max`` does not)."""
    if x != x or y != y:
        return NAN
    return x if x >= y else y


def _minimum(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    return x if x <= y else y


def _where(condition: Any, a: Any, b: Any) -> Any:
    return a if condition else b


FLOAT_KERNELS: dict[str, Callable[..., Any]] = {
    "divide": _div,
    "power": _power,
    "exp": _exp,
    "log": _log,
    "log1p": _log1p,
    "sqrt": _sqrt,
    "tanh": math.tanh,
    "sin": _periodic(math.sin),
    "cos": _periodic(math.cos),
    "tan": _periodic(math.tan),
    "abs": abs,
    "sign": _sign,
    "maximum": _maximum,
    "minimum": _minimum,
    "where": _where,
    "masked": masked,
    "logical_not": lambda c: not c,
    "is_constant": lambda v: True,
    "widen": lambda x: x,
}


# ----------------------------------------------------------------------------
# ndarrays
# ----------------------------------------------------------------------------


def _quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``f`` with numpy's floating-point warnings off: IEEE results, as PyTorch.

    Only the forward pass needs this: a backward pass runs inside one
    ``np.errstate`` already (it costs about a microsecond to enter), so it uses
    the plain kernels (:data:`ARRAY_IN_BACKWARD`). With the native extension,
    numpy's error state is set in C (``QUIET``): the same as
    ``np.errstate(all="ignore")``, for a tenth of its cost.
    """
    if QUIET is not None:
        fast = functools.partial(QUIET, f)
        fast.plain = f  # type: ignore[attr-defined]
        return fast

    def quiet(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return f(*args)

    quiet.__name__ = getattr(f, "__name__", "quiet")
    quiet.plain = f  # type: ignore[attr-defined]
    return quiet


def keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as 1 (``keepdims=True``)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _sum(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.add.reduce(x, axes, keepdims=keepdims)  # type: ignore[call-overload]


def _mean(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The sum over ``axes`` divided by the count (``nan`` for an empty axis), quietly."""
    count = 1
    for a in axes:
        count *= x.shape[a]
    total = np.add.reduce(x, axes, keepdims=keepdims)  # type: ignore[call-overload]
    return np.true_divide(total, count)


def _unreduce(g: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """The adjoint of summing ``shape`` over ``axes``: ``g`` repeated along them (fresh array)."""
    out = np.empty(shape, dtype=g.dtype)
    if g.ndim == 0 or g.size == 1:
        out.fill(g.reshape(()))
    else:
        out[...] = g.reshape(keep_shape(shape, axes))
    return out


def _amax(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.maximum.reduce(x, axes, keepdims=keepdims)  # type: ignore[call-overload]


def _amin(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.minimum.reduce(x, axes, keepdims=keepdims)  # type: ignore[call-overload]


def _scatter(g: np.ndarray, shape: tuple[int, ...], index: Any, accumulate: bool) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices add up)."""
    out = np.zeros(shape, dtype=g.dtype)
    if accumulate:
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def _array_power(x: Any, y: Any) -> Any:
    """``x ** y`` as ``torch.pow``, square roots for exponents ±0.5 (see the float kernel)."""
    if np.ndim(y) == 0:
        if y == 0.5:
            return np.sqrt(x)
        if y == -0.5:
            return 1 / np.sqrt(x)
    return np.power(x, y)


def _reshape(a: Any, shape: Any) -> Any:
    """``np.reshape(a, shape)`` (an ndarray's own method: the same view, without numpy's
    Python-level dispatch)."""
    return a.reshape(shape) if type(a) is np.ndarray else np.reshape(a, shape)


def _transpose(a: Any, axes: Any = None) -> Any:
    """``np.transpose(a, axes)``, an ndarray's own method where it applies."""
    return a.transpose(axes) if type(a) is np.ndarray else np.transpose(a, axes)


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``x @ w + b`` with the bias added in place (no temporary)."""
    out = x @ w
    if b is not None:
        out += b
    return out


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``e^(x − max) / Σ e^(x − max)`` along ``axis``: shifted by the max, never overflows."""
    e = np.exp(x - np.maximum.reduce(x, axis, keepdims=True))
    e /= np.add.reduce(e, axis, keepdims=True)
    return e


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``(x − m) − log Σ e^(x − m)`` along ``axis``, ``m`` the max."""
    shifted = x - np.maximum.reduce(x, axis, keepdims=True)
    shifted -= np.log(np.add.reduce(np.exp(shifted), axis, keepdims=True))
    return shifted


def _logsumexp(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """``m + log Σ e^(x − m)`` over ``axes``, ``m`` the max (0 where infinite or empty)."""
    if x.size:
        m = np.maximum.reduce(x, axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
    else:
        m = np.zeros((1,) * x.ndim, x.dtype)
    out = np.log(np.add.reduce(np.exp(x - m), axes, keepdims=True)) + m
    return out if keepdims else out.reshape(
        tuple(n for i, n in enumerate(x.shape) if i not in axes)
    )


def _softmax_cross_entropy(logits: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
    """Per-row ``logsumexp(z) − z_y``, reduced by ``"mean"``, ``"sum"`` or ``"none"``."""
    rows = np.arange(logits.shape[0])
    shifted = logits - np.maximum.reduce(logits, 1, keepdims=True)
    losses = np.log(np.add.reduce(np.exp(shifted), 1)) - shifted[rows, target]
    if reduction == "none":
        return losses
    total = np.add.reduce(losses)
    return np.asarray(total * (1.0 / len(losses)) if reduction == "mean" else total)


def _concatenate(xs: tuple[np.ndarray, ...], axis: int) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _stack(xs: tuple[np.ndarray, ...], axis: int) -> np.ndarray:
    return np.stack(xs, axis=axis)


# The Python kernels that the native extension also implements (the reference its C
# versions follow; tests compare the two).
PYTHON_KERNELS: dict[str, Callable[..., Any]] = {
    "sum": _sum,
    "mean": _mean,
    "unreduce": _unreduce,
    "reshape": _reshape,
    "transpose": _transpose,
    "linear": _linear,
}

if native is not None:
    # The same numpy calls from C, without a Python frame each (autograd/_native_kernels.h).
    native.register_kernels(
        add_reduce=np.add.reduce,
        true_divide=np.true_divide,
        empty=np.empty,
        reshape=np.reshape,
        transpose=np.transpose,
        where=np.where,
        isfinite=np.isfinite,
        ndarray=np.ndarray,
    )
    _sum, _mean, _unreduce = native.array_sum, native.array_mean, native.array_unreduce
    _reshape, _transpose = native.array_reshape, native.array_transpose
    _linear = native.array_linear


ARRAY_KERNELS: dict[str, Callable[..., Any]] = {
    "divide": _quiet(np.true_divide),
    "power": _quiet(_array_power),
    "exp": _quiet(np.exp),
    "log": _quiet(np.log),
    "log1p": _quiet(np.log1p),
    "sqrt": _quiet(np.sqrt),
    "tanh": np.tanh,
    "sin": _quiet(np.sin),
    "cos": _quiet(np.cos),
    "tan": _quiet(np.tan),
    "abs": np.abs,
    "sign": np.sign,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "where": np.where,
    "masked": masked,
    "logical_not": np.logical_not,
    "is_constant": lambda v: True,
    "widen": lambda x: x.astype(np.float64) if getattr(x, "dtype", None) == np.float32 else x,
    "sum": _quiet(_sum),  # inf + -inf = nan, silently
    "mean": _quiet(_mean),  # nan for an empty axis
    "unreduce": _unreduce,
    "amax": _amax,
    "amin": _amin,
    "reshape": _reshape,
    "transpose": _transpose,
    "broadcast_to": np.broadcast_to,
    "matmul": np.matmul,
    "scatter": _scatter,
    "linear": _linear,
    "softmax": _quiet(_softmax),  # ±inf logits: nan, silently (as PyTorch)
    "log_softmax": _quiet(_log_softmax),
    "logsumexp": _quiet(_logsumexp),
    "softmax_cross_entropy": _quiet(_softmax_cross_entropy),
    "concatenate": _concatenate,
    "stack": _stack,
}


# ----------------------------------------------------------------------------
# The namespaces. Names missing from the kernel tables are ops of the registry,
# evaluated with the op's own forward in the same namespace.
# ----------------------------------------------------------------------------


def _forward_in(namespace: Namespace, name: str) -> Callable[..., Any]:
    from ._record import REGISTRY  # the records import this module

    op = REGISTRY.get(name)
    if op is None:
        raise AttributeError(
            f"the math namespace has no function {name!r}: use an op of the registry "
            f"({', '.join(sorted(REGISTRY))}) or a kernel"
        )
    return op.evaluator(namespace)


FLOAT = Namespace("FLOAT", _forward_in)
ARRAY = Namespace("ARRAY", _forward_in)
# The same kernels without their own np.errstate: for rules evaluated inside a backward
# pass, which runs under one np.errstate(all="ignore") as a whole.
ARRAY_IN_BACKWARD = Namespace("ARRAY_IN_BACKWARD", _forward_in)
for _name, _kernel in FLOAT_KERNELS.items():
    setattr(FLOAT, _name, _kernel)
for _name, _kernel in ARRAY_KERNELS.items():
    setattr(ARRAY, _name, _kernel)
    setattr(ARRAY_IN_BACKWARD, _name, getattr(_kernel, "plain", _kernel))


# Kernel names a rule may use that are ops under another name on graph nodes.
_NODE_ALIASES = {"divide": "div", "power": "pow", "amax": "max", "amin": "min"}


def _node_function(namespace: Namespace, name: str) -> Callable[..., Any]:
    from ._record import REGISTRY

    op = REGISTRY.get(_NODE_ALIASES.get(name, name))
    if op is None:
        raise AttributeError(f"no op named {name!r} in the registry")
    return op


def _node_where(condition: Any, a: Any, b: Any) -> Any:
    if _is_bool(condition):
        return a if condition else b
    from ._record import REGISTRY

    return REGISTRY["where"](a, b, condition=condition)


def _node_unreduce(g: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    if isinstance(g, np.ndarray):
        return _unreduce(g, shape, axes)
    return g.reshape(keep_shape(shape, axes)).broadcast_to(shape)


# On graph nodes every name is the op itself (an Op is callable: it records a node
# when an operand is a node and evaluates its kernel otherwise).
NODE = Namespace("NODE", _node_function)
NODE.where = _node_where
NODE.masked = masked
NODE.logical_not = np.logical_not
NODE.unreduce = _node_unreduce
NODE.is_constant = lambda v: not getattr(v, "_requires_grad", False)
NODE.widen = lambda x: x  # recorded gradients keep their dtype
