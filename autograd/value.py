"""The scalar :class:`Value` node, micrograd-compatible, on the shared backprop core.

Every operation of a Value (``+``, ``*``, ``tanh``, ...) is an op of the
registry (:mod:`autograd.ops`): its forward and local derivative are written
once there, and the methods below are compiled from them (one straight-line
function per op, see :func:`value_source`). A method computes the result and
the local derivatives ``∂out/∂operand`` as plain floats, stored in ``_local``
aligned with ``_prev``; backward multiplies them by the upstream gradient.
No closure is stored, so a graph holds no reference cycles and is freed by
reference counting as soon as nothing refers to its output.

A node's storage (``data``, ``grad``, ``label`` and the graph fields) is a
base class: :class:`_ValueStorage` here in Python, or, when the native
extension is built (see :mod:`autograd._backend`), its C twin
``autograd._native.ValueNode``, which also carries the ops compiled to C from
the same records (:mod:`autograd._cgen`) and which the cyclic garbage
collector need not track.

Conventions at non-differentiable points follow PyTorch (pinned by tests):
``relu'(0) = 0``, ``|x|'(0) = 0``, ``leaky_relu'(0) = negative_slope``,
``sign' = 0``, ``d/dx x**0 = 0``, ``d/dy x**y = 0`` where ``x == 0`` and
``y ≥ 0``. Such zeros are exact (the gradient is selected, not multiplied):
an infinite upstream gradient through them gives 0, not ``nan``. Outside a
function's domain the result is ``nan`` and at its edge the limit
(``log(0) = -inf``, ``1/0 = inf``), never an exception or a complex number.
"""

from __future__ import annotations

import functools
import hashlib
import numbers
import re
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._backend import native
from ._core import UNREACHED, _accumulate, _state, backward
from .ops import _codegen
from .ops._math import FLOAT, NODE, Masked
from .ops._record import _ENGINE_HOOKS, REGISTRY, Op

__all__ = ["Value", "value_source"]


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


def _other_data(x: Any) -> Any:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return x
    return NotImplemented


class _ValueStorage:
    """A Value node's storage, in Python: the reference the native ``ValueNode`` mirrors.

    ``data`` (a float), ``grad``, ``label`` and the graph fields the core and
    the compiled ops read: ``_prev`` (the parents), ``_op`` (the Op record, a
    ``str`` equal to its label), ``_local`` (the local derivatives, ``()``
    where masked, or ``None``: ask ``_vjp``), ``_ctx`` (``None``, the operands
    and parameters, or a hand-written ``_backward``) and ``_scope``.
    """

    __slots__ = ("_ctx", "_local", "_op", "_prev", "_scope", "data", "grad", "label")
    _ctx: Any  # None, the constants and parameters (op nodes) or a hand-written _backward
    _local: Any  # the local derivatives (floats), () where masked, or None: ask _vjp

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
        # micrograd's signature: children and an op name. Such a hand-built node
        # passes gradient only through a ``_backward`` the caller assigns.
        self._prev = tuple(_children)
        for child in self._prev:
            if not isinstance(child, Value):
                raise TypeError(
                    f"Value's children must be Values, got {type(child).__name__} {child!r:.40}"
                )
        self._op = str(_op)
        self._local = None if self._prev else ()
        self._ctx = None
        self._scope = _state.scope


if TYPE_CHECKING:
    _Storage = _ValueStorage
else:
    _Storage = _ValueStorage if native is None else native.ValueNode


