"""The numpy-backed :class:`Tensor` node, on the same backprop core as :class:`~autograd.Value`.

A Tensor holds a float32 or float64 ndarray (``.data``) and, after
``backward()``, a gradient of the same shape and dtype (``.grad``). Every
operation is an op of the registry (:mod:`autograd.ops`), where its forward
and its derivative are written once; a node keeps the op, its operands and
parameters, and its backward evaluates the op's rule on ndarrays (first
order) or on Tensors (``create_graph=True``). No closure refers to its own
output, so a finished graph is freed by reference counting.

Broadcasting is undone once, in :meth:`Tensor._vjp`, for every op: a rule
returns gradients shaped like the op's output and ``_vjp`` sums them back to
each parent's shape (prepended axes, then axes where the parent had size 1),
casts them to the parent's dtype, and gives every leaf an array of its own.

Constants (Python numbers, ndarrays, tensors with ``requires_grad=False``)
never receive gradients and are not in ``parents``, but they stay in
``inputs`` (viz draws them); an output requires a gradient iff one of its
inputs does (and grad mode is on).

In-place changes are detected, as in PyTorch, by a version counter: every
assignment through the ``.data`` attribute (``t.data = a``, ``t.data -= step``)
stamps the tensor, and ``backward`` refuses to use a node whose inputs (or
itself) were changed after the node was created. Writes that bypass the
attribute (``t.data[0] = 1``, writing into ``t.numpy()``) are not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _tensor_args
from ._backend import native
from ._core import _state, backward
from ._tensor_args import (
    MIX_HINT,
    as_constant,
    index_key,
    normalize_axes,
    shape_arg,
    shape_of,
    to_array,
)
from ._tensor_codegen import compile_array_forward, compile_array_vjps
from .ops import REGISTRY, Op
from .ops._math import ARRAY, ARRAY_IN_BACKWARD, ARRAY_KERNELS, NODE, Masked, keep_shape
from .ops._record import _ENGINE_HOOKS

__all__ = ["Tensor", "apply"]

_new = object.__new__
_ndarray = np.ndarray
# Global modification clock: a tensor's ``_version`` is the tick of its last
# ``.data`` assignment, a node's ``_stamp`` the tick at its creation.
_clock = [0]

_OPS = REGISTRY  # short local name for the method bodies below


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
    out._args = ()
    out._params = ()
    out._requires_grad = False
    out._scope = ()
    out._version = 0
    out._stamp = 0
    return out


def _node(data: Any, prev: tuple, op: Op, args: tuple, params: tuple) -> Tensor:
    """An op's output: ``prev`` are the operands that need a gradient, ``args`` all of them."""
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._prev = prev
    out._op = op
    out._args = args
    out._params = params
    out._requires_grad = True
    out._scope = _state.scope
    out._version = 0
    out._stamp = _clock[0]
    return out


def _forward(op: Op, inputs: tuple[Any, ...], params: tuple[Any, ...]) -> Any:
    """``op``'s forward on ndarrays: compiled from its record, or the rule itself."""
    compiled = op._array_forward  # type: ignore[attr-defined]
    if compiled is not None:
        return compiled(inputs, params)
    return op._forward(ARRAY, inputs, params)


def _unary(op: Op, x: Tensor, params: tuple = ()) -> Tensor:
    out = _forward(op, (x._data,), params)
    if x._requires_grad and _state.grad_enabled:
        return _node(out, (x,), op, (x,), params)
    return _plain(out)


def _binary(op: Op, x: Any, y: Any) -> Tensor:
    """Apply a two-input op (at least one operand a Tensor) and record the node."""
    if type(x) is Tensor:
        xd = x._data
        rx = x._requires_grad
        if type(y) is Tensor:
            yd = y._data
            ry = y._requires_grad
        else:
            y = yd = as_constant(y, xd.dtype, op)
            ry = False
    else:
        yd = y._data
        ry = y._requires_grad
        x = xd = as_constant(x, yd.dtype, op)
        rx = False
    try:
        out = _forward(op, (xd, yd), ())
    except ValueError:
        raise _broadcast_error(op, xd, yd) from None
    if (rx or ry) and _state.grad_enabled:
        prev = (x, y) if rx and ry else (x,) if rx else (y,)
        return _node(out, prev, op, (x, y), ())
    return _plain(out)


