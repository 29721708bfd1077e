"""The ONNX graph builder behind :mod:`autograd.onnx`: symbols, the op table and op formulas.

A :class:`Symbol` is one value of the ONNX graph being built: its name, static
shape and dtype. :meth:`Graph.apply` turns one op of the registry applied to
symbols into ONNX nodes, in one of two ways:

* the op's entry in the exporter's op table (:mod:`autograd._onnx_ops`),
  written with the idiomatic ONNX operators (``linear`` → ``Gemm``, ``softmax`` → ``Softmax``, …);
* its *formula*: the op's own ``forward`` from the registry, evaluated in an
  ONNX namespace (:class:`OnnxNamespace`), where ``m.exp(x)`` emits an ``Exp``
  node and ``x * y`` a ``Mul``. That is how ``var`` is exported, how ops that
  onnxruntime implements for float32 only (``LeakyRelu``, ``Softplus``,
  ``Mish``) are exported in float64, and how an op you define yourself with
  ``define_op`` is exported with no further code, as long as its forward uses
  ``m``'s functions (anything else is refused with the op's name).

Shapes and dtypes of intermediate symbols are found by running the same
numpy kernels on zeros of the operands' shapes, so every promotion rule
(float32 stays float32 next to a Python number, float32 with a float64 array
is float64) is numpy's own: float operands are cast to the result's dtype,
exactly as numpy does before it computes.

onnx is imported by the caller (:mod:`autograd.onnx`) and handed in: this
module imports nothing beyond numpy and the registry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._tensor_args import index_key
from .ops import ARRAY, REGISTRY, Op

__all__ = ["BOOL", "FORMULA", "Emitter", "Graph", "OnnxNamespace", "Symbol", "UnsupportedOpError"]
BOOL = np.dtype(np.bool_)
FLOAT64 = np.dtype(np.float64)


class UnsupportedOpError(NotImplementedError):
    """An op of the traced graph that has no ONNX form; the message names the op."""


class Symbol:
    """One value of the ONNX graph being built: ``name``, static ``shape`` and ``dtype``.

    Python's operators on symbols emit ONNX nodes (``x * y`` → ``Mul``,
    ``x > 0`` → ``Greater``), so an op's forward formula written against the
    math namespace ``m`` builds its own ONNX subgraph. ``const`` holds the
    array when the symbol is a constant (an initializer). A symbol has no
    values: Python control flow on it (``if x > 0``) and numpy functions
    applied to it raise ``TypeError``, which the exporter reports.
    """

    __slots__ = ("const", "dtype", "graph", "name", "shape")
    __array_ufunc__ = None  # numpy's ufuncs must not try to treat a symbol as an array

    def __init__(
        self,
        graph: Graph,
        name: str,
        shape: tuple[int, ...],
        dtype: np.dtype,
        const: np.ndarray | None = None,
    ) -> None:
        self.graph = graph
        self.name = name
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.const = const

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d symbol")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"Symbol({self.name!r}, shape={self.shape}, dtype={self.dtype})"

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(
            "a numpy function was applied to a graph value; an op's forward must use the "
            "math namespace m (m.exp, m.where, ...) to be exported"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "Python control flow on a graph value (an `if` or `and` on an array); "
            "use m.where to select"
        )

    # arithmetic: the registry's ops, so each is exported like the op itself
    def _op(self, name: str, *operands: Any) -> Symbol:
        return self.graph.apply(REGISTRY[name], operands, {})

    def __add__(self, other: Any) -> Symbol:
        return self._op("add", self, other)

    def __radd__(self, other: Any) -> Symbol:
        return self._op("add", other, self)

    def __sub__(self, other: Any) -> Symbol:
        return self._op("sub", self, other)

    def __rsub__(self, other: Any) -> Symbol:
        return self._op("sub", other, self)

    def __mul__(self, other: Any) -> Symbol:
        return self._op("mul", self, other)

    def __rmul__(self, other: Any) -> Symbol:
        return self._op("mul", other, self)

    def __truediv__(self, other: Any) -> Symbol:
        return self._op("div", self, other)

    def __rtruediv__(self, other: Any) -> Symbol:
        return self._op("div", other, self)

    def __pow__(self, other: Any) -> Symbol:
        return self._op("pow", self, other)

    def __rpow__(self, other: Any) -> Symbol:
        return self._op("pow", other, self)

    def __matmul__(self, other: Any) -> Symbol:
        return self._op("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Symbol:
        return self._op("matmul", other, self)

    def __neg__(self) -> Symbol:
        return self._op("neg", self)

    def __pos__(self) -> Symbol:
        return self

    # comparisons and logic: boolean symbols
    def __lt__(self, other: Any) -> Symbol:
        return self.graph.compare("Less", self, other)

    def __le__(self, other: Any) -> Symbol:
        return self.graph.compare("LessOrEqual", self, other)

    def __gt__(self, other: Any) -> Symbol:
        return self.graph.compare("Greater", self, other)

    def __ge__(self, other: Any) -> Symbol:
        return self.graph.compare("GreaterOrEqual", self, other)

    def __eq__(self, other: object) -> Symbol:  # type: ignore[override]
        return self.graph.compare("Equal", self, other)

    def __ne__(self, other: object) -> Symbol:  # type: ignore[override]
        return self.graph.logical("Not", self.graph.compare("Equal", self, other))

    __hash__ = object.__hash__

    def __and__(self, other: Any) -> Symbol:
        return self.graph.logical("And", self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Symbol:
        return self.graph.logical("Or", self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Symbol:
        return self.graph.logical("Xor", self, other)

    __rxor__ = __xor__

    def __invert__(self) -> Symbol:
        return self.graph.logical("Not", self)

    def __getitem__(self, index: Any) -> Symbol:
        items = index if isinstance(index, tuple) else (index,)
        if any(isinstance(item, Symbol) for item in items):
            raise TypeError("indexing with a computed (graph) index is not exported")
        key, accumulate = index_key(index)
        return self.graph.apply(REGISTRY["getitem"], (self,), {"index": key,
                                                               "accumulate": accumulate})


def _zeros_like(x: Any) -> Any:
    """The stand-in a numpy kernel sees for an operand when inferring a result's shape and dtype."""
    if isinstance(x, Symbol):
        return x.const if x.const is not None else np.zeros(x.shape, x.dtype)
    if isinstance(x, list | tuple):
        return type(x)(_zeros_like(item) for item in x)
    return x


