"""The scalar :class:`Value` node, micrograd-compatible, on the shared backprop core.

Each operation computes its result and its *local derivatives*
``∂out/∂operand`` (plain floats, stored in ``_local`` aligned with ``_prev``)
in one line; backward multiplies them by the upstream gradient. No closure is
stored, so a graph holds no reference cycles and is freed by reference
counting as soon as nothing refers to its output.

Conventions at non-differentiable points follow PyTorch:

* ``relu'(0) = 0``, ``|x|'(0) = 0``, ``leaky_relu'(0) = negative_slope``;
* ``sign`` has gradient 0 everywhere (including 0);
* ``d/dx x**0 = 0`` everywhere; ``d/dy x**y = 0`` where ``x == 0`` and ``y ≥ 0``;
* outside a function's domain the result is ``nan`` (``log`` of a negative
  number, ``sqrt`` of a negative number, ``0/0``, a negative base to a
  non-integer power) and at its edge the limit (``log(0) = -inf``,
  ``1/0 = inf``, ``sqrt'(0) = inf``), never an exception or a complex number.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _scalar_math as sm
from ._core import _state, backward

__all__ = ["Value"]

_new = object.__new__


def _as_float(x: Any) -> float:
    """Convert a Python/numpy real number (or 0-d array) to float, else raise TypeError."""
    if isinstance(x, float):
        return x
    if isinstance(x, numbers.Real):  # int, bool, numpy integer/floating scalars
        return float(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return float(x)
    kind = type(x).__name__
    hint = ""
    if kind == "Tensor":
        hint = (
            " Value and Tensor do not mix in one expression: use Tensor(v.data) to lift a "
            "Value into a Tensor, or t.item() to read a one-element Tensor as a number."
        )
    elif isinstance(x, list | tuple | np.ndarray):
        hint = " For arrays use autograd.Tensor."
    raise TypeError(
        f"Value accepts a real number (int, float, bool, a numpy scalar or a 0-d array); "
        f"got {kind} {x!r:.60}.{hint}"
    )


def _result(data: float, prev: tuple[Value, ...], op: str, local: tuple[float, ...]) -> Value:
    """Make an operation's output node (a bare leaf under ``no_grad``)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _state.grad_enabled:
        out._prev = prev
        out._op = op
        out._local = local
        out._scope = _state.scope
    else:
        out._prev = ()
        out._op = ""
        out._local = ()
        out._scope = ()
    return out