def _broadcast_error(op: Op, xd: Any, yd: Any) -> ValueError:
    return ValueError(
        f"{op}: operands of shapes {shape_of(xd)} and {shape_of(yd)} do not broadcast "
        "together (numpy rules: trailing dimensions must be equal or 1)"
    )


def apply(op: Op, inputs: Sequence[Any], params: tuple = ()) -> Tensor:
    """Apply ``op`` to ``inputs`` (Tensors, numbers, arrays or ``None``) with ``params``.

    The generic path behind ``Op.__call__``, ``create_graph`` and the
    multi-tensor functions; methods of :class:`Tensor` take faster paths to
    the same records.
    """
    like = next(a for a in inputs if isinstance(a, Tensor))
    dtype = like._data.dtype
    datas: list[Any] = []
    args: list[Any] = []
    prev: list[Tensor] = []
    for a in inputs:
        if isinstance(a, Tensor):
            datas.append(a._data)
            args.append(a)
            if a._requires_grad:
                prev.append(a)
        elif a is None:
            datas.append(None)
            args.append(None)
        else:
            c = as_constant(a, dtype, op)
            datas.append(c)
            args.append(c)
    out = _forward(op, tuple(datas), params)
    if prev and _state.grad_enabled:
        return _node(out, tuple(prev), op, tuple(args), params)
    return _plain(out)


# ----------------------------------------------------------------------------
# Backward: the op's rule evaluated on arrays (first order) or on Tensors
# ----------------------------------------------------------------------------


def _modified_error(node: Tensor, culprit: Any) -> RuntimeError:
    which = "its output" if culprit is node else f"an input of shape {culprit.shape}"
    return RuntimeError(
        f"backward through {node._op!r} (output shape {node.shape}) needs data that was "
        f"modified in place after the operation used it ({which}, through its .data "
        "attribute). Recompute the forward pass after changing .data, e.g. update "
        "parameters only after backward()."
    )


def _operands(node: Tensor) -> tuple[list[Any], list[bool]]:
    """The operands' arrays and which of them are parents (need a gradient); checks versions."""
    stamp = node._stamp
    if node._version > stamp:
        raise _modified_error(node, node)
    prev = node._prev
    datas: list[Any] = []
    wants: list[bool] = []
    j, n = 0, len(prev)
    dtype = node._data.dtype
    for a in node._args:
        if type(a) is Tensor:
            if a._version > stamp:
                raise _modified_error(node, a)
            datas.append(a._data)
            if j < n and a is prev[j]:
                wants.append(True)
                j += 1
                continue
        elif type(a) is float or type(a) is int:
            # Python numbers stay numbers in the forward (no upcast); in a rule they must
            # divide like IEEE numbers (1/0 = inf), so they become 0-d arrays of the dtype.
            datas.append(np.asarray(a, dtype))
        else:
            datas.append(a)
        wants.append(False)
    return datas, wants


def _select(condition: Any, values: np.ndarray) -> np.ndarray:
    """``values`` where ``condition``, an exact 0 elsewhere (``np.where(condition, values, 0)``).

    When every value is finite, multiplying by the boolean mask gives the same
    numbers (up to the sign of a zero) about four times faster than
    ``np.where``; a non-finite value (an infinite upstream gradient) takes
    ``np.where``, since ``inf · 0`` would be ``nan``. (The native kernel makes
    the same choice, testing each value in C instead of ``np.isfinite``.)
    """
    if np.isfinite(values).all():
        return values * condition
    return np.where(condition, values, 0.0)


