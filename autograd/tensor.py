"""The numpy-backed :class:`Tensor` node, on the same backprop core as :class:`~autograd.Value`.

A Tensor holds a float32 or float64 ndarray (``.data``) and, after
``backward()``, a gradient of the same shape and dtype (``.grad``). Every
operation records one node whose backward rule is a module-level function in
:mod:`autograd._tensor_ops` plus the values it saved (``_ctx``); no closure
refers to its own output, so a finished graph is freed by reference counting.

Broadcasting is undone once, in :meth:`Tensor._vjp`, for every op: a rule
returns gradients shaped like the op's output and ``_vjp`` sums them back to
each parent's shape (prepended axes, then axes where the parent had size 1),
casts them to the parent's dtype, and gives every leaf an array of its own.

Constants (Python numbers, ndarrays, tensors with ``requires_grad=False``)
never receive gradients and are not kept in ``_prev``; an output requires a
gradient iff one of its inputs does (and grad mode is on).

In-place changes are detected, as in PyTorch, by a version counter: every
assignment through the ``.data`` attribute (``t.data = a``, ``t.data -= step``)
stamps the tensor, and ``backward`` refuses to use a node whose inputs (or
itself) were changed after the node was created. Writes that bypass the
attribute (``t.data[0] = 1``, writing into ``t.numpy()``) are not seen.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _tensor_ops as ops
from ._core import _state, backward
from .value import Value

__all__ = [
    "Tensor",
    "concatenate",
    "linear",
    "maximum",
    "minimum",
    "softmax_cross_entropy",
    "stack",
    "where",
]

_new = object.__new__
_ndarray = np.ndarray
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
# Global modification clock: a tensor's ``_version`` is the tick of its last
# ``.data`` assignment, a node's ``_stamp`` the tick at its creation.
_clock = [0]

_MIX_HINT = (
    "Value and Tensor do not mix in one expression: use Tensor(v.data) to lift a Value "
    "into a Tensor, or t.item() to read a one-element Tensor as a number."
)


# ----------------------------------------------------------------------------
# Converting input
# ----------------------------------------------------------------------------


def _to_array(data: Any, dtype: Any, what: str) -> np.ndarray:
    """Validate ``data`` as real numbers and return it as a float32/float64 ndarray (no copy)."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, Value):
        raise TypeError(f"{what} got a Value. {_MIX_HINT}")
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, str | bytes):
        raise TypeError(f"{what} needs real numbers, got the string {data!r:.40}")
    else:
        try:
            array = np.array(data)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"{what} needs a rectangular nested list of numbers; got a ragged or mixed "
                f"sequence ({error}). Make every row the same length."
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} needs real numbers (bool, int or float), got an array of dtype "
            f"{array.dtype} ({'objects' if array.dtype.kind == 'O' else 'not numbers'})"
        )
    if dtype is None:
        target = _FLOAT32 if array.dtype == _FLOAT32 else _FLOAT64
    else:
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{what}: dtype must be float32 or float64, got {dtype!r}") from None
        if target != _FLOAT32 and target != _FLOAT64:
            raise TypeError(f"{what}: dtype must be float32 or float64, got {target}")
    return array.astype(target, copy=False)


def _constant(c: Any, dtype: np.dtype, op: str) -> Any:
    """An operand that is not a Tensor: a Python number stays a number, arrays are validated.

    Python and numpy scalars become Python numbers, so they never upcast a
    float32 tensor (as in PyTorch); nested lists and integer or bool arrays
    take the tensor's dtype; float ndarrays keep theirs (numpy promotion).
    """
    tc = type(c)
    if tc is float or tc is int:
        return c
    if tc is np.ndarray and c.dtype.kind == "f":
        return c
    if isinstance(c, numbers.Real):
        return float(c)
    if isinstance(c, Value):
        raise TypeError(f"{op}: cannot combine a Tensor with a Value. {_MIX_HINT}")
    if isinstance(c, list | tuple):
        return _to_array(c, dtype, op)
    if isinstance(c, np.ndarray):
        kind = c.dtype.kind
        if kind == "f":
            return c
        if kind in "biu":
            return c.astype(dtype)
        raise TypeError(f"{op}: a Tensor combines with real numbers, not an array of {c.dtype}")
    raise TypeError(
        f"{op}: unsupported operand of type {type(c).__name__}; use a Tensor, an ndarray "
        "or a number"
    )