class Value(_Storage):
    """A scalar that records the operations applied to it.

    ``Value(data, label="")`` holds ``data`` (a float) and ``grad`` (a float,
    ∂L/∂self after ``L.backward()``). It accepts ``int``, ``float``, numpy
    scalars and 0-d arrays (stored as a Python float) and ``bool``
    (``True → 1.0``, ``False → 0.0``); anything else is a ``TypeError``.

    The API is micrograd's: ``+ - * / **`` with numbers on either side, unary
    minus, ``relu()``, ``backward()``, ``_prev`` (the operands, an ordered
    tuple), ``_op`` and ``_backward``. Beyond it: ``Value ** Value`` and every
    function of the op registry (``exp log log1p sqrt tanh sigmoid relu
    leaky_relu softplus mish abs sign sin cos tan``). Python numbers in an
    expression are constants: no node, no gradient. Comparisons
    (``< <= > >= == !=``) compare ``.data`` and return a bool; hashing stays
    by identity, so Values still work in sets and as dict keys.

    Example (micrograd's README)::

        a = Value(-4.0); b = Value(2.0)
        c = a + b; d = a * b + b**3
        ...
        g.backward()        # a.grad == 138.8338..., b.grad == 645.5773...

    ``backward()`` accumulates: calling it twice doubles every ``.grad``, as in
    PyTorch. Call ``zero_grad`` on the model (or set ``.grad = 0``) between
    steps.

    A node built micrograd's way, ``out = Value(math.exp(x), (self,), 'exp')``
    with ``out._backward = fn`` (``fn`` reads ``out.grad`` and adds into the
    operands' ``.grad``), takes part in backward like any other. It has no
    second derivative (``create_graph=True`` raises), and, as in micrograd,
    ``fn`` refers to ``out``: a reference cycle that only the cyclic garbage
    collector frees. :func:`autograd.define_op` defines an op once instead,
    with first and second derivatives and no cycle.
    """

    __slots__ = ()  # the storage is the base class's
    __array_ufunc__ = None  # numpy defers to Value's reflected operators
    _requires_grad = True

    # -- the node protocol --------------------------------------------------

    def _vjp(self, grad: float) -> tuple[Any, ...]:
        """Each operand's contribution ``∂self/∂operand · grad`` (``None``: no gradient)."""
        local = self._local
        if local is not None and len(local) == len(self._prev):
            return tuple([d * grad for d in local])
        op = self._op
        if type(op) is Op:
            # A masked local derivative: the operand gets an exact 0.0, whatever grad is.
            inputs, params = _inputs_params(self)
            data = [a.data if isinstance(a, Value) else a for a in inputs]
            ds = op._value_locals(*data, self.data, *params)
            return tuple(
                [0.0 if d is None else d * grad for a, d in zip(inputs, ds) if isinstance(a, Value)]
            )
        return _handwritten_vjp(self, grad)

    def _vjp_graph(self, grad: Value) -> tuple[Any, ...]:
        """The contributions as recorded Values: the op's derivative evaluated on nodes."""
        op = self._op
        if type(op) is not Op:
            if not self._prev:
                return ()
            raise RuntimeError(
                f"backward(create_graph=True) reached a node built micrograd's way ({op!r}, "
                "with a hand-written _backward): it has no second derivative. Define the "
                "operation once with autograd.define_op(name, forward, derivative) to get one."
            )
        inputs, params = _inputs_params(self)
        # Constants become numpy scalars so that the rule's arithmetic on them is IEEE
        # (1/0 = inf) instead of raising, as Python floats would.
        node_inputs = tuple(a if isinstance(a, Value) else np.float64(a) for a in inputs)
        ds = op._derivative(NODE, node_inputs, self, params)
        out = []
        for a, d in zip(inputs, ds):
            if not isinstance(a, Value):
                continue
            if d is None:
                out.append(Value(0.0))  # selected: an exact zero, also under create_graph
            elif type(d) is float and d == 1.0:
                out.append(grad)
            else:
                out.append(d * grad)
        return tuple(out)

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
            backward((self,), (Value(grad),), create_graph=True)  # warns: see _core.backward
        else:
            backward((self,), (_as_float(grad),))

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: add ``∂self/∂operand · self.grad`` into each operand's grad.

        Calling the steps by hand in reverse topological order is backprop
        done node by node, as in micrograd's lecture. Assigning a function
        makes this a hand-built node (see the class docstring).
        """
        fn = self._ctx
        if type(self._op) is not Op and callable(fn):
            return fn
        if not self._prev:
            return _no_step

        def step() -> None:
            for parent, contribution in zip(self._prev, self._vjp(self.grad)):
                if contribution is not None:
                    parent.grad += contribution

        return step

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        if not callable(fn):
            raise TypeError(f"_backward must be a function of no arguments, got {fn!r:.40}")
        self._op = str(self._op)  # from now on a hand-built node: the record no longer applies
        self._local = None
        self._ctx = fn

    # -- public node attributes ---------------------------------------------

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
        """Every operand of the operation in order: Values and constants (Python floats)."""
        if type(self._op) is Op and self._ctx is not None:
            return _inputs_params(self)[0]
        return self._prev

    @property
    def params(self) -> dict[str, Any]:
        """The operation's parameters by name (``{"negative_slope": 0.01}``), else ``{}``."""
        op = self._op
        if type(op) is not Op or not op.params:
            return {}
        return dict(zip(op.params, _inputs_params(self)[1]))

    @property
    def local_grads(self) -> tuple[float, ...]:
        """Local derivatives ``∂self/∂operand`` at the current values, aligned with ``parents``."""
        local = self._local
        if local is not None and len(local) == len(self._prev):
            return local
        if type(self._op) is Op:
            inputs, params = _inputs_params(self)
            ds = self._op._value_locals(
                *[a.data if isinstance(a, Value) else a for a in inputs], self.data, *params
            )
            return tuple(
                0.0 if d is None else d for a, d in zip(inputs, ds) if isinstance(a, Value)
            )
        return tuple(0.0 for _ in self._prev)

    @property
    def scope(self) -> tuple[str, ...]:
        """The name scope (``nn`` module path) active when this node was created."""
        return self._scope

    def item(self) -> float:
        """Return ``data`` (mirrors ``Tensor.item()``)."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __pos__(self) -> Value:
        return self

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # -- comparisons: on .data, as PyTorch's scalars; hashing stays by identity ----

    def __lt__(self, other: Any) -> bool:
        o = _other_data(other)
        return NotImplemented if o is NotImplemented else self.data < o

    def __le__(self, other: Any) -> bool:
        o = _other_data(other)
        return NotImplemented if o is NotImplemented else self.data <= o

    def __gt__(self, other: Any) -> bool:
        o = _other_data(other)
        return NotImplemented if o is NotImplemented else self.data > o

    def __ge__(self, other: Any) -> bool:
        o = _other_data(other)
        return NotImplemented if o is NotImplemented else self.data >= o

    def __eq__(self, other: object) -> bool:
        o = _other_data(other)
        return NotImplemented if o is NotImplemented else self.data == o

    def __ne__(self, other: object) -> bool:
        o = _other_data(other)
        return NotImplemented if o is NotImplemented else self.data != o

    __hash__ = object.__hash__

    if TYPE_CHECKING:  # compiled from the op registry below

        def __add__(self, other: Any) -> Value: ...
        def __radd__(self, other: Any) -> Value: ...
        def __sub__(self, other: Any) -> Value: ...
        def __rsub__(self, other: Any) -> Value: ...
        def __mul__(self, other: Any) -> Value: ...
        def __rmul__(self, other: Any) -> Value: ...
        def __truediv__(self, other: Any) -> Value: ...
        def __rtruediv__(self, other: Any) -> Value: ...
        def __pow__(self, other: Any) -> Value: ...
        def __rpow__(self, other: Any) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def log1p(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def leaky_relu(self, negative_slope: float = 0.01) -> Value: ...
        def softplus(self) -> Value: ...
        def mish(self) -> Value: ...
        def abs(self) -> Value: ...
        def sign(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def tan(self) -> Value: ...


_new = Value.__new__  # object.__new__, or the extension's allocator (an untracked node)


def _no_step() -> None:
    """A leaf's ``_backward``: nothing to propagate (micrograd's ``lambda: None``)."""


def _inputs_params(node: Value) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """An op node's operands (Values and constants, in order) and parameter values."""
    ctx = node._ctx
    if ctx is None:
        return node._prev, ()
    n = len(node._op.inputs)  # type: ignore[attr-defined]  # an Op when _ctx is set
    return ctx[:n], ctx[n:]