def _times(g: Any, d: Any) -> Any:
    """The contribution ``g · d`` of a local derivative ``d`` (selected where masked)."""
    if d is None:
        return None
    if type(d) is Masked:
        return _select_times(d.condition, g, d.d)
    if type(d) is float:
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
    return g * d


def _select_times(condition: Any, g: Any, v: Any) -> Any:
    """``g · m.masked(condition, v)``: ``g·v`` where ``condition``, an exact 0 elsewhere.

    A scalar condition (from parameters only) selects all or nothing (``None``).
    """
    if type(condition) is bool or type(condition) is np.bool_:
        return _times(g, v) if condition else None
    return _select(condition, g if type(v) is float and v == 1.0 else g * v)


_PYTHON_SELECT = (_select, _select_times)  # the reference of the C versions (tests compare)
if native is not None:  # the same numpy calls in C (autograd/_native_kernels.h)
    native.register_select(_times, np.bool_)
    _select, _select_times = native.array_select, native.array_select_times


def _fit(c: Any, parent: Tensor, grad: np.ndarray) -> Any:
    """A contribution made into ``parent``'s gradient: its shape, dtype and own array.

    ``None`` (a rule's "no gradient flows", e.g. through ``sign``) becomes zeros:
    the parent was reached, so its ``.grad`` is an array, as in PyTorch. A
    float64 contribution to a float32 *intermediate* node stays float64 when
    float32 cannot hold it (a rule widened it because it overflows there, see
    ``binary_cross_entropy``), so that it can flow on to a finite gradient.
    """
    if c is None:
        return np.zeros(parent._data.shape, parent._data.dtype)
    pdata = parent._data
    if type(c) is not _ndarray:
        c = np.asarray(c)
    if c.shape != pdata.shape:
        c = unbroadcast(c, pdata.shape)
    if c.dtype != pdata.dtype and not (parent._prev and _overflows(c, pdata.dtype)):
        c = c.astype(pdata.dtype)
    if (c is grad or c.base is not None) and not parent._prev:
        c = c.copy()
    return c