def _shape_of(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, np.ndarray) else ()


def _normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, int or tuple, negative allowed) as a sorted tuple of positive axes."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    items = axis if isinstance(axis, tuple | list) else (axis,)
    axes = []
    for a in items:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}") from None
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s)"
            )
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def _shape_arg(shape: tuple[Any, ...], op: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{op}: expected ints, got {shape!r}") from None


# ----------------------------------------------------------------------------
# Making nodes
# ----------------------------------------------------------------------------


def _plain(data: Any) -> Tensor:
    """A result that records no graph (no input needs a gradient, or grad mode is off)."""
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._prev = ()
    out._op = ""
    out._backward = None
    out._ctx = None
    out._requires_grad = False
    out._scope = ()
    out._version = 0
    out._stamp = 0
    return out


def _node(data: Any, prev: tuple[Tensor, ...], op: str, rule: Any, ctx: tuple) -> Tensor:
    """An operation's output: ``prev`` holds the operands that need a gradient."""
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._prev = prev
    out._op = op
    out._backward = rule
    out._ctx = ctx
    out._requires_grad = True
    out._scope = _state.scope
    out._version = 0
    out._stamp = _clock[0]
    return out


def _unary(x: Tensor, data: Any, op: str, rule: Any, ctx: tuple) -> Tensor:
    if x._requires_grad and _state.grad_enabled:
        return _node(data, (x,), op, rule, ctx)
    return _plain(data)


def _binary(x: Any, y: Any, forward: Any, rule: Any, op: str) -> Tensor:
    """Apply ``forward`` to two operands (at least one a Tensor) and record the node."""
    if type(x) is Tensor:
        xd = x._data
        rx = x._requires_grad
        if type(y) is Tensor:
            yd = y._data
            ry = y._requires_grad
        else:
            yd = _constant(y, xd.dtype, op)
            ry = False
    else:
        yd = y._data
        ry = y._requires_grad
        xd = _constant(x, yd.dtype, op)
        rx = False
    try:
        out = forward(xd, yd)
    except ValueError:
        raise ValueError(
            f"{op}: operands of shapes {_shape_of(xd)} and {_shape_of(yd)} do not broadcast "
            "together (numpy rules: trailing dimensions must be equal or 1)"
        ) from None
    if (rx or ry) and _state.grad_enabled:
        prev = (x, y) if rx and ry else (x,) if rx else (y,)
        return _node(out, prev, op, rule, (xd, yd, out, rx, ry))
    return _plain(out)


def _matmul(x: Any, y: Any) -> Tensor:
    if type(x) is Tensor:
        xd = x._data
        rx = x._requires_grad
        if type(y) is Tensor:
            yd = y._data
            ry = y._requires_grad
        else:
            yd = _constant(y, xd.dtype, "@")
            ry = False
    else:
        yd = y._data
        ry = y._requires_grad
        xd = _constant(x, yd.dtype, "@")
        rx = False
    try:
        out = xd @ yd
    except (ValueError, TypeError):
        xs, ys = _shape_of(xd), _shape_of(yd)
        if not xs or not ys:
            detail = "matmul needs operands with at least one dimension"
        else:
            k_left = xs[-1]
            k_right = ys[0] if len(ys) == 1 else ys[-2]
            detail = (
                f"the left operand's last dimension ({k_left}) must equal the right "
                f"operand's {'length' if len(ys) == 1 else 'second-to-last dimension'} "
                f"({k_right})"
                if k_left != k_right
                else "their batch dimensions do not broadcast"
            )
        raise ValueError(f"@ (matmul): shapes {xs} and {ys} do not match: {detail}") from None
    if (rx or ry) and _state.grad_enabled:
        prev = (x, y) if rx and ry else (x,) if rx else (y,)
        return _node(out, prev, "@", ops.matmul_backward, (xd, yd, None, rx, ry))
    return _plain(out)


def _fit(c: Any, parent: Tensor, grad: np.ndarray, stamp: int, node: Tensor) -> Any:
    """A rule's contribution made into ``parent``'s gradient: its shape, dtype and own array."""
    if parent._version > stamp:
        raise _modified_error(node, parent)
    if c is None:
        return None
    pdata = parent._data
    if type(c) is not _ndarray:
        c = np.asarray(c)
    if c.shape != pdata.shape:
        c = ops.unbroadcast(c, pdata.shape)
    if c.dtype != pdata.dtype:
        c = c.astype(pdata.dtype)
    if (c is grad or c.base is not None) and not parent._prev:
        c = c.copy()
    return c


def _modified_error(node: Tensor, culprit: Tensor) -> RuntimeError:
    which = "its output" if culprit is node else f"an input of shape {culprit.shape}"
    return RuntimeError(
        f"backward through {node._op!r} (output shape {node.shape}) needs data that was "
        f"modified in place after the operation used it ({which}, through its .data "
        "attribute). Recompute the forward pass after changing .data, e.g. update "
        "parameters only after backward()."
    )


# ----------------------------------------------------------------------------
# The Tensor
# ----------------------------------------------------------------------------


class Tensor:
    """An n-dimensional array of float32 or float64 that records operations for backprop.

    ``Tensor(data, requires_grad=False, dtype=None, label="")`` copies ``data``
    (a number, a nested list or an ndarray of real numbers). float32 input
    stays float32; anything else becomes float64 unless ``dtype`` (float32 or
    float64) is given. ``.grad`` is ``None`` until ``backward()`` reaches the
    tensor, then an ndarray of the same shape and dtype.

    Operators ``+ - * / ** @`` and unary ``-`` take Tensors, ndarrays and
    numbers on either side and broadcast like numpy; a Python number never
    changes a float32 tensor's dtype. ``@`` follows ``numpy.matmul`` (1-D
    operands included). Mixing with :class:`~autograd.Value` is a ``TypeError``
    (use ``Tensor(v.data)`` or ``t.item()``).

    Example::

        W = Tensor(np.random.randn(3, 2), requires_grad=True)
        loss = (Tensor([[1.0, 2.0, 3.0]]) @ W).relu().sum()
        loss.backward()          # W.grad has shape (3, 2)

    ``backward()`` accumulates into ``.grad`` (as PyTorch); set ``.grad = None``
    between steps. Non-leaf tensors keep their gradient after backward too;
    only a leaf's gradient is guaranteed to be an array of its own.
    """

    __slots__ = (
        "__weakref__",
        "_backward",
        "_ctx",
        "_data",
        "_op",
        "_prev",
        "_requires_grad",
        "_scope",
        "_stamp",
        "_version",
        "grad",
        "label",
    )
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators
    _local = None  # the core calls _vjp

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        label: str = "",
    ) -> None:
        if not isinstance(requires_grad, bool | np.bool_):
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        array = _to_array(data, dtype, "Tensor")
        self._data = np.array(array, copy=True)
        self.grad: np.ndarray | None = None
        self.label = str(label)
        self._prev: tuple[Tensor, ...] = ()
        self._op = ""
        self._backward = None
        self._ctx = None
        self._requires_grad = bool(requires_grad)
        self._scope = _state.scope
        self._version = 0
        self._stamp = 0

    # -- the node protocol ---------------------------------------------------

    def _vjp(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """Each parent's gradient contribution, reduced to its shape and dtype.

        Broadcasting is undone here, once for every op; a leaf never receives
        the upstream array itself or a view of another array (its ``.grad`` is
        its own). Refuses to run if an input or the output was modified in
        place (through ``.data``) after this node was made.
        """
        stamp = self._stamp
        if self._version > stamp:
            raise _modified_error(self, self)
        contributions = self._backward(grad, *self._ctx)
        prev = self._prev
        if len(prev) == 1:
            return (_fit(contributions[0], prev[0], grad, stamp, self),)
        if len(prev) == 2:
            first, second = contributions
            return (
                _fit(first, prev[0], grad, stamp, self),
                _fit(second, prev[1], grad, stamp, self),
            )
        return tuple(_fit(c, parent, grad, stamp, self) for parent, c in zip(prev, contributions))

    def _vjp_graph(self, grad: Any) -> tuple[Any, ...]:
        """The contributions as recorded Tensors, for ``create_graph=True`` (higher order)."""
        from . import _tensor_graph  # imports this module: loaded on first use

        return _tensor_graph.vjp_graph(self, grad)

    def backward(self, grad: Any = None, *, create_graph: bool = False) -> None:
        """Backpropagate: every reachable tensor's ``.grad`` += ∂(grad · self)/∂tensor.

        ``grad`` defaults to 1 for a one-element tensor; any other shape needs
        an explicit ``grad`` of the same shape (as in PyTorch). Gradients
        accumulate across calls. With ``create_graph=True`` every ``.grad``
        becomes a Tensor recording how it was computed, so it can be
        backpropagated again (second derivatives).
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        data = self._data
        if grad is None:
            if data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for a one-element output, but this "
                    f"tensor has shape {data.shape}: reduce it first (e.g. .sum() or .mean()) "
                    "or pass backward(grad=...) with an array of that shape"
                )
            seed = np.ones(data.shape, dtype=data.dtype)
        else:
            seed = np.array(_to_array(grad, data.dtype, "backward(grad=...)"), copy=True)
            if seed.shape != data.shape:
                raise ValueError(
                    f"backward(grad=...): grad has shape {seed.shape} but the tensor has "
                    f"shape {data.shape}; they must be equal"
                )
        if create_graph:
            backward((self,), (_plain(seed),), create_graph=True)
        else:
            backward((self,), (seed,))

    # -- attributes -------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The values (an ndarray). Assigning to it bumps the version counter."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if value is not self._data:
            value = _to_array(value, None, "Tensor.data")
        self._data = value
        _clock[0] += 1
        self._version = _clock[0]

    @property
    def requires_grad(self) -> bool:
        """Whether backward computes a gradient for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"requires_grad must be True or False, got {flag!r}")
        if self._prev:
            raise RuntimeError(
                "requires_grad can only be changed on a leaf tensor; use .detach() to get one"
            )
        self._requires_grad = bool(flag)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded operation."""
        return not self._prev

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def op(self) -> str:
        """The operation that made this tensor (``""`` for a leaf)."""
        return self._op

    @property
    def scope(self) -> tuple[str, ...]:
        """The name scope (``nn`` module path) active when this tensor was created."""
        return self._scope

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The operands that receive a gradient, in order (``_prev``)."""
        return self._prev

    @property
    def inputs(self) -> tuple[Any, ...]:
        """Every operand of the operation in order: tensors and constants (numbers, arrays)."""
        return self._prev

    @property
    def local_grads(self) -> None:
        """Scalar local derivatives exist for ``Value`` nodes only; a Tensor's is a Jacobian."""
        return None

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (``transpose()``)."""
        return self.transpose()

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a one-element tensor, this one has shape {self._data.shape}"
            )
        return float(self._data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied: writing into it bypasses versioning)."""
        return self._data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, outside any graph (``requires_grad=False``)."""
        return _plain(self._data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self._data.shape} is ambiguous; "
                "use .item() on a one-element tensor"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def __repr__(self) -> str:
        body = np.array2string(
            self._data, precision=4, threshold=12, edgeitems=2, separator=", ", prefix="Tensor("
        )
        extra = f", op={self._op!r}" if self._op else ""
        if self._requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}, shape={self._data.shape}, dtype={self._data.dtype}{extra})"

    # -- arithmetic -------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _binary(self, other, np.add, ops.add_backward, "+")

    def __radd__(self, other: Any) -> Tensor:
        return _binary(other, self, np.add, ops.add_backward, "+")

    def __sub__(self, other: Any) -> Tensor:
        return _binary(self, other, np.subtract, ops.sub_backward, "-")

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(other, self, np.subtract, ops.sub_backward, "-")

    def __mul__(self, other: Any) -> Tensor:
        return _binary(self, other, np.multiply, ops.mul_backward, "*")

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(other, self, np.multiply, ops.mul_backward, "*")

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(self, other, ops.div_forward, ops.div_backward, "/")

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(other, self, ops.div_forward, ops.div_backward, "/")

    def __pow__(self, other: Any) -> Tensor:
        op = "**" if type(other) is Tensor else f"**{other}" if np.ndim(other) == 0 else "**"
        return _binary(self, other, ops.pow_forward, ops.pow_backward, op)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(other, self, ops.pow_forward, ops.pow_backward, "**")

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def __neg__(self) -> Tensor:
        return _unary(self, -self._data, "neg", ops.neg_backward, ())

    # -- elementwise functions -----------------------------------------------------

    def exp(self) -> Tensor:
        """``e^x``; derivative ``e^x``."""
        out = ops.exp_forward(self._data)
        return _unary(self, out, "exp", ops.exp_backward, (out,))

    def log(self) -> Tensor:
        """Natural log: ``-inf`` at 0, ``nan`` below; derivative ``1/x``."""
        x = self._data
        return _unary(self, ops.log_forward(x), "log", ops.log_backward, (x,))

    def sqrt(self) -> Tensor:
        """``√x`` (``nan`` below 0); derivative ``1/(2√x)``, ``inf`` at 0."""
        out = ops.sqrt_forward(self._data)
        return _unary(self, out, "sqrt", ops.sqrt_backward, (out,))

    def tanh(self) -> Tensor:
        """``tanh x``; derivative ``1 − tanh²x``."""
        out = np.tanh(self._data)
        return _unary(self, out, "tanh", ops.tanh_backward, (out,))

    def sigmoid(self) -> Tensor:
        """``σ(x) = 1/(1+e^−x)``, computed stably; derivative ``σ(1−σ)``."""
        out = ops.sigmoid_forward(self._data)
        return _unary(self, out, "sigmoid", ops.sigmoid_backward, (out,))

    def relu(self) -> Tensor:
        """``max(0, x)``; derivative 1 for x > 0, else 0 (0 at 0, as PyTorch)."""
        out = np.maximum(self._data, 0)
        return _unary(self, out, "ReLU", ops.relu_backward, (out,))

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """``x`` for x > 0, else ``negative_slope·x``; derivative ``negative_slope`` at x ≤ 0."""
        x = self._data
        slope = float(negative_slope)
        out = np.where(x > 0, x, x * slope)
        return _unary(self, out, "LeakyReLU", ops.leaky_relu_backward, (x, slope))

    def softplus(self) -> Tensor:
        """``log(1+e^x)``, computed stably; derivative ``σ(x)``."""
        x = self._data
        return _unary(self, ops.softplus_forward(x), "softplus", ops.softplus_backward, (x,))

    def mish(self) -> Tensor:
        """``x·tanh(softplus(x))``; derivative ``tanh(sp) + x·σ(x)·(1 − tanh²(sp))``."""
        x = self._data
        return _unary(self, ops.mish_forward(x), "mish", ops.mish_backward, (x,))

    def abs(self) -> Tensor:
        """``|x|``; derivative ``sign(x)`` (0 at 0, as PyTorch)."""
        x = self._data
        return _unary(self, np.abs(x), "abs", ops.abs_backward, (x,))

    __abs__ = abs

    def sign(self) -> Tensor:
        """``sign(x)`` ∈ {−1, 0, 1}; its gradient is 0 everywhere (PyTorch)."""
        return _unary(self, np.sign(self._data), "sign", ops.sign_backward, ())

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit to ``[lo, hi]`` (either may be None); gradient 1 on ``lo <= x <= hi`` (torch)."""
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        lo = None if lo is None else _constant(lo, self.dtype, "clip")
        hi = None if hi is None else _constant(hi, self.dtype, "clip")
        x = self._data
        out = np.clip(x, lo, hi)
        return _unary(self, out, "clip", ops.clip_backward, (x, lo, hi))

    # -- reductions ------------------------------------------------------------------

    def _reduce_shapes(
        self, axis: Any, keepdims: bool, op: str
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        shape = self._data.shape
        if axis is None:
            return tuple(range(len(shape))), (1,) * len(shape)
        axes = _normalize_axes(axis, len(shape), op)
        keep_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
        return axes, keep_shape

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (int, tuple, negative or None for all); gradient: broadcast back."""
        axes, keep_shape = self._reduce_shapes(axis, keepdims, "sum")
        out = self._data.sum(axis=axes, keepdims=keepdims)
        return _unary(self, out, "sum", ops.sum_backward, (self._data.shape, keep_shape))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of reduced elements."""
        x = self._data
        axes, keep_shape = self._reduce_shapes(axis, keepdims, "mean")
        count = 1
        for a in axes:
            count *= x.shape[a]
        scale = 1.0 / count if count else float("nan")
        out = np.add.reduce(x, axes, keepdims=keepdims) * scale
        return _unary(self, out, "mean", ops.mean_backward, (x.shape, keep_shape, scale))

    def _extremum(self, axis: Any, keepdims: bool, op: str, reduce: Any) -> Tensor:
        x = self._data
        axes, keep_shape = self._reduce_shapes(axis, keepdims, op)
        if x.size == 0:
            raise ValueError(f"{op}() of an empty tensor (shape {x.shape}) has no value")
        out_keep = reduce(x, axis=axes, keepdims=True)
        out = (
            out_keep
            if keepdims
            else out_keep.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
        )
        return _unary(self, out, op, ops.extremum_backward, (x, out_keep, axes, keep_shape))

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis``; ties share the gradient evenly (``torch.amax``)."""
        return self._extremum(axis, keepdims, "max", np.max)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Smallest element over ``axis``; ties share the gradient evenly (``torch.amin``)."""
        return self._extremum(axis, keepdims, "min", np.min)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance ``Σ(x − x̄)² / (n − ddof)`` over ``axis``; ``ddof=0`` as numpy (torch uses 1)."""
        x = self._data
        axes, keep_shape = self._reduce_shapes(axis, keepdims, "var")
        n = 1
        for a in axes:
            n *= x.shape[a]
        mean_keep = x.mean(axis=axes, keepdims=True)
        denominator = n - ddof
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 1.0 / denominator if denominator > 0 else float("nan")
            centered = x - mean_keep
            out = (centered * centered).sum(axis=axes, keepdims=keepdims) * scale
        return _unary(self, out, "var", ops.var_backward, (x, mean_keep, keep_shape, 2.0 * scale))

    def softmax(self, axis: int = -1) -> Tensor:
        """``e^x / Σ e^x`` along ``axis``, shifted by the max (no overflow)."""
        (a,) = _normalize_axes(axis, self.ndim, "softmax")
        out = ops.softmax_forward(self._data, a)
        return _unary(self, out, "softmax", ops.softmax_backward, (out, a))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``x − logsumexp(x)`` along ``axis``, shifted by the max; gradient ``g − softmax·Σg``."""
        (a,) = _normalize_axes(axis, self.ndim, "log_softmax")
        out = ops.log_softmax_forward(self._data, a)
        return _unary(self, out, "log_softmax", ops.log_softmax_backward, (out, a))

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``log Σ e^x`` over ``axis``, computed as ``m + log Σ e^(x − m)``; gradient softmax."""
        x = self._data
        axes, keep_shape = self._reduce_shapes(axis, keepdims, "logsumexp")
        out_keep = ops.logsumexp_forward(x, axes)
        out = (
            out_keep
            if keepdims
            else out_keep.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
        )
        return _unary(self, out, "logsumexp", ops.logsumexp_backward, (x, out_keep, keep_shape))

    # -- shapes ------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one entry may be -1); gradient reshaped back."""
        shape = _shape_arg(shape, "reshape")
        x = self._data
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {shape}"
            ) from None
        return _unary(self, out, "reshape", ops.reshape_backward, (x.shape,))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (reverse them if none are given); gradient: the inverse permutation."""
        ndim = self._data.ndim
        if not axes:
            order = tuple(range(ndim))[::-1]
        else:
            order = _shape_arg(axes, "transpose")
            if sorted(a % ndim if ndim else a for a in order) != list(range(ndim)):
                raise ValueError(
                    f"transpose: axes {order} are not a permutation of the {ndim} axes of a "
                    f"tensor of shape {self._data.shape}"
                )
            order = tuple(a % ndim for a in order)
        inverse = tuple(np.argsort(order).tolist())
        return _unary(
            self, self._data.transpose(order), "transpose", ops.transpose_backward, (inverse,)
        )

    permute = transpose

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` into one (all of them by default, as torch)."""
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        start, end = (
            _normalize_axes(start_dim, len(shape), "flatten")[0],
            _normalize_axes(end_dim, len(shape), "flatten")[0],
        )
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = 1
        for n in shape[start : end + 1]:
            merged *= n
        return self.reshape((*shape[:start], merged, *shape[end + 1 :]))

    def squeeze(self, axis: Any = None) -> Tensor:
        """Remove axes of length 1 (all of them, or those in ``axis``)."""
        shape = self._data.shape
        if axis is None:
            axes = tuple(i for i, n in enumerate(shape) if n == 1)
        else:
            axes = _normalize_axes(axis, len(shape), "squeeze")
            for a in axes:
                if shape[a] != 1:
                    raise ValueError(
                        f"squeeze: axis {a} of shape {shape} has length {shape[a]}, not 1"
                    )
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert an axis of length 1 at position ``axis`` (negative counts from the end)."""
        shape = self._data.shape
        (a,) = _normalize_axes(axis, len(shape) + 1, "unsqueeze")
        return self.reshape((*shape[:a], 1, *shape[a:]))

    def broadcast_to(self, *shape: Any) -> Tensor:
        """Repeat along new or length-1 axes to ``shape``; gradient: summed back."""
        shape = _shape_arg(shape, "broadcast_to")
        try:
            out = np.broadcast_to(self._data, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: a tensor of shape {self._data.shape} cannot be broadcast to "
                f"shape {shape}"
            ) from None
        return _unary(self, out, "broadcast_to", ops.identity_backward, ())

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing: ints, slices, None, Ellipsis, integer and boolean arrays.

        The gradient is scattered back; repeated integer indices accumulate
        (``np.add.at``).
        """
        items = index if type(index) is tuple else (index,)
        advanced = accumulate = False
        converted = []
        for item in items:
            if isinstance(item, Tensor):
                raise TypeError(
                    "index a Tensor with ints, slices or integer/boolean ndarrays, not a Tensor "
                    "(use t.numpy().astype(int) for computed indices)"
                )
            if isinstance(item, list | np.ndarray):
                item = np.asarray(item)
                if item.dtype.kind not in "biu" and item.size:
                    raise IndexError(
                        f"index arrays must hold integers or booleans, got dtype {item.dtype}"
                    )
                advanced = True
                accumulate = accumulate or item.dtype.kind != "b"
            converted.append(item)
        key = tuple(converted) if type(index) is tuple or advanced else index
        x = self._data
        try:
            out = x[key]
        except IndexError as error:
            raise IndexError(
                f"index {index!r:.80} into a tensor of shape {x.shape}: {error}"
            ) from None
        return _unary(self, out, "getitem", ops.getitem_backward, (x.shape, key, accumulate))


