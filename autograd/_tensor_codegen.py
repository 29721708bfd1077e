"""Compile an elementwise op's Tensor backward from its record, as the Value methods are.

``Tensor._vjp`` evaluates an elementwise op's ``derivative`` on ndarrays
through the generic machinery (the rule's adapter, the namespace ``m``, one
``Masked`` object per selection) and then multiplies by the upstream
gradient (``_times``). For the small tensors of a small network that
machinery costs more than the arithmetic. So, once per op, the rule is
traced (:mod:`autograd.ops._codegen`, the array dialect) into one
straight-line function per set of inputs that want a gradient::

    def relu_vjp_1(g, x0, out, P):        # compiled from relu's record
        d1 = x0 > 0.0
        return (_select_times(d1, g, 1.0),)     # _times(g, m.masked(d1, 1.0))

It performs the same numpy operations on the same operands as the generic
path (a test checks it bit for bit), skips the derivatives no input needs,
and is what both engines run (``_vjp`` in Python, the native walk in C).
The forward is compiled the same way (``f(I, P)``, one call instead of the
rule's adapter, the rule and the namespace lookups).
Ops whose rules cannot be traced, or whose parameters a rule could branch
on (a parameter without a numeric default), keep the generic path; but a
forward that is straight-line code over its arguments, calling kernels only
(``m.sum(x, axes, keepdims)``, ``m.linear(x, w, b)``), is compiled with its
parameters as opaque symbols: its bytecode shows it cannot branch on them.
A ``vjp`` rule (not an elementwise derivative) is compiled likewise, one
function per mask, when it is straight-line or has no parameters (then it
may branch on ``wants``, which each compiled function fixes); shapes trace
as ``x0.shape`` and ``t[-1]``::

    def sum_vjp_1(g, x0, out, P):          # compiled from sum's record
        p0 = P[0]
        p1 = P[1]
        t0 = x0.shape
        t1 = _k_unreduce(g, t0, p0)
        return (t1,)
"""

from __future__ import annotations

import dis
import re
from typing import Any

from .ops import Op, _codegen
from .ops._math import ARRAY_KERNELS, FLOAT_KERNELS
from .value import _prune, _resolve_inline

__all__ = [
    "array_forward_source",
    "array_generic_vjp_source",
    "array_vjp_source",
    "compile_array_forward",
    "compile_array_vjps",
]

_NAME = re.compile(r"\b(?:[tdxp]\d+|out)\b")


def _traceable(op: Op) -> bool:
    if op.derivative is None or op.variadic or "tensor" not in op.engines:
        return False
    for p in op.params:  # a rule may branch on a parameter (``if lo is None``): not traced
        default = op.defaults.get(p)
        if isinstance(default, bool) or not isinstance(default, int | float):
            return False
    return True


# What a rule's code may not contain for its parameters to be traced as opaque symbols:
# jumps (if, and/or, a conditional expression, loops), identity and membership tests, and
# any name but its arguments (globals, closures: a helper could branch on a parameter).
_OPAQUE_FORBIDDEN = frozenset(
    {"IS_OP", "CONTAINS_OP", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF",
     "LOAD_CLOSURE", "MAKE_FUNCTION", "GET_ITER", "FOR_ITER", "IMPORT_NAME"}
)
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)
# A vjp rule without parameters may loop and branch (on `wants`), but not look further.
_VJP_FORBIDDEN = _OPAQUE_FORBIDDEN - {"GET_ITER", "FOR_ITER"}


def _straight_line(rule: Any) -> bool:
    """Whether ``rule`` is straight-line code over its arguments alone (see above).

    Then tracing it with its parameters as symbols records exactly what it
    computes for every value of them: it cannot choose a path by a parameter
    (``lo is None``, ``if axes``) without one of the forbidden instructions.
    """
    code = getattr(rule, "__code__", None)
    if code is None or code.co_exceptiontable:
        return False
    for instruction in dis.get_instructions(code):
        if instruction.opcode in _JUMPS or instruction.opname in _OPAQUE_FORBIDDEN:
            return False
    return True