class Graph:
    """Collects ONNX nodes and initializers; names every value uniquely and deterministically.

    ``onnx`` is the imported ``onnx`` package, ``emitters`` the op table
    (registry op name → emitter, or :func:`FORMULA`). ``scope`` (the traced node's
    ``nn`` module path) prefixes node names; ``prefix`` (the traced op and
    its number, e.g. ``"linear0"``) prefixes value names, so a value reads
    ``linear0/Gemm`` and its node ``MLP/layers/Linear0/linear0/Gemm``.
    """

    def __init__(self, onnx: Any, emitters: dict[str, Emitter], taken: Sequence[str] = ()) -> None:
        self.onnx = onnx
        self.emitters = emitters
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.taken: set[str] = set(taken)
        self.prefix = ""
        self.scope = ""
        self.formulas = False  # export every op through its forward formula (tests)
        self._constants: dict[tuple[Any, ...], Symbol] = {}

    # -- names, constants, nodes -------------------------------------------------

    def fresh(self, base: str) -> str:
        """``base``, or ``base_1``, ``base_2``, … : a value name not used yet."""
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def _value_name(self, what: str) -> str:
        return self.fresh(f"{self.prefix}/{what}" if self.prefix else what)

    def initializer(self, array: np.ndarray, name: str) -> Symbol:
        """Add ``array`` as an initializer named ``name`` (already unique) and return its symbol."""
        array = np.asarray(array)
        contiguous = array if array.flags.c_contiguous else array.copy(order="C")
        tensor = self.onnx.numpy_helper.from_array(contiguous, name)  # 0-d stays 0-d
        self.initializers.append(tensor)
        return Symbol(self, name, array.shape, array.dtype, const=array)

    def const(self, value: Any, dtype: Any = None, hint: str = "const") -> Symbol:
        """A constant (an initializer), shared by every use of equal contents."""
        array = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        found = self._constants.get(key)
        if found is None:
            found = self.initializer(array, self._value_name(hint))
            self._constants[key] = found
        return found

    def ints(self, values: Sequence[int], hint: str) -> Symbol:
        """An int64 vector constant (axes, shapes, indices)."""
        return self.const(np.array(list(values), dtype=np.int64).reshape(-1), hint=hint)

    def node(
        self,
        op_type: str,
        inputs: Sequence[Symbol | None],
        shape: tuple[int, ...],
        dtype: Any,
        **attributes: Any,
    ) -> Symbol:
        """Append one ONNX node with one output of ``shape`` and ``dtype``; return the output."""
        name = self._value_name(op_type)
        node = self.onnx.helper.make_node(
            op_type,
            [x.name if x is not None else "" for x in inputs],
            [name],
            name=f"{self.scope}/{name}" if self.scope else name,
            **attributes,
        )
        self.nodes.append(node)
        return Symbol(self, name, shape, np.dtype(dtype))

    def identity(self, x: Symbol, name: str) -> None:
        """Name ``x`` ``name`` (a graph output) with an ``Identity`` node."""
        self.nodes.append(self.onnx.helper.make_node("Identity", [x.name], [name], name=name))

    def cast(self, x: Symbol, dtype: Any) -> Symbol:
        """``x`` converted to ``dtype`` (a ``Cast`` node, or a converted constant)."""
        dtype = np.dtype(dtype)
        if x.dtype == dtype:
            return x
        if x.const is not None:
            return self.const(x.const, dtype)
        to = self.onnx.helper.np_dtype_to_tensor_dtype(dtype)
        return self.node("Cast", [x], x.shape, dtype, to=to)

    # -- applying ops -------------------------------------------------------------

    def operand(self, x: Any, dtype: np.dtype) -> Any:
        """A symbol for an operand: symbols as they are, numbers and arrays as constants.

        Numbers and numeric arrays take the result's float ``dtype`` (numpy casts
        them so before computing); boolean arrays stay boolean; ``None`` (a missing
        bias) stays ``None``.
        """
        if x is None or isinstance(x, Symbol):
            return x
        array = np.asarray(x)
        if array.dtype == BOOL:
            return self.const(array)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"an operand of dtype {array.dtype} has no ONNX form here")
        return self.const(array, dtype if dtype.kind == "f" else None)

    def apply(
        self,
        op: Op,
        operands: Sequence[Any],
        params: dict[str, Any],
        shape: tuple[int, ...] | None = None,
        dtype: Any = None,
    ) -> Symbol:
        """Emit ``op(*operands, **params)``; ``shape``/``dtype`` of the result if known.

        Float operands are cast to the result's dtype (numpy's promotion). The
        op's entry of the op table is used when the op is the registered
        record of that name; otherwise, or for an entry :func:`FORMULA`, the op's
        own forward formula is evaluated in an :class:`OnnxNamespace`.
        """
        if shape is None:  # the engine's own kernels on zeros give the result's shape and dtype
            with np.errstate(all="ignore"):
                result = np.asarray(op.evaluator(ARRAY)(*_zeros_like(list(operands)), **params))
            shape, dtype = result.shape, result.dtype
        dtype = np.dtype(dtype)
        xs = [self.operand(x, dtype) for x in operands]
        xs = [
            self.cast(x, dtype) if x is not None and x.dtype.kind == "f" and x.dtype != dtype else x
            for x in xs
        ]
        emitter = self.emitters.get(op.name) if REGISTRY.get(op.name) is op else None
        if emitter is not None and emitter is not FORMULA and not self.formulas:
            out = emitter(self, xs, params, tuple(shape), dtype)
            if out is not None:
                return out
        return self.formula(op, xs, params, tuple(shape), dtype)

    def formula(
        self, op: Op, xs: Sequence[Symbol | None], params: dict[str, Any],
        shape: tuple[int, ...], dtype: np.dtype,
    ) -> Symbol:
        """Export ``op`` through its forward formula, evaluated with ONNX symbols."""
        formulas, self.formulas = self.formulas, False  # only the top level is forced
        try:
            out = op.evaluator(OnnxNamespace(self))(*xs, **params)
        except UnsupportedOpError:
            raise
        except (AttributeError, TypeError, IndexError, ValueError) as error:
            raise UnsupportedOpError(
                f"op {op.name!r} (label {op.label!r}) has no ONNX mapping: it is not one of "
                f"the exporter's ops and its forward formula cannot be traced into ONNX "
                f"({error}). Write its forward with the math namespace m (m.exp, m.where, "
                f"m.sum, ...) or export a function without it."
            ) from None
        finally:
            self.formulas = formulas
        out = self.operand(out, dtype)
        if out.shape != shape:
            if math.prod(out.shape) != math.prod(shape):
                raise UnsupportedOpError(
                    f"op {op.name!r}: its formula gives shape {out.shape}, the traced value "
                    f"has shape {shape}"
                )
            out = self.node("Reshape", [out, self.ints(shape, "shape")], shape, out.dtype)
        return self.cast(out, dtype)

    def compare(self, op_type: str, x: Any, y: Any) -> Symbol:
        """A comparison of two operands (numbers cast to the symbols' dtype), boolean result."""
        zx, zy = _zeros_like(x), _zeros_like(y)
        shape = np.broadcast_shapes(np.shape(zx), np.shape(zy))
        common = np.result_type(zx, zy)  # Python numbers are weak (NEP 50), as in the engine
        sx, sy = self.operand(x, common), self.operand(y, common)
        if common.kind == "f":
            sx, sy = self.cast(sx, common), self.cast(sy, common)
        return self.node(op_type, [sx, sy], shape, BOOL)

    def logical(self, op_type: str, *operands: Any) -> Symbol:
        """``Not``/``And``/``Or``/``Xor`` on boolean operands."""
        xs = [self.operand(np.asarray(x, dtype=bool) if not isinstance(x, Symbol) else x, BOOL)
              for x in operands]
        shape = np.broadcast_shapes(*(x.shape for x in xs))
        return self.node(op_type, xs, shape, BOOL)

    def where(self, condition: Any, x: Any, y: Any) -> Symbol:
        """``Where(condition, x, y)`` for a computed (symbolic) condition."""
        result = np.where(*_zeros_like([condition, x, y]))
        xs = [self.operand(v, result.dtype) for v in (condition, x, y)]
        xs = [xs[0], self.cast(xs[1], result.dtype), self.cast(xs[2], result.dtype)]
        return self.node("Where", xs, result.shape, result.dtype)