# ----------------------------------------------------------------------------
# Functions of several tensors
# ----------------------------------------------------------------------------


def _any_tensor(*items: Any) -> Tensor:
    for item in items:
        if type(item) is Tensor:
            return item
    return Tensor(items[0])


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise larger of ``x`` and ``y`` (broadcast); ties split the gradient 0.5/0.5."""
    if type(x) is not Tensor and type(y) is not Tensor:
        x = Tensor(x)
    return _binary(x, y, np.maximum, ops.maximum_backward, "maximum")


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise smaller of ``x`` and ``y`` (broadcast); ties split the gradient 0.5/0.5."""
    if type(x) is not Tensor and type(y) is not Tensor:
        x = Tensor(x)
    return _binary(x, y, np.minimum, ops.minimum_backward, "minimum")


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``condition`` holds, else ``y`` (all three broadcast); gradient routed likewise.

    ``condition`` is a boolean array (or a Tensor/array compared to nothing:
    nonzero means True); it gets no gradient.
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        if cond.dtype.kind not in "biuf":
            raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
        cond = cond != 0
    like = _any_tensor(x, y)
    dtype = like._data.dtype
    xd = x._data if type(x) is Tensor else _constant(x, dtype, "where")
    yd = y._data if type(y) is Tensor else _constant(y, dtype, "where")
    rx = type(x) is Tensor and x._requires_grad
    ry = type(y) is Tensor and y._requires_grad
    try:
        out = np.where(cond, xd, yd)
    except ValueError:
        raise ValueError(
            f"where: condition {cond.shape}, x {_shape_of(xd)} and y {_shape_of(yd)} do not "
            "broadcast together"
        ) from None
    if (rx or ry) and _state.grad_enabled:
        prev = (x, y) if rx and ry else (x,) if rx else (y,)
        return _node(out, prev, "where", ops.where_backward, (cond, rx, ry))
    return _plain(out)