def _handwritten_vjp(node: Value, grad: float) -> tuple[Any, ...]:
    """Run a micrograd-style ``_backward`` and report what it added as contributions."""
    prev = node._prev
    fn = node._ctx
    if fn is None:
        return (None,) * len(prev)
    before = []
    for parent in prev:
        if parent.grad is UNREACHED:
            parent.grad = 0.0
        before.append(parent.grad)
    fn()
    contributions: list[Any] = []
    seen: set[int] = set()
    for parent, old in zip(prev, before):
        if id(parent) in seen:
            contributions.append(None)
            continue
        seen.add(id(parent))
        contributions.append(parent.grad - old)
        parent.grad = old  # the core adds the contribution back (and traces it)
    return tuple(contributions)


# ----------------------------------------------------------------------------
# Compiling the registry's elementwise ops into Value methods
# ----------------------------------------------------------------------------
# For each op and each way its operands can be Values (n: a node) or Python
# numbers (c: a constant), trace forward and derivative into straight-line code:
#
#     def tanh(a0):                      # compiled from tanh's record
#         x0 = a0.data
#         t0 = _k_tanh(x0)
#         node = _new(Value); node.data = t0; ...
#         if _state.grad_enabled:
#             d0 = t0 * t0; d1 = 1.0 - d0
#             node._prev = (a0,); node._op = _OP; node._local = (d1,); ...