def _overflows(c: np.ndarray, dtype: np.dtype) -> bool:
    """Whether casting ``c`` to ``dtype`` would turn finite values into infinities."""
    if c.dtype.itemsize <= dtype.itemsize or not c.size:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.nanmax(np.abs(c), initial=0.0) > np.finfo(dtype).max)


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` down to ``shape``: over prepended axes, then over axes where ``shape`` has 1.

    The adjoint of numpy broadcasting (ANCHORS #1), done here once for every op.
    """
    extra = g.ndim - len(shape)
    if extra == 1 and g.shape[1:] == shape:  # the bias case: (batch, n) -> (n,)
        return np.add.reduce(g, 0)
    if extra > 0:
        g = np.add.reduce(g, tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.add.reduce(g, axes, keepdims=True)
    if g.shape != shape:
        g = np.broadcast_to(g, shape)  # a gradient that is constant along an axis (0-d rules)
    return g


def _unbroadcast_node(c: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The recorded twin of :func:`unbroadcast`, for ``create_graph=True``."""
    extra = c.ndim - len(shape)
    if extra > 0:
        c = c.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and c.shape[i] != 1)
    if axes:
        c = c.sum(axis=axes, keepdims=True)
    if c.shape != shape:
        c = c.broadcast_to(shape)
    return c


# ----------------------------------------------------------------------------
# The Tensor
# ----------------------------------------------------------------------------


class _TensorStorage:
    """A Tensor node's storage, in Python: the reference the native ``TensorNode`` mirrors.

    ``_data`` (the ndarray), ``grad``, ``label`` and the graph fields: ``_prev``
    (the parents), ``_op`` (the Op record), ``_args`` (every operand),
    ``_params``, ``_requires_grad``, ``_scope``, and the version counter
    (``_version``, the tick of the last ``.data`` assignment; ``_stamp``, the
    tick when the node was made).
    """

    __slots__ = (
        "__weakref__",
        "_args",
        "_data",
        "_op",
        "_params",
        "_prev",
        "_requires_grad",
        "_scope",
        "_stamp",
        "_version",
        "grad",
        "label",
    )


if TYPE_CHECKING:
    _Storage = _TensorStorage
else:
    _Storage = _TensorStorage if native is None else native.TensorNode


class Tensor(_Storage):
    """An n-dimensional array of float32 or float64 that records operations for backprop.

    ``Tensor(data, requires_grad=False, dtype=None, label="")`` copies ``data``
    (a number, a nested list or an ndarray of real numbers). float32 input
    stays float32; anything else becomes float64 unless ``dtype`` (float32 or
    float64) is given. ``.grad`` is ``None`` until ``backward()`` reaches the
    tensor, then an ndarray of the same shape and dtype.

    Operators ``+ - * / ** @`` and unary ``-`` take Tensors, ndarrays and
    numbers on either side and broadcast like numpy; a Python number never
    changes a float32 tensor's dtype. ``@`` follows ``numpy.matmul`` (1-D
    operands included). Comparisons (``< <= > >= == !=``) return boolean
    ndarrays (usable in :func:`where`); hashing is by identity. Mixing with
    :class:`~autograd.Value` is a ``TypeError`` (use ``Tensor(v.data)`` or
    ``t.item()``).

    Example::

        W = Tensor(np.random.randn(3, 2), requires_grad=True)
        loss = (Tensor([[1.0, 2.0, 3.0]]) @ W).relu().sum()
        loss.backward()          # W.grad has shape (3, 2)

    ``backward()`` accumulates into ``.grad`` (as PyTorch); set ``.grad = None``
    between steps. Non-leaf tensors keep their gradient after backward too;
    only a leaf's gradient is guaranteed to be an array of its own.
    """

    __slots__ = ()  # the storage is the base class's
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
        array = to_array(data, dtype, "Tensor")
        self._data = np.array(array, copy=True)
        self.grad: np.ndarray | None = None
        self.label = str(label)
        self._prev: tuple[Tensor, ...] = ()
        self._op: Any = ""
        self._args: tuple[Any, ...] = ()
        self._params: tuple[Any, ...] = ()
        self._requires_grad = bool(requires_grad)
        self._scope = _state.scope
        self._version = 0
        self._stamp = 0

    # -- the node protocol ---------------------------------------------------

    def _vjp(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """Each parent's gradient contribution, reduced to its shape and dtype.

        The op's rule on ndarrays; broadcasting is undone here, once for every
        op, and a leaf never receives the upstream array itself or a view of
        another array (its ``.grad`` is its own). Refuses to run if an input
        or the output was modified in place (through ``.data``) after this
        node was made.
        """
        op = self._op
        args = self._args
        prev = self._prev
        if len(args) == 1:  # the common case, a function of one tensor: no bookkeeping
            x = args[0]
            stamp = self._stamp
            if self._version > stamp or x._version > stamp:
                raise _modified_error(self, self if self._version > stamp else x)
            compiled = op._array_vjps
            if compiled is not None:  # the rule compiled from its record (_tensor_codegen.py)
                (c,) = compiled[1](grad, x._data, self._data, self._params)
            elif op.derivative is not None:
                (d,) = op._derivative(ARRAY_IN_BACKWARD, (x._data,), self._data, self._params)
                c = _times(grad, d)
            else:
                (c,) = op._vjp(ARRAY_IN_BACKWARD, grad, (x._data,), self._data, self._params,
                               _WANT_ONE)
            return (_fit(c, x, grad),)
        datas, wants = _operands(self)
        compiled = op._array_vjps
        if compiled is not None:
            # the rule compiled for these wanted inputs (autograd/_tensor_codegen.py)
            mask = sum(1 << i for i, w in enumerate(wants) if w)
            contributions = list(compiled[mask](grad, *datas, self._data, self._params))
        elif op.derivative is not None:
            ds = op._derivative(ARRAY_IN_BACKWARD, datas, self._data, self._params)
            contributions = [_times(grad, d) for d, w in zip(ds, wants) if w]
        else:
            cs = op._vjp(ARRAY_IN_BACKWARD, grad, datas, self._data, self._params, tuple(wants))
            contributions = [c for c, w in zip(cs, wants) if w]
        if len(prev) == 1:
            return (_fit(contributions[0], prev[0], grad),)
        return tuple([_fit(c, p, grad) for c, p in zip(contributions, prev)])

    def _vjp_graph(self, grad: Any) -> tuple[Any, ...]:
        """The contributions as recorded Tensors: the op's rule evaluated on nodes."""
        op = self._op
        _, wants = _operands(self)
        if not isinstance(grad, Tensor):
            grad = Tensor(grad)
        dtype = self._data.dtype
        inputs = tuple(
            np.asarray(a, dtype) if type(a) is float or type(a) is int else a for a in self._args
        )
        if op.derivative is not None:
            ds = op._derivative(NODE, inputs, self, self._params)
            contributions = [_times_node(grad, d) for d, w in zip(ds, wants) if w]
        else:
            cs = op._vjp(NODE, grad, inputs, self, self._params, tuple(wants))
            contributions = [c for c, w in zip(cs, wants) if w]
        fitted = []
        for parent, c in zip(self._prev, contributions):
            if c is None:
                fitted.append(_plain(np.zeros(parent.shape, parent.dtype)))
                continue
            if not isinstance(c, Tensor):
                c = Tensor(np.broadcast_to(c, parent.shape), dtype=parent.dtype)
            if c.shape != parent.shape:
                c = _unbroadcast_node(c, parent.shape)
            fitted.append(c)
        return tuple(fitted)

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
            seed = np.empty(data.shape, data.dtype)  # np.ones, without its Python frame
            seed.fill(1)
        else:
            seed = np.array(to_array(grad, data.dtype, "backward(grad=...)"), copy=True)
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
            value = to_array(value, None, "Tensor.data")
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
        """The shape of ``data``."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        """float32 or float64."""
        return self._data.dtype

    @property
    def op(self) -> str:
        """The operation that made this tensor (``""`` for a leaf): its label, e.g. ``"@"``."""
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
        """Every operand in order: Tensors (constant ones too), numbers and arrays."""
        return self._args

    @property
    def params(self) -> dict[str, Any]:
        """The operation's parameters by name (``{"axes": (0,), "keepdims": False}``)."""
        op = self._op
        return dict(zip(op.params, self._params)) if type(op) is Op else {}

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
        extra = f", op={str(self._op)!r}" if self._op else ""
        if self._requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}, shape={self._data.shape}, dtype={self._data.dtype}{extra})"

    # -- comparisons: boolean ndarrays, never recorded ----------------------------

    def _compare_operand(self, other: Any) -> Any:
        if isinstance(other, Tensor):
            return other._data
        return as_constant(other, self._data.dtype, "comparison")

    def __lt__(self, other: Any) -> np.ndarray:
        return self._data < self._compare_operand(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self._data <= self._compare_operand(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self._data > self._compare_operand(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self._data >= self._compare_operand(other)

    def __eq__(self, other: object) -> np.ndarray:  # type: ignore[override]
        return self._data == self._compare_operand(other)

    def __ne__(self, other: object) -> np.ndarray:  # type: ignore[override]
        return self._data != self._compare_operand(other)

    __hash__ = object.__hash__

    # -- arithmetic -------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _binary(_ADD, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(_ADD, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(_SUB, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(_SUB, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(_MUL, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(_MUL, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(_DIV, other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _binary(_POW, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(_POW, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def __neg__(self) -> Tensor:
        return _unary(_OPS["neg"], self)

    def __pos__(self) -> Tensor:
        return self

    # -- elementwise functions (the registry's; docstrings from the records) ---------

    def exp(self) -> Tensor:
        return _unary(_OPS["exp"], self)

    def log(self) -> Tensor:
        return _unary(_OPS["log"], self)

    def log1p(self) -> Tensor:
        return _unary(_OPS["log1p"], self)

    def sqrt(self) -> Tensor:
        return _unary(_OPS["sqrt"], self)

    def tanh(self) -> Tensor:
        return _unary(_OPS["tanh"], self)

    def sigmoid(self) -> Tensor:
        return _unary(_OPS["sigmoid"], self)

    def relu(self) -> Tensor:
        return _unary(_OPS["relu"], self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return _unary(_OPS["leaky_relu"], self, (float(negative_slope),))

    def softplus(self) -> Tensor:
        return _unary(_OPS["softplus"], self)

    def mish(self) -> Tensor:
        return _unary(_OPS["mish"], self)

    def abs(self) -> Tensor:
        return _unary(_OPS["abs"], self)

    __abs__ = abs

    def sign(self) -> Tensor:
        return _unary(_OPS["sign"], self)

    def sin(self) -> Tensor:
        return _unary(_OPS["sin"], self)

    def cos(self) -> Tensor:
        return _unary(_OPS["cos"], self)

    def tan(self) -> Tensor:
        return _unary(_OPS["tan"], self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit to ``[lo, hi]`` (either may be None); gradient 1 on ``lo ≤ x ≤ hi`` (torch)."""
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        dtype = self._data.dtype
        lo = None if lo is None else as_constant(lo, dtype, "clip")
        hi = None if hi is None else as_constant(hi, dtype, "clip")
        return _unary(_OPS["clip"], self, (lo, hi))

    # -- reductions ------------------------------------------------------------------

    def _axes(self, axis: Any, op: str) -> tuple[int, ...]:
        if axis is None:
            return tuple(range(self._data.ndim))
        return normalize_axes(axis, self._data.ndim, op)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (int, tuple, negative or None for all); gradient: broadcast back."""
        axes = tuple(range(self._data.ndim)) if axis is None else self._axes(axis, "sum")
        return _unary(_OPS["sum"], self, (axes, bool(keepdims)))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of reduced elements."""
        axes = tuple(range(self._data.ndim)) if axis is None else self._axes(axis, "mean")
        return _unary(_OPS["mean"], self, (axes, bool(keepdims)))

    def _extremum(self, axis: Any, keepdims: bool, op: str) -> Tensor:
        if self._data.size == 0:
            raise ValueError(f"{op}() of an empty tensor (shape {self._data.shape}) has no value")
        return _unary(_OPS[op], self, (self._axes(axis, op), bool(keepdims)))

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis``; ties share the gradient evenly (``torch.amax``)."""
        return self._extremum(axis, keepdims, "max")

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Smallest element over ``axis``; ties share the gradient evenly (``torch.amin``)."""
        return self._extremum(axis, keepdims, "min")

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance ``Σ(x − x̄)² / (n − ddof)`` over ``axis``; ``ddof=0`` as numpy (torch uses 1).

        ``n − ddof ≤ 0`` gives ``inf`` (``nan`` where all elements are equal), as numpy.
        """
        return _unary(_OPS["var"], self, (self._axes(axis, "var"), bool(keepdims), int(ddof)))

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``log Σ e^x`` over ``axis``, computed as ``m + log Σ e^(x − m)``; gradient softmax."""
        return _unary(_OPS["logsumexp"], self, (self._axes(axis, "logsumexp"), bool(keepdims)))

    def softmax(self, axis: int = -1) -> Tensor:
        """``e^x / Σ e^x`` along ``axis``, shifted by the max (no overflow)."""
        (a,) = normalize_axes(axis, self.ndim, "softmax")
        return _unary(_OPS["softmax"], self, (a,))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``x − logsumexp(x)`` along ``axis``, shifted by the max; gradient ``g − softmax·Σg``."""
        (a,) = normalize_axes(axis, self.ndim, "log_softmax")
        return _unary(_OPS["log_softmax"], self, (a,))

    # -- shapes ------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one entry may be -1); gradient reshaped back."""
        shape = shape_arg(shape, "reshape")
        x = self._data
        try:
            x.reshape(shape)  # a view: only checks that the shape fits
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {shape}"
            ) from None
        return _unary(_OPS["reshape"], self, (shape,))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (numpy's meaning); with none given, reverse them.

        ``t.transpose(1, 0, 2)`` is a permutation of *all* axes, as
        ``numpy.transpose``: a PyTorch user's ``transpose(0, 1)`` (swap two
        axes) is :meth:`swapaxes` here — on a 2-D tensor ``transpose(0, 1)``
        is the identity permutation and returns the tensor unchanged.
        Gradient: the inverse permutation.
        """
        ndim = self._data.ndim
        if not axes:
            order = tuple(range(ndim))[::-1]
        else:
            order = shape_arg(axes, "transpose")
            if sorted(a % ndim if ndim else a for a in order) != list(range(ndim)):
                raise ValueError(
                    f"transpose: axes {order} are not a permutation of the {ndim} axes of a "
                    f"tensor of shape {self._data.shape} (to swap two axes use swapaxes(a, b))"
                )
            order = tuple(a % ndim for a in order)
        return _unary(_OPS["transpose"], self, (order,))

    permute = transpose

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Swap two axes (what ``torch.transpose(t, a, b)`` does); gradient: swapped back."""
        ndim = self._data.ndim
        (a,) = normalize_axes(axis1, ndim, "swapaxes")
        (b,) = normalize_axes(axis2, ndim, "swapaxes")
        order = list(range(ndim))
        order[a], order[b] = order[b], order[a]
        return _unary(_OPS["transpose"], self, (tuple(order),))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` into one (all of them by default, as torch)."""
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        start = normalize_axes(start_dim, len(shape), "flatten")[0]
        end = normalize_axes(end_dim, len(shape), "flatten")[0]
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
            axes = normalize_axes(axis, len(shape), "squeeze")
            for a in axes:
                if shape[a] != 1:
                    raise ValueError(
                        f"squeeze: axis {a} of shape {shape} has length {shape[a]}, not 1"
                    )
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert an axis of length 1 at position ``axis`` (negative counts from the end)."""
        shape = self._data.shape
        (a,) = normalize_axes(axis, len(shape) + 1, "unsqueeze")
        return self.reshape((*shape[:a], 1, *shape[a:]))

    def broadcast_to(self, *shape: Any) -> Tensor:
        """Repeat along new or length-1 axes to ``shape``; gradient: summed back."""
        shape = shape_arg(shape, "broadcast_to")
        try:
            if np.broadcast_shapes(self._data.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"broadcast_to: a tensor of shape {self._data.shape} cannot be broadcast to "
                f"shape {shape}"
            ) from None
        return _unary(_OPS["broadcast_to"], self, (shape,))

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing: ints, slices, None, Ellipsis, integer and boolean arrays.

        A list, tuple or array inside the index is an array index (as numpy);
        the gradient is scattered back and repeated indices accumulate
        (``x[:, (0, 0)].sum()`` gives column 0 a gradient of 2).
        """
        key, accumulate = index_key(index)
        try:
            return _unary(_OPS["getitem"], self, (key, accumulate))
        except IndexError as error:
            raise IndexError(
                f"index {index!r:.80} into a tensor of shape {self._data.shape}: {error}"
            ) from None


_ADD, _SUB, _MUL, _DIV, _POW = (_OPS[k] for k in ("add", "sub", "mul", "div", "pow"))
_WANT_ONE = (True,)
_tensor_args.TENSOR_TYPE = Tensor

# The registry's docstrings are the methods' docstrings (written once, with the formula).
for _name in (
    "exp log log1p sqrt tanh sigmoid relu leaky_relu softplus mish abs sign sin cos tan".split()
):
    getattr(Tensor, _name).__doc__ = _OPS[_name].doc


def _times_node(g: Tensor, d: Any) -> Any:
    """``g · d`` on graph nodes (``create_graph``), selected where ``d`` is masked."""
    if d is None:
        return None
    if type(d) is Masked:
        from ._tensor_functions import where

        v = d.d
        value = g if type(v) is float and v == 1.0 else g * v
        return where(d.condition, value, 0.0)
    if type(d) is float and d == 1.0:
        return g
    return g * d


def _matmul(x: Any, y: Any) -> Tensor:
    """``x @ y`` with a clear message when the shapes do not fit."""
    op = _OPS["matmul"]
    if type(x) is Tensor:
        xd = x._data
        rx = x._requires_grad
        if type(y) is Tensor:
            yd, ry = y._data, y._requires_grad
        else:
            y = yd = as_constant(y, xd.dtype, "@")
            ry = False
    else:
        yd, ry = y._data, y._requires_grad
        x = xd = as_constant(x, yd.dtype, "@")
        rx = False
    try:
        out = xd @ yd
    except (ValueError, TypeError):
        xs, ys = shape_of(xd), shape_of(yd)
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
        return _node(out, prev, op, (x, y), ())
    return _plain(out)


__all__ += ["MIX_HINT", "keep_shape", "unbroadcast"]

# A backward pass runs under one np.errstate as a whole: its compiled rules call the
# plain kernels (as ARRAY_IN_BACKWARD does); the forward calls the quiet ones.
_COMPILE_NAMESPACE = {
    **{f"_k_{name}": getattr(kernel, "plain", kernel) for name, kernel in ARRAY_KERNELS.items()},
    "_select_times": _select_times,
    "_times": _times,
}


_FORWARD_NAMESPACE = {
    **_COMPILE_NAMESPACE,
    **{f"_k_{name}": kernel for name, kernel in ARRAY_KERNELS.items()},
}


def _compile_backward(op: Op) -> None:
    """Give an op its compiled Tensor forward and backward (None: the generic path)."""
    op._array_forward = compile_array_forward(op, _FORWARD_NAMESPACE)  # type: ignore[attr-defined]
    op._array_vjps = compile_array_vjps(op, _COMPILE_NAMESPACE)  # type: ignore[attr-defined]


for _op in list(REGISTRY.values()):
    _compile_backward(_op)
_ENGINE_HOOKS.append(_compile_backward)

if native is not None:
    # The node constructors and Tensor._vjp's glue in C (autograd/_native_tensor.h); the
    # Python functions above are the reference they follow.
    native.register_tensor(
        tensor_type=Tensor,
        vjp=Tensor._vjp,
        ndarray=np.ndarray,
        asarray=np.asarray,
        zeros=np.zeros,
        array_namespace=ARRAY,  # the forward (forward_of) and the generic rules both
        masked=Masked,
        unbroadcast=unbroadcast,
        modified_error=_modified_error,
        clock=_clock,
        module_globals=globals(),
        as_constant=as_constant,
        broadcast_error=_broadcast_error,
        to_array=to_array,
        operators=(_ADD, _SUB, _MUL, _DIV, _POW, _OPS["neg"]),
    )
    # The operators and the .data property are the C type's (the same code paths in C).
    for _name in (
        "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
        "__rtruediv__", "__pow__", "__rpow__", "__neg__", "data",
    ):
        delattr(Tensor, _name)
    _node = native.tensor_node
    _plain = native.tensor_plain
    _unary = native.tensor_unary
    _binary = native.tensor_binary
    apply = native.tensor_apply