def _as_tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op} takes a list or tuple of tensors")
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor")
    items = list(tensors)
    dtype = next((t._data.dtype for t in items if type(t) is Tensor), None)
    return [t if type(t) is Tensor else Tensor(t, dtype=dtype) for t in items]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``; the gradient is split back into the pieces."""
    items = _as_tensors(tensors, "concatenate")
    arrays = [t._data for t in items]
    try:
        out = np.concatenate(arrays, axis=axis)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"concatenate: shapes {shapes} must match except along axis {axis}"
        ) from None
    a = axis % out.ndim
    bounds = tuple(np.cumsum([arr.shape[a] for arr in arrays[:-1]]).tolist())
    keep = tuple(i for i, t in enumerate(items) if t._requires_grad)
    if keep and _state.grad_enabled:
        prev = tuple(items[i] for i in keep)
        return _node(out, prev, "concatenate", ops.concatenate_backward, (a, bounds, keep))
    return _plain(out)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new ``axis``; the gradient is sliced back."""
    items = _as_tensors(tensors, "stack")
    arrays = [t._data for t in items]
    try:
        out = np.stack(arrays, axis=axis)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"stack: all shapes must be equal, got {shapes}") from None
    a = axis % out.ndim
    keep = tuple(i for i, t in enumerate(items) if t._requires_grad)
    if keep and _state.grad_enabled:
        prev = tuple(items[i] for i in keep)
        return _node(out, prev, "stack", ops.stack_backward, (a, keep))
    return _plain(out)