def _trace(
    op: Op, kinds: str, dialect: _codegen.Dialect = _codegen.PYTHON, tracer: Any = None
) -> tuple[list[str], str, list[str], list[Any]]:
    """Trace ``op`` on inputs ``x0, x1`` and params ``p0, ..``: forward lines, out, derivative."""
    tracer = tracer or _codegen.Tracer("t", dialect)
    namespace = tracer.namespace(_resolve_inline)
    xs = [tracer.sym(f"x{i}") for i in range(len(kinds))]
    ps = [tracer.sym(f"p{j}") for j in range(len(op.params))]
    out = op._forward(namespace, tuple(xs), tuple(ps))
    forward_lines, out_src = list(tracer.lines), _codegen._literal(out, dialect)
    tracer.lines, tracer.prefix = [], "d"
    ds = op._derivative(namespace, tuple(xs), out, tuple(ps))
    return forward_lines, out_src, list(tracer.lines), list(ds)


def _resolve_inline(namespace: Any, name: str) -> Any:
    """``m.sigmoid`` inside a traced rule: trace sigmoid's own forward inline."""
    op = REGISTRY.get(name)
    if op is None:
        raise _codegen.TraceError(f"m.{name} is neither a kernel nor a registered op")
    return op.evaluator(namespace)


def _local_parts(
    d: Any, dialect: _codegen.Dialect = _codegen.PYTHON
) -> tuple[str, str | None]:
    """``(derivative source, condition source or None)``; ``("", None)`` for no gradient."""
    if d is None:
        return "", None
    if _codegen.is_masked(d):
        return _codegen._literal(d.d, dialect), _codegen._literal(d.condition, dialect)
    return _codegen._literal(d, dialect), None


_NAME = re.compile(r"\b[td]\d+\b")


def _prune(lines: list[str], uses: str) -> list[str]:
    """Drop traced statements nothing in ``uses`` depends on (a constant's unused derivative)."""
    needed = set(_NAME.findall(uses))
    kept = []
    for line in reversed(lines):
        name, expression = line.split(" = ", 1)
        if name in needed:
            kept.append(line)
            needed.update(_NAME.findall(expression))
    return kept[::-1]


def _local_expression(parts: list[tuple[str, str | None]]) -> str:
    """What ``node._local`` is set to: the derivatives, ``()`` or ``None`` where one is masked.

    A masked derivative is an exact zero (selected: an infinite upstream
    gradient stays 0). One operand: ``()``, so the fast path adds nothing, which
    for a Value is exactly adding 0.0; ``_vjp`` (the trace path) reports the
    0.0. Two operands: ``None``, and the core asks ``_vjp``.
    """
    if len(parts) == 1:
        ((src, cond),) = parts
        if not src:
            return "()"
        return f"({src},)" if cond is None else f"({src},) if {cond} else ()"
    if any(not src for src, _ in parts):
        return "None"
    conds = [c for _, c in parts if c is not None]
    entries = f"({', '.join(src for src, _ in parts)})"
    return entries if not conds else f"{entries} if {' and '.join(conds)} else None"


def _variant_body(op: Op, kinds: str) -> list[str]:
    """The body of one variant; ``kinds`` has 'n' (a Value ``a<i>``) or 'c' (a float) per input."""
    forward_lines, out_src, derivative_lines, ds = _trace(op, kinds)
    nodes = [i for i, k in enumerate(kinds) if k == "n"]
    local = _local_expression([_local_parts(ds[i]) for i in nodes])
    derivative_lines = _prune(derivative_lines, local)
    params = [f"p{j}" for j in range(len(op.params))]
    operands = [f"a{i}" for i in range(len(kinds))]
    all_nodes = len(nodes) == len(kinds)
    ctx = "None" if all_nodes and not params else f"({', '.join(operands + params)},)"
    return [
        *(f"x{i} = a{i}.data" if k == "n" else f"x{i} = a{i}" for i, k in enumerate(kinds)),
        *forward_lines,
        "node = _new(Value)",
        f"node.data = {out_src}",
        "node.grad = 0.0",
        'node.label = ""',
        "if _state.grad_enabled:",
        *(f"    {line}" for line in derivative_lines),
        f"    node._prev = ({', '.join(f'a{i}' for i in nodes)},)",
        "    node._op = _OP",
        f"    node._local = {local}",
        f"    node._ctx = {ctx}",
        "    node._scope = _state.scope",
        "else:",
        "    node._prev = ()",
        '    node._op = ""',
        "    node._local = ()",
        "    node._ctx = None",
        "    node._scope = ()",
        "return node",
    ]