class Value:
    """A scalar that records the operations applied to it.

    ``Value(data, label="")`` holds ``data`` (a float) and ``grad`` (a float,
    ∂L/∂self after ``L.backward()``). It accepts ``int``, ``float``, numpy
    scalars and 0-d arrays (stored as a Python float) and ``bool``
    (``True → 1.0``, ``False → 0.0``); anything else is a ``TypeError``.

    The API is micrograd's: ``+ - * / **`` with numbers on either side, unary
    minus, ``relu()``, ``backward()``, ``_prev`` (the operands, an ordered
    tuple) and ``_op``. Beyond it: ``Value ** Value``, ``exp``, ``log``,
    ``sqrt``, ``tanh``, ``sigmoid``, ``softplus``, ``mish``, ``leaky_relu``,
    ``abs``, ``sign``, ``sin``, ``cos``. Python numbers in an expression are
    constants: they get no node and no gradient.

    Example (micrograd's README)::

        a = Value(-4.0); b = Value(2.0)
        c = a + b; d = a * b + b**3
        ...
        g.backward()        # a.grad == 138.8338..., b.grad == 645.5773...

    ``backward()`` accumulates: calling it twice doubles every ``.grad``, as in
    PyTorch. Call ``zero_grad`` on the model (or set ``.grad = 0``) between
    steps.
    """

    __slots__ = ("_ctx", "_local", "_op", "_prev", "_scope", "data", "grad", "label")
    __array_ufunc__ = None  # numpy defers to Value's reflected operators
    _requires_grad = True

    def __init__(
        self,
        data: Any,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = str(label)
        # micrograd's signature accepts children and an op name; such a
        # hand-built node has no local derivatives and passes no gradient.
        self._prev = tuple(_children)
        self._op = str(_op)
        self._local = ()
        self._scope = _state.scope

    # -- the node protocol --------------------------------------------------

    def _vjp(self, grad: float) -> tuple[float, ...]:
        local = self._local
        if len(local) == 2:
            return (local[0] * grad, local[1] * grad)
        if local:
            return (local[0] * grad,)
        return ()

    def _vjp_graph(self, grad: Value) -> tuple[Value, ...]:
        return tuple([local * grad for local in _graph_locals(self)])

    def backward(self, grad: float = 1.0, *, create_graph: bool = False) -> None:
        """Backpropagate from this node: every reachable node's ``.grad`` += ∂self/∂node · grad.

        Gradients accumulate across calls (as in PyTorch); zero them between
        training steps. With ``create_graph=True`` each ``.grad`` becomes a
        :class:`Value` node recording how the gradient was computed, so it can
        be backpropagated again (second derivatives)::

            x = Value(3.0)
            (x**3).backward(create_graph=True)   # x.grad is Value(27.0)
            g = x.grad
            x.grad = 0.0
            g.backward()                         # x.grad == 18.0 = d²(x³)/dx²
        """
        if create_graph:
            backward((self,), (Value(grad),), create_graph=True)
        else:
            backward((self,), (_as_float(grad),))

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: add ``local · self.grad`` to each operand's grad."""

        def step() -> None:
            for parent, local in zip(self._prev, self._local):
                parent.grad += local * self.grad

        return step

    @property
    def local_grads(self) -> tuple[float, ...]:
        """Local derivatives ``∂self/∂operand`` at the current values, aligned with ``parents``."""
        return self._local

    @property
    def op(self) -> str:
        """The operation that made this node (``""`` for a leaf): micrograd's ``_op``."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands that receive a gradient, in order (micrograd's ``_prev``)."""
        return self._prev

    @property
    def inputs(self) -> tuple[Any, ...]:
        """Every operand of the operation in order: nodes and constants (Python numbers)."""
        return self._prev

    @property
    def scope(self) -> tuple[str, ...]:
        """The name scope (``nn`` module path) active when this node was created."""
        return self._scope

    def item(self) -> float:
        """Return ``data`` (mirrors ``Tensor.item()``)."""
        return self.data

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # -- arithmetic ---------------------------------------------------------

    def __add__(self, other: Any) -> Value:
        if type(other) is Value:
            # _result inlined: + and * are most of a scalar network's nodes.
            out = _new(Value)
            out.data = self.data + other.data
            out.grad = 0.0
            out.label = ""
            if _state.grad_enabled:
                out._prev = (self, other)
                out._op = "+"
                out._local = (1.0, 1.0)
                out._scope = _state.scope
            else:
                out._prev = out._local = out._scope = ()
                out._op = ""
            return out
        return _result(self.data + _as_float(other), (self,), "+", (1.0,))

    __radd__ = __add__

    def __mul__(self, other: Any) -> Value:
        if type(other) is Value:
            a, b = self.data, other.data
            out = _new(Value)  # _result inlined, as in __add__
            out.data = a * b
            out.grad = 0.0
            out.label = ""
            if _state.grad_enabled:
                out._prev = (self, other)
                out._op = "*"
                out._local = (b, a)
                out._scope = _state.scope
            else:
                out._prev = out._local = out._scope = ()
                out._op = ""
            return out
        c = _as_float(other)
        return _result(self.data * c, (self,), "*", (c,))

    __rmul__ = __mul__

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), "neg", (-1.0,))

    def __sub__(self, other: Any) -> Value:
        if type(other) is Value:
            return _result(self.data - other.data, (self, other), "-", (1.0, -1.0))
        return _result(self.data - _as_float(other), (self,), "-", (1.0,))

    def __rsub__(self, other: Any) -> Value:
        return _result(_as_float(other) - self.data, (self,), "-", (-1.0,))

    def __truediv__(self, other: Any) -> Value:
        if type(other) is Value:
            b = other.data
            out = sm.div(self.data, b)
            return _result(out, (self, other), "/", (sm.div(1.0, b), -sm.div(out, b)))
        c = _as_float(other)
        return _result(sm.div(self.data, c), (self,), "/", (sm.div(1.0, c),))

    def __rtruediv__(self, other: Any) -> Value:
        b = self.data
        out = sm.div(_as_float(other), b)
        node = _result(out, (self,), "/", (-sm.div(out, b),))
        node._ctx = "divisor"  # self is the divisor (c / self), for second derivatives
        return node

    def __pow__(self, other: Any) -> Value:
        a = self.data
        if type(other) is Value:
            b = other.data
            out = sm.power(a, b)
            da = 0.0 if b == 0.0 else b * sm.power(a, b - 1.0)
            db = 0.0 if a == 0.0 and b >= 0.0 else out * sm.log(a)
            return _result(out, (self, other), "**", (da, db))
        b = _as_float(other)
        da = 0.0 if b == 0.0 else b * sm.power(a, b - 1.0)
        out = _result(sm.power(a, b), (self,), f"**{other}", (da,))
        out._ctx = b
        return out

    def __rpow__(self, other: Any) -> Value:
        a, b = _as_float(other), self.data
        out = sm.power(a, b)
        db = 0.0 if a == 0.0 and b >= 0.0 else out * sm.log(a)
        node = _result(out, (self,), "**", (db,))
        node._ctx = a  # the constant base, for second derivatives
        return node

    # -- elementwise functions ----------------------------------------------

    def exp(self) -> Value:
        """``e^x``; derivative ``e^x``."""
        out = sm.exp(self.data)
        return _result(out, (self,), "exp", (out,))

    def log(self) -> Value:
        """Natural log; ``-inf`` at 0 and ``nan`` below; derivative ``1/x``."""
        x = self.data
        return _result(sm.log(x), (self,), "log", (sm.div(1.0, x),))

    def sqrt(self) -> Value:
        """``√x``; ``nan`` below 0; derivative ``1/(2√x)`` (``inf`` at 0)."""
        out = sm.sqrt(self.data)
        return _result(out, (self,), "sqrt", (sm.div(0.5, out),))

    def tanh(self) -> Value:
        """``tanh x``; derivative ``1 − tanh²x``."""
        t = math.tanh(self.data)
        return _result(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """``σ(x) = 1/(1+e^−x)``, computed stably; derivative ``σ(1−σ)``."""
        s = sm.sigmoid(self.data)
        return _result(s, (self,), "sigmoid", (s * (1.0 - s),))

    def softplus(self) -> Value:
        """``log(1+e^x)``, computed stably; derivative ``σ(x)``."""
        x = self.data
        return _result(sm.softplus(x), (self,), "softplus", (sm.sigmoid(x),))

    def mish(self) -> Value:
        """``x·tanh(softplus(x))``; derivative ``tanh(sp) + x·σ(x)·(1 − tanh²(sp))``."""
        x = self.data
        t = math.tanh(sm.softplus(x))
        local = t + x * sm.sigmoid(x) * (1.0 - t * t)
        return _result(x * t, (self,), "mish", (local,))

    def relu(self) -> Value:
        """``max(0, x)``; derivative 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""
        x = self.data
        if x > 0.0:
            return _result(x, (self,), "ReLU", (1.0,))
        return _result(x if x != x else 0.0, (self,), "ReLU", (0.0,))

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """``x`` for x > 0, else ``negative_slope·x``; derivative ``negative_slope`` at x ≤ 0."""
        x = self.data
        if x > 0.0:
            return _result(x, (self,), "LeakyReLU", (1.0,))
        return _result(negative_slope * x, (self,), "LeakyReLU", (negative_slope,))

    def abs(self) -> Value:
        """``|x|``; derivative ``sign(x)`` (0 at x = 0, as PyTorch)."""
        x = self.data
        return _result(abs(x), (self,), "abs", (sm.sign(x),))

    __abs__ = abs

    def sign(self) -> Value:
        """``sign(x)`` ∈ {−1, 0, 1}; its gradient is 0 everywhere (PyTorch's convention)."""
        return _result(sm.sign(self.data), (self,), "sign", (0.0,))

    def sin(self) -> Value:
        """``sin x``; derivative ``cos x``."""
        x = self.data
        return _result(sm.sin(x), (self,), "sin", (sm.cos(x),))

    def cos(self) -> Value:
        """``cos x``; derivative ``−sin x``."""
        x = self.data
        return _result(sm.cos(x), (self,), "cos", (-sm.sin(x),))


# ----------------------------------------------------------------------------
# Local derivatives as Values, for create_graph=True (second derivatives)
# ----------------------------------------------------------------------------
# Each rule is the same formula as the op's float local derivative above, written
# with Value operations so that differentiating it again is possible. Ops whose
# local derivative is constant (or piecewise constant: relu, abs, sign) reuse
# their float ``_local``: a number is exactly right there.


def _pow_locals(out: Value, a: Value, b: Value | None = None) -> tuple[Any, ...]:
    if b is None:
        if out._op != "**":  # a ** constant; "**" with one operand is constant ** a
            c = out._ctx
            return (0.0 if c == 0.0 else c * a ** (c - 1.0),)
        base = out._ctx  # c ** a: a is the exponent
        return (0.0 if base == 0.0 and a.data >= 0.0 else out * sm.log(base),)
    # b·a**(b−1) is 0 at b == 0 by itself (and still varies with b); only 0·inf needs care.
    da = 0.0 if b.data == 0.0 and a.data == 0.0 else b * a ** (b - 1.0)
    db = 0.0 if a.data == 0.0 and b.data >= 0.0 else out * a.log()
    return (da, db)


def _div_locals(out: Value, a: Value, b: Value | None = None) -> tuple[Any, ...]:
    if b is not None:
        return (1.0 / b, -out / b)
    if getattr(out, "_ctx", None) == "divisor":
        return (-out / a,)
    return out._local  # a / constant


def _mish_locals(out: Value, a: Value) -> tuple[Any, ...]:
    t = a.softplus().tanh()
    return (t + a * a.sigmoid() * (1.0 - t * t),)


_GRAPH_LOCALS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "*": lambda out, a, b=None: out._local if b is None else (b, a),
    "/": _div_locals,
    "**": _pow_locals,
    "exp": lambda out, a: (out,),
    "log": lambda out, a: (1.0 / a,),
    "sqrt": lambda out, a: (0.5 / out,),
    "tanh": lambda out, a: (1.0 - out * out,),
    "sigmoid": lambda out, a: (out * (1.0 - out),),
    "softplus": lambda out, a: (a.sigmoid(),),
    "mish": _mish_locals,
    "sin": lambda out, a: (a.cos(),),
    "cos": lambda out, a: (-a.sin(),),
}


def _graph_locals(node: Value) -> tuple[Any, ...]:
    """The local derivatives of ``node`` as Values (or exact numbers), aligned with ``_prev``."""
    op = node._op
    rule = _GRAPH_LOCALS.get(op)
    if rule is None and op.startswith("**"):
        rule = _pow_locals
    if rule is None:
        return node._local  # linear or piecewise-constant derivative: a number is exact
    return rule(node, *node._prev)