# ----------------------------------------------------------------------------
# Fused operations
# ----------------------------------------------------------------------------


def _as_operand(t: Any, dtype: np.dtype | None, what: str) -> tuple[np.ndarray, bool]:
    if type(t) is Tensor:
        return t._data, t._requires_grad
    if isinstance(t, Value):
        raise TypeError(f"{what}: got a Value. {_MIX_HINT}")
    return _to_array(t, dtype, what), False


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight + bias`` as one node: a fully connected layer.

    ``weight`` is ``(in_features, out_features)``, ``bias`` ``(out_features,)``
    or None, ``x`` ``(..., in_features)``. Backward: ``∂/∂x = g·Wᵀ``,
    ``∂/∂W = xᵀ·g``, ``∂/∂b = Σ g``. One node instead of matmul and add, and
    no temporary for the bias: the hot path of ``nn.Linear``. (PyTorch's
    ``F.linear`` takes the transpose, ``(out, in)``; for row-major batches
    ``x @ W`` is the faster BLAS call.)
    """
    wd, rw = _as_operand(weight, None, "linear weight")
    xd, rx = _as_operand(x, wd.dtype, "linear input")
    bd, rb = (None, False) if bias is None else _as_operand(bias, wd.dtype, "linear bias")
    if wd.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (in_features, out_features), got {wd.shape}")
    if xd.ndim == 0 or xd.shape[-1] != wd.shape[0]:
        raise ValueError(
            f"linear: input of shape {xd.shape} needs {wd.shape[0]} features on its last axis "
            f"for a weight of shape {wd.shape}"
        )
    if bd is not None and bd.shape != (wd.shape[1],):
        raise ValueError(f"linear: bias must have shape ({wd.shape[1]},), got {bd.shape}")
    out = ops.linear_forward(xd, wd, bd)
    if (rx or rw or rb) and _state.grad_enabled:
        prev = tuple(t for t, r in ((x, rx), (weight, rw), (bias, rb)) if r)
        return _node(out, prev, "linear", ops.linear_backward, (xd, wd, rx, rw, rb))
    return _plain(out)


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
    zd, rz = _as_operand(logits, None, "softmax_cross_entropy logits")
    if zd.ndim != 2 or zd.shape[0] == 0:
        raise ValueError(
            f"softmax_cross_entropy: logits must be a non-empty (N, C) array, got {zd.shape}"
        )
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise TypeError(
            f"softmax_cross_entropy: target must hold integer class indices, got dtype {t.dtype}"
        )
    t = t.astype(np.intp, copy=False)
    n, c = zd.shape
    if t.shape != (n,):
        raise ValueError(f"softmax_cross_entropy: target must have shape ({n},), got {t.shape}")
    if n and (t.min() < 0 or t.max() >= c):
        raise ValueError(
            f"softmax_cross_entropy: class indices must lie in [0, {c}), got {t.min()}..{t.max()}"
        )
    out, probs, rows = ops.softmax_cross_entropy_forward(zd, t, reduction)
    if rz and _state.grad_enabled:
        return _node(
            np.asarray(out, dtype=zd.dtype),
            (logits,),
            "cross_entropy",
            ops.softmax_cross_entropy_backward,
            (probs, t, rows, reduction),
        )
    return _plain(np.asarray(out, dtype=zd.dtype))