# ----------------------------------------------------------------------------
# The namespace an op's forward formula is evaluated in
# ----------------------------------------------------------------------------

# m.<kernel> name -> the registry op it computes (its arguments: the op's inputs, then params)
_KERNEL_OPS = {
    "divide": "div", "power": "pow", "amax": "max", "amin": "min",
}
# kernels whose leading arguments are the op's parameters, in the op's order
_KERNEL_PARAMS = {
    "sum": ("axes", "keepdims"), "amax": ("axes", "keepdims"), "amin": ("axes", "keepdims"),
    "logsumexp": ("axes", "keepdims"), "softmax": ("axis",), "log_softmax": ("axis",),
    "reshape": ("shape",), "transpose": ("axes",), "broadcast_to": ("shape",),
    "scatter": ("shape", "index", "accumulate"),
    "softmax_cross_entropy": ("target", "reduction"),
}


class OnnxNamespace:
    """The math namespace ``m`` with ONNX symbols: each function emits nodes.

    The same names as the array namespace: the kernels (``m.exp``,
    ``m.sum(x, axes, keepdims)``, ``m.where``, …) and, for any other name, the
    registry's op of that name (``m.sigmoid``), exported like the op itself.
    """

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        graph = self._graph
        if name == "is_constant":
            return lambda value: True
        if name == "where":
            return self._where
        if name == "logical_not":
            return lambda c: graph.logical("Not", c) if isinstance(c, Symbol) else np.logical_not(c)
        if name in ("concatenate", "stack"):
            return lambda xs, axis: graph.apply(REGISTRY[name], tuple(xs), {"axis": axis})
        op = REGISTRY.get(_KERNEL_OPS.get(name, name))
        if op is None or name in ("masked", "unreduce"):
            raise AttributeError(f"m.{name}, which has no ONNX form in the exporter")
        names = _KERNEL_PARAMS.get(name)
        if names is None:  # the op itself: m.sigmoid(x), m.leaky_relu(x, 0.1), m.linear(x, w, b)

            def call(*args: Any, **kwargs: Any) -> Symbol:
                inputs, values = op.split(args, kwargs)
                return graph.apply(op, inputs, dict(zip(op.params, values)))

            return call
        n_inputs = len(op.inputs)

        def kernel(*args: Any, **kwargs: Any) -> Symbol:  # m.sum(x, axes, keepdims)
            inputs, values = args[:n_inputs], dict(zip(names, args[n_inputs:]))
            values.update(kwargs)
            return graph.apply(op, inputs, values)

        return kernel

    def _where(self, condition: Any, x: Any, y: Any) -> Any:
        if isinstance(condition, Symbol):
            return self._graph.where(condition, x, y)
        if not isinstance(x, Symbol) and not isinstance(y, Symbol):
            return np.where(condition, x, y)
        return self._graph.apply(REGISTRY["where"], (x, y), {"condition": np.asarray(condition)})


Emitter = Callable[[Graph, list[Any], dict[str, Any], tuple[int, ...], np.dtype], Symbol | None]


def FORMULA(graph: Graph, xs: list[Any], params: dict[str, Any], shape: Any, dtype: Any) -> None:
    """Marks an op exported through its forward formula (see :meth:`Graph.formula`)."""
    return None