def _locals_body(op: Op) -> list[str]:
    """Local derivatives with masks resolved (``None`` where exactly zero): the slow path."""
    kinds = "n" * len(op.inputs)
    forward_lines, _out_src, derivative_lines, ds = _trace(op, kinds)
    entries = []
    for d in ds:
        src, cond = _local_parts(d)
        if not src:
            entries.append("None")
        else:
            entries.append(src if cond is None else f"({src} if {cond} else None)")
    result = f"return ({', '.join(entries)},)"
    # The derivative may reuse the forward's temporaries (common subexpressions): recompute them.
    return [*_prune([*forward_lines, *derivative_lines], result), result]


def _block(lines: list[str], spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in lines)


def value_source(op: Op) -> str:
    """The Python source compiled for ``op``'s Value methods: read it to see what an op becomes."""
    n = len(op.inputs)
    xs = ", ".join(f"x{i}" for i in range(n))
    params = "".join(f", p{j}" for j in range(len(op.params)))
    signature = "".join(
        f", {p}={op.defaults[p]!r}" if p in op.defaults else f", {p}" for p in op.params
    )
    prologue = [f"p{j} = _as_param({p}, {op.name!r}, {p!r})" for j, p in enumerate(op.params)]
    locals_fn = (
        f"def {op.name}_locals({xs}, out{params}):\n{_block(_locals_body(op), 4)}\n"
    )
    if n == 1:
        return (
            f"def {op.name}(a0{signature}):\n{_block(prologue + _variant_body(op, 'n'), 4)}\n\n"
            + locals_fn
        )
    return (
        f"def {op.name}(a0, a1{signature}):\n"
        f"{_block(prologue, 4)}\n"
        "    if type(a1) is Value or isinstance(a1, Value):\n"
        f"{_block(_variant_body(op, 'nn'), 8)}\n"
        "    a1 = _as_float(a1)\n"
        f"{_block(_variant_body(op, 'nc'), 4)}\n\n"
        f"def {op.name}_reflected(a1, a0{signature}):\n"
        f"{_block(prologue, 4)}\n"
        "    a0 = _as_float(a0)\n"
        f"{_block(_variant_body(op, 'cn'), 4)}\n\n" + locals_fn
    )


def _as_param(value: Any, op_name: str, name: str) -> float:
    try:
        return _as_float(value)
    except TypeError:
        raise TypeError(f"{op_name}: {name} must be a real number, got {value!r:.40}") from None


def _compile_value_op(op: Op) -> None:
    """Give ``op`` its Value implementation: compiled from its rules, else generic."""
    try:
        source = value_source(op)
    except _codegen.TraceError:
        _use_generic(op)
        return
    except Exception as error:
        raise TypeError(
            f"op {op.name!r}: evaluating its rules to compile them for Value raised "
            f"{type(error).__name__}: {error}"
        ) from error
    namespace = dict(
        Value=Value,
        _new=_new,
        _state=_state,
        _OP=op,
        _as_float=_as_float,
        _as_param=_as_param,
        **_codegen.Tracer().globals,
    )
    _codegen.compile_source(source, f"<autograd.ops {op.name}: compiled for Value>", namespace)
    op._value_source = source
    op._value_locals = namespace[f"{op.name}_locals"]
    forward = namespace[op.name]
    if len(op.inputs) == 1:
        op._value_call = forward
        op._value_methods = {op.method: forward} if op.method else {}
        return
    reflected = namespace[f"{op.name}_reflected"]

    def call(a: Any, b: Any, *params: Any) -> Any:
        return forward(a, b, *params) if isinstance(a, Value) else reflected(b, a, *params)

    op._value_call = call
    if op.method and op.method.startswith("__"):
        op._value_methods = {op.method: forward, "__r" + op.method[2:]: reflected}
    else:
        op._value_methods = {op.method: call} if op.method else {}


