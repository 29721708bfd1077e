"""Trace an op's rules into straight-line source: one definition, compiled for speed.

A scalar network is tens of thousands of tiny operations; calling an op's
``forward`` and ``derivative`` through the generic machinery would cost more
than the arithmetic. So, once per op, the rules are *traced*: evaluated on
:class:`Sym` symbols whose operators write Python source instead of computing
(``1 - out * out`` becomes ``t1 = out * out`` and ``t2 = 1.0 - t1``). The
``Value`` methods are then compiled from that source, exactly as fast as
hand-written ones, and the math still exists in one place only.

The same trace can be printed (:func:`value_source`) to see what an op
compiles to. A rule that cannot be traced (it branches on a value with
``if``, or calls a function outside ``m``) raises :class:`TraceError`; the
engine then evaluates that op generically (slower, same results).
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

from ._math import FLOAT_KERNELS, Masked, Namespace

__all__ = ["Sym", "TraceError", "Tracer", "compile_source"]


class TraceError(TypeError):
    """A rule did something that has no source form (e.g. ``if`` on a traced value)."""


def _literal(value: Any) -> str:
    if isinstance(value, Sym):
        return value.name
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(float(value))
    raise TraceError(f"cannot trace a constant of type {type(value).__name__}: {value!r:.40}")


class Sym:
    """A traced value: the name of a variable in the generated source."""

    __slots__ = ("name", "tracer")

    def __init__(self, tracer: Tracer, name: str) -> None:
        self.tracer = tracer
        self.name = name

    def _emit(self, template: str, *operands: Any) -> Sym:
        return self.tracer.emit(template.format(*(_literal(o) for o in operands)))

    def __add__(self, other: Any) -> Sym:
        return self._emit("{} + {}", self, other)

    def __radd__(self, other: Any) -> Sym:
        return self._emit("{} + {}", other, self)

    def __sub__(self, other: Any) -> Sym:
        return self._emit("{} - {}", self, other)

    def __rsub__(self, other: Any) -> Sym:
        return self._emit("{} - {}", other, self)

    def __mul__(self, other: Any) -> Sym:
        return self._emit("{} * {}", self, other)

    def __rmul__(self, other: Any) -> Sym:
        return self._emit("{} * {}", other, self)

    # Python's float division and power raise where IEEE gives inf or nan.
    def __truediv__(self, other: Any) -> Sym:
        return self._emit("_k_divide({}, {})", self, other)

    def __rtruediv__(self, other: Any) -> Sym:
        return self._emit("_k_divide({}, {})", other, self)

    def __pow__(self, other: Any) -> Sym:
        return self._emit("_k_power({}, {})", self, other)

    def __rpow__(self, other: Any) -> Sym:
        return self._emit("_k_power({}, {})", other, self)

    def __neg__(self) -> Sym:
        return self._emit("-{}", self)

    def __pos__(self) -> Sym:
        return self

    def __abs__(self) -> Sym:
        return self._emit("_k_abs({})", self)

    def __lt__(self, other: Any) -> Sym:
        return self._emit("{} < {}", self, other)

    def __le__(self, other: Any) -> Sym:
        return self._emit("{} <= {}", self, other)

    def __gt__(self, other: Any) -> Sym:
        return self._emit("{} > {}", self, other)

    def __ge__(self, other: Any) -> Sym:
        return self._emit("{} >= {}", self, other)

    def __eq__(self, other: Any) -> Sym:  # type: ignore[override]
        return self._emit("{} == {}", self, other)

    def __ne__(self, other: Any) -> Sym:  # type: ignore[override]
        return self._emit("{} != {}", self, other)

    def __and__(self, other: Any) -> Sym:
        return self._emit("({} and {})", self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Sym:
        return self._emit("({} or {})", self, other)

    __ror__ = __or__

    def __invert__(self) -> Sym:
        raise TraceError("use m.logical_not(c) rather than ~c (~True is -2 on Python bools)")

    def __bool__(self) -> bool:
        raise TraceError(
            "a rule branched on a traced value (if/and/or/while): write the choice with "
            "m.where(condition, a, b) or m.masked(condition, d) so it also works on arrays"
        )

    __hash__ = None  # type: ignore[assignment]


# Kernels short enough to write inline (a call costs more than the arithmetic); each is
# the same function as its FLOAT kernel, nan-propagating like np.maximum/np.minimum.
_INLINE = {
    "maximum": "{0} if {0} >= {1} or {0} != {0} else {1}",
    "minimum": "{0} if {0} <= {1} or {0} != {0} else {1}",
}


class _SymMasked(Masked):
    """``m.masked`` on symbols: kept apart so the generator can select instead of multiply."""


class Tracer:
    """Collects the statements of one generated function."""

    def __init__(self, prefix: str = "t") -> None:
        self.lines: list[str] = []
        self.prefix = prefix
        self.count = 0
        self.seen: dict[str, Sym] = {}  # expression -> its variable: common subexpressions once
        self.globals: dict[str, Any] = {f"_k_{k}": v for k, v in FLOAT_KERNELS.items()}

    def sym(self, name: str) -> Sym:
        return Sym(self, name)

    def emit(self, expression: str) -> Sym:
        known = self.seen.get(expression)
        if known is not None:
            return known
        name = f"{self.prefix}{self.count}"
        self.count += 1
        self.lines.append(f"{name} = {expression}")
        sym = self.seen[expression] = Sym(self, name)
        return sym

    def namespace(self, resolve_op: Callable[[Namespace, str], Any]) -> Namespace:
        """``m`` for tracing: kernels emit calls, other ops are traced inline."""
        ns = Namespace("SYM", resolve_op)
        tracer = self

        def kernel(name: str) -> Callable[..., Sym]:
            def call(*args: Any) -> Any:
                if not any(isinstance(a, Sym) for a in args):
                    return FLOAT_KERNELS[name](*args)  # constants fold
                operands = [_literal(a) for a in args]
                if name in _INLINE:
                    return tracer.emit(_INLINE[name].format(*operands))
                return tracer.emit(f"_k_{name}({', '.join(operands)})")

            return call

        for name in FLOAT_KERNELS:
            setattr(ns, name, kernel(name))
        ns.is_constant = lambda v: True  # compiled code is the first-order path
        ns.widen = lambda v: v  # Python floats are float64 already

        def where(condition: Any, a: Any, b: Any) -> Any:
            if not isinstance(condition, Sym):
                return a if condition else b
            return tracer.emit(f"{_literal(a)} if {_literal(condition)} else {_literal(b)}")

        def masked(condition: Any, d: Any) -> Any:
            if not isinstance(condition, Sym):
                return d if condition else None
            return _SymMasked(condition, d)

        def logical_not(condition: Any) -> Any:
            if not isinstance(condition, Sym):
                return not condition
            return tracer.emit(f"not {_literal(condition)}")

        ns.where = where
        ns.masked = masked
        ns.logical_not = logical_not
        return ns


def compile_source(source: str, filename: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute generated ``source`` in ``namespace``; register it so tracebacks show the lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def is_masked(value: Any) -> bool:
    """Whether a traced local derivative is a selection (``m.masked`` on a symbol)."""
    return isinstance(value, _SymMasked)