def _forward_traceable(op: Op) -> bool:
    """Whether ``op``'s forward can be compiled: as ``_traceable``, or any op whose forward is
    straight-line code calling only kernels (a parameter such as ``axes`` passed through)."""
    if _traceable(op):
        return True
    return not op.variadic and "tensor" in op.engines and _straight_line(op.forward)


def _vjp_traceable(op: Op) -> bool:
    """Whether ``op``'s ``vjp`` rule (not a local derivative) can be compiled per mask.

    With parameters, only straight-line code (see :func:`_straight_line`). Without,
    the rule may branch on ``wants`` (fixed for each compiled function) but not test
    identities or use names beyond its arguments; a branch on a traced value refuses.
    """
    if op.vjp is None or op.variadic or "tensor" not in op.engines:
        return False
    if op.params:
        return _straight_line(op.vjp)
    code = getattr(op.vjp, "__code__", None)
    if code is None or code.co_exceptiontable:
        return False
    return not any(
        # `x is None` compiles to a jump of its own (POP_JUMP_..._IF_NONE), not IS_OP
        i.opname in _VJP_FORBIDDEN or i.opname.endswith("_NONE")
        for i in dis.get_instructions(code)
    )


def _array_namespace(tracer: Any, opaque: bool) -> Any:
    """``m`` for tracing on ndarrays: every array kernel a call, ops inline unless ``opaque``."""
    namespace = tracer.namespace(_kernels_only if opaque else _resolve_inline)
    for name in ARRAY_KERNELS.keys() - FLOAT_KERNELS.keys():
        setattr(namespace, name, _kernel_call(tracer, name))
    return namespace


def _kernels_only(namespace: Any, name: str) -> Any:
    """``m.name`` for a rule traced with opaque parameters: kernels only, no op inline (its
    rule could branch on a parameter)."""
    raise _codegen.TraceError(f"m.{name}: only kernels are traced with opaque parameters")


def _data_dependent(lines: list[str]) -> set[str]:
    """The traced variables computed from the inputs or the output (ndarrays at run time)."""
    dependent = {f"x{i}" for i in range(8)} | {"out"}
    for line in lines:
        name, expression = line.split(" = ", 1)
        if any(n in dependent for n in _NAME.findall(expression)):
            dependent.add(name)
    return dependent


def _contribution(d: Any, dependent: set[str]) -> str:
    """Source of ``_times(g, d)`` for a traced local derivative ``d`` (``None``: no gradient)."""
    if d is None:
        return "None"
    if _codegen.is_masked(d):
        value = d.d
        v = value.name if isinstance(value, _codegen.Sym) else repr(value)
        return f"_select_times({d.condition.name}, g, {v})"
    if isinstance(d, _codegen.Sym):
        # an ndarray (or numpy scalar) at run time: _times multiplies; a derivative made of
        # parameters only is a Python number at run time, which _times may pass through
        return f"g * {d.name}" if d.name in dependent else f"_times(g, {d.name})"
    if type(d) is float:
        if d == 1.0:
            return "g"
        if d == -1.0:
            return "-g"
    return f"g * {d!r}"


def array_vjp_source(op: Op, mask: int) -> str:
    """The compiled backward of ``op`` for the inputs in ``mask`` (bit ``i``: input ``i``)."""
    n = len(op.inputs)
    tracer = _codegen.Tracer("t", _codegen.ARRAY)
    namespace = tracer.namespace(_resolve_inline)
    xs = tuple(tracer.sym(f"x{i}") for i in range(n))
    ps = tuple(tracer.sym(f"p{j}") for j in range(len(op.params)))
    tracer.prefix = "d"
    ds = op._derivative(namespace, xs, tracer.sym("out"), ps)
    dependent = _data_dependent(tracer.lines)
    parts = [_contribution(ds[i], dependent) for i in range(n) if mask >> i & 1]
    result = f"return ({', '.join(parts)},)"
    lines = _prune(list(tracer.lines), result)
    args = ", ".join([*(f"x{i}" for i in range(n)), "out", "P"])
    body = [*(f"p{j} = P[{j}]" for j in range(len(op.params))), *lines, result]
    return f"def {op.name}_vjp_{mask}(g, {args}):\n" + "\n".join(f"    {b}" for b in body) + "\n"