def _use_generic(op: Op) -> None:
    """An op whose rules do not trace: evaluated on numpy float64 scalars (slower, same math)."""
    forward, derivative, n = op._forward, op._derivative, len(op.inputs)

    def locals_(*args: Any) -> tuple[Any, ...]:
        xs, out, params = args[:n], args[n], args[n + 1 :]
        with np.errstate(all="ignore"):
            ds = derivative(FLOAT, tuple(np.float64(x) for x in xs), np.float64(out), params)
        resolved = []
        for d in ds:
            if isinstance(d, Masked):
                d = d.d if d.condition else None
            resolved.append(None if d is None else float(d))
        return tuple(resolved)

    def call(*args: Any) -> Value:
        inputs = args[:n]
        params = tuple(_as_param(p, op.name, q) for p, q in zip(args[n:], op.params))
        data = [a.data if isinstance(a, Value) else _as_float(a) for a in inputs]
        with np.errstate(all="ignore"):
            out = float(forward(FLOAT, tuple(np.float64(x) for x in data), params))
        node = _new(Value)
        node.data, node.grad, node.label = out, 0.0, ""
        if _state.grad_enabled:
            ds = locals_(*data, out, *params)
            local = tuple(d for a, d in zip(inputs, ds) if isinstance(a, Value))
            node._prev = tuple(a for a in inputs if isinstance(a, Value))
            node._op = op
            node._local = None if None in local else local
            node._ctx = (*inputs, *params)
            node._scope = _state.scope
        else:
            node._prev, node._op, node._local, node._ctx, node._scope = (), "", (), None, ()
        return node

    op._value_call = call
    op._value_locals = locals_
    op._value_source = None
    methods: dict[str, Callable[..., Any]] = {}
    if op.method:
        methods[op.method] = call
        if n == 2 and op.method.startswith("__"):
            methods["__r" + op.method[2:]] = lambda self, other: call(other, self)
    op._value_methods = methods


def _install(op: Op) -> None:
    """Compile a new op for Value and attach its methods (``tanh``, ``__add__``/``__radd__``).

    With the native extension, an op it was built with (same fingerprint) runs
    in C: the Python methods are compiled all the same (``_value_locals``, the
    slow paths, :func:`value_source`) but not attached.
    """
    if "value" not in op.engines:
        return
    _compile_value_op(op)
    if native is not None and _bind_native(op):
        return
    for name, fn in op._value_methods.items():
        setattr(Value, name, fn)


def apply(op: Op, inputs: tuple[Any, ...], params: tuple[Any, ...]) -> Any:
    """Apply an elementwise op to Value operands (``Op.__call__`` and ``create_graph``)."""
    return op._value_call(*inputs, *params)


# ----------------------------------------------------------------------------
# The native ops (autograd/_native.c, generated by autograd/_cgen.py)
# ----------------------------------------------------------------------------

NATIVE_GENERATOR_VERSION = "1"  # bump when autograd/_cgen.py writes other C for the same op
_NATIVE_SPECS: dict[str, tuple[str, str]] = {} if native is None else native.native_ops()
_native_stale: list[str] = []


def native_fingerprint(op: Op) -> str:
    """A hash of what ``op`` compiles to: a native op is used only while its fingerprint matches.

    So a build made for other rules (an op changed, the extension not rebuilt)
    never computes an old formula: that op runs in Python instead.
    """
    text = f"{NATIVE_GENERATOR_VERSION}\n{op.name}\n{op.method}\n{op.params}\n{value_source(op)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _bind_native(op: Op) -> bool:
    """Use the C implementation of ``op`` if this build has it, for these very rules."""
    assert native is not None
    spec = _NATIVE_SPECS.get(op.name)
    if spec is None or spec[0] != op.method:
        return False
    if spec[1] != native_fingerprint(op):
        native.bind_op(op.name, None)
        _native_stale.append(op.name)
        return False
    native.bind_op(op.name, op)
    for name in op._value_methods:
        if name in vars(Value):  # uncover the C method a Python one replaced earlier
            delattr(Value, name)
    op._value_call = functools.partial(native.call_op, op.name)
    op._value_methods = {name: getattr(Value, name) for name in op._value_methods}
    return True


if native is not None:
    native.register(
        value_type=Value,
        unreached=UNREACHED,
        as_float=_as_float,
        as_param=_as_param,
        accumulate=_accumulate,
    )

for _op in list(REGISTRY.values()):
    _install(_op)
_ENGINE_HOOKS.append(_install)
if native is None or "abs" not in _NATIVE_SPECS or "abs" in _native_stale:
    Value.__abs__ = Value.abs  # type: ignore[method-assign]  # (else: the C type's abs slot)
if _native_stale:
    warnings.warn(
        "autograd: the C extension was built for other rules of the ops "
        f"{', '.join(_native_stale)} (rebuild it with pip install -e .); they run in Python",
        RuntimeWarning,
        stacklevel=2,
    )