def array_generic_vjp_source(op: Op, mask: int) -> str:
    """The compiled ``vjp`` rule of ``op`` for the inputs in ``mask`` (see _vjp_traceable)."""
    n = len(op.inputs)
    tracer = _codegen.Tracer("t", _codegen.ARRAY)
    namespace = _array_namespace(tracer, opaque=bool(op.params))
    xs = tuple(tracer.sym(f"x{i}") for i in range(n))
    ps = tuple(tracer.sym(f"p{j}") for j in range(len(op.params)))
    wants = tuple(bool(mask >> i & 1) for i in range(n))
    cs = op._vjp(namespace, tracer.sym("g"), xs, tracer.sym("out"), ps, wants)
    parts = [
        "None" if cs[i] is None else _codegen._literal(cs[i], _codegen.ARRAY)
        for i in range(n)
        if wants[i]
    ]
    result = f"return ({', '.join(parts)},)"
    lines = _prune(list(tracer.lines), result)
    args = ", ".join([*(f"x{i}" for i in range(n)), "out", "P"])
    body = [*(f"p{j} = P[{j}]" for j in range(len(op.params))), *lines, result]
    return f"def {op.name}_vjp_{mask}(g, {args}):\n" + "\n".join(f"    {b}" for b in body) + "\n"


def array_forward_source(op: Op) -> str:
    """The compiled forward of ``op`` on ndarrays: ``f(I, P)``, as ``op._forward(ARRAY, I, P)``."""
    tracer = _codegen.Tracer("t", _codegen.ARRAY)
    if _traceable(op):
        namespace = tracer.namespace(_resolve_inline)
    else:  # parameters as opaque symbols; the array kernels as calls (reductions, linear, ...)
        namespace = _array_namespace(tracer, opaque=True)
    xs = tuple(tracer.sym(f"x{i}") for i in range(len(op.inputs)))
    ps = tuple(tracer.sym(f"p{j}") for j in range(len(op.params)))
    out = _codegen._literal(op._forward(namespace, xs, ps), _codegen.ARRAY)
    body = [
        *(f"x{i} = I[{i}]" for i in range(len(xs))),
        *(f"p{j} = P[{j}]" for j in range(len(ps))),
        *tracer.lines,
        f"return {out}",
    ]
    return f"def {op.name}_forward(I, P):\n" + "\n".join(f"    {b}" for b in body) + "\n"


def _kernel_call(tracer: Any, name: str) -> Any:
    def call(*args: Any) -> Any:
        return tracer.kernel(name, args)

    return call


def compile_array_forward(op: Op, namespace: dict[str, Any]) -> Any:
    """``op``'s forward compiled for ndarrays, or None (then ``op._forward`` serves)."""
    if not _forward_traceable(op):
        return None
    try:
        source = array_forward_source(op)
    except Exception:  # untraceable (or a rule that raises): the generic path runs the rule
        return None
    scope = dict(namespace)
    _codegen.compile_source(source, f"<autograd.ops {op.name}: Tensor forward>", scope)
    return scope[f"{op.name}_forward"]


def compile_array_vjps(op: Op, namespace: dict[str, Any]) -> tuple[Any, ...] | None:
    """One function per mask ``1 .. 2**n - 1`` (index = mask; index 0 is None), or None.

    ``namespace`` supplies ``_select_times``, ``_times`` and the ``_k_`` array kernels.
    """
    derivative = _traceable(op)
    if not derivative and not _vjp_traceable(op):
        return None
    n = len(op.inputs)
    functions: list[Any] = [None]
    write = array_vjp_source if derivative else array_generic_vjp_source
    try:
        for mask in range(1, 2**n):
            source = write(op, mask)
            scope = dict(namespace)
            _codegen.compile_source(source, f"<autograd.ops {op.name}: Tensor backward>", scope)
            functions.append(scope[f"{op.name}_vjp_{mask}"])
    except Exception:  # untraceable (or a rule that raises): the generic path runs the rule
        return None
    return tuple(functions)
