"""Export a Tensor function to ONNX: ``autograd.onnx.export(fn, *example_inputs, path=...)``.

The function is *traced*: it is called once on the example inputs (as
Tensors that require a gradient), and the graph it records is written as an
ONNX model, one or a few ONNX operators per op (:func:`mapping` lists them).

* Graph inputs: the example inputs, named by their ``label`` or ``x0, x1, …``
  (or ``input_names``). Graph outputs: what ``fn`` returns, a Tensor or a
  tuple/list of Tensors, named ``output`` / ``output0, output1, …`` (or
  ``output_names``).
* Initializers: the parameters (leaf tensors that require a gradient but are
  not inputs, e.g. ``nn`` weights; named by ``parameter_names`` or their
  label) and the constants (numbers, arrays, tensors without
  ``requires_grad``).
* dtypes are kept: float32 stays float32, float64 stays float64; constants
  take the dtype numpy computes with, so the ONNX model and the engine do the
  same arithmetic. onnxruntime reproduces the engine's outputs to 1e-5
  (the tests check every op of the registry, at ordinary and at extreme inputs).
* What tracing means: Python control flow, and constants computed from the
  inputs' values (a ``where`` condition ``x > 0``, an index array, the
  targets of a loss), are frozen at their traced values, as in
  ``torch.jit.trace``. With ``dynamic_batch=True`` the leading axis of every
  input (and the outputs that follow it) is left free; the function is then
  traced a second time with one more row and refused if the graph changes
  (a reshape to a shape with the batch size in it, a batch-sized constant).
* An op with no ONNX form is refused with :class:`UnsupportedOpError`, naming
  it, before anything is written. Every op of the registry has one today;
  an op you define with ``define_op`` is exported through its forward formula
  when that formula uses the math namespace ``m`` only.

onnx is imported when :func:`export` runs (``pip install 'chainrule[onnx]'``):
``autograd`` itself needs numpy alone. onnxruntime is not needed to export,
only to run the model::

    import onnxruntime
    session = onnxruntime.InferenceSession("model.onnx")
    (logits,) = session.run(None, {"input": X})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ._core import enable_grad, topological_order
from ._onnx_graph import FORMULA, Graph, Symbol, UnsupportedOpError
from ._onnx_ops import EMITTERS
from .atomic_file import atomic_write
from .ops import Op, registered_ops
from .tensor import Tensor
from .value import Value

__all__ = [
    "MIN_OPSET",
    "ONNX_INSTALL",
    "OPSET",
    "REFUSED",
    "UnsupportedOpError",
    "export",
    "import_onnx",
    "mapping",
]

OPSET = 21
"""The default ONNX opset: onnxruntime ≥ 1.18 and onnx ≥ 1.16 (the ``onnx`` extra's pins) run it."""

MIN_OPSET = 18
"""The oldest opset the exporter writes (reductions take their axes as an input from 18 on)."""

ONNX_INSTALL = "pip install 'chainrule[onnx]'"
"""The install line for the optional onnx and onnxruntime dependencies."""

REFUSED: dict[str, str] = {}
"""Registry ops with no ONNX form, and why: none today (every Tensor op is exported)."""


def import_onnx() -> Any:
    """Import and return ``onnx``, or raise ``ImportError`` saying how to install it."""
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            f"exporting to ONNX needs the onnx package, which is not installed: {ONNX_INSTALL} "
            "(also installs onnxruntime, to run the exported models)"
        ) from error
    return onnx


def mapping() -> dict[str, str]:
    """How each Tensor op of the registry is written in ONNX: ``{op name: ONNX operators}``."""
    table = {}
    for op in registered_ops(engine="tensor"):
        if op.name in REFUSED:
            table[op.name] = f"refused: {REFUSED[op.name]}"
            continue
        emitter = EMITTERS.get(op.name)
        if emitter is None or emitter is FORMULA:
            table[op.name] = "its forward formula, operator by operator"
        else:
            table[op.name] = (emitter.__doc__ or "").strip().splitlines()[0].rstrip(".")
    return table


def export(
    fn: Callable[..., Any],
    *example_inputs: Any,
    path: str | os.PathLike[str] | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    parameter_names: Mapping[str, Tensor] | None = None,
    dynamic_batch: bool = False,
    opset: int = OPSET,
) -> Any:
    """Trace ``fn(*example_inputs)`` and return it as an ONNX model (``onnx.ModelProto``).

    Args:
        fn: a function of Tensors returning a Tensor or a tuple/list of
            Tensors (an ``nn`` module is such a function).
        example_inputs: Tensors, arrays or nested lists; their shapes and
            dtypes (float32, else float64) become the model's inputs.
        path: if given, the model is also written there (atomically: a
            temporary file renamed into place; nothing is written on error).
        input_names, output_names: the graph's input and output names.
        parameter_names: ``{name: tensor}`` naming the parameters'
            initializers, e.g. ``dict(model.named_parameters())``.
        dynamic_batch: leave the leading (batch) axis of the inputs free;
            refused if the traced graph depends on the batch size.
        opset: the ONNX opset to write, from :data:`MIN_OPSET` to the installed
            onnx's newest (default :data:`OPSET`).

    Raises:
        UnsupportedOpError: an op of the graph has no ONNX form (named).
        TypeError: ``fn`` returned something other than Tensors, or an input is a ``Value``.
        ValueError: bad names, opset or path; a batch-dependent graph with ``dynamic_batch``.
        ImportError: onnx is not installed (names ``pip install 'chainrule[onnx]'``).
    """
    onnx = import_onnx()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"opset must be an integer from {MIN_OPSET} to {onnx.defs.onnx_opset_version()} "
            f"(the installed onnx's newest), got {opset!r}"
        )
    target = None if path is None else _check_path(path)
    arrays, labels = _examples(example_inputs)
    names = _input_names(input_names, labels)
    params = {id(t): str(name) for name, t in (parameter_names or {}).items()}
    bigger = _one_more_row(arrays) if dynamic_batch else None  # checked before tracing
    traced = _Trace(onnx, fn, arrays, names, output_names, params, opset)
    if bigger is not None:
        try:
            second = _Trace(onnx, fn, bigger, names, output_names, params, opset)
        except Exception as error:
            n = arrays[0].shape[0]
            raise ValueError(
                f"dynamic_batch=True, but fn fails on a batch of {n + 1} after tracing a batch "
                f"of {n} ({type(error).__name__}: {error}); it depends on the batch size. "
                f"Export with dynamic_batch=False for a fixed batch of {n}."
            ) from error
        traced.free_batch_axis(second)
    model = traced.model()
    onnx.checker.check_model(model, full_check=True)
    if target is not None:
        payload = model.SerializeToString()

        def write(f: BinaryIO) -> None:
            f.write(payload)

        atomic_write(target, write)
    return model


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def _check_path(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ValueError(f"path {str(target)!r} is a directory; give a file name (model.onnx)")
    if not parent.is_dir():
        raise ValueError(f"path {str(target)!r}: the directory {str(parent)!r} does not exist")
    return target


def _examples(example_inputs: Sequence[Any]) -> tuple[list[np.ndarray], list[str]]:
    arrays, labels = [], []
    for i, x in enumerate(example_inputs):
        if isinstance(x, Value):
            raise TypeError(
                f"example input {i} is a Value: export traces Tensor functions; use "
                "Tensor(v.data) (the scalar Value engine has no ONNX export)"
            )
        tensor = x if isinstance(x, Tensor) else Tensor(x)
        arrays.append(np.array(tensor.data, copy=True))
        labels.append(tensor.label if isinstance(x, Tensor) else "")
    return arrays, labels


def _input_names(given: Sequence[str] | None, labels: list[str]) -> list[str]:
    if given is not None:
        names = _names(given, "input_names")
        if len(names) != len(labels):
            raise ValueError(
                f"input_names has {len(names)} name(s) for {len(labels)} example input(s)"
            )
        return names
    usable = [label for label in labels if label and labels.count(label) == 1]
    return [label if label in usable else f"x{i}" for i, label in enumerate(labels)]


def _names(given: Sequence[str], what: str) -> list[str]:
    if isinstance(given, str):
        raise TypeError(f"{what} takes a list of names, got the string {given!r}")
    names = list(given)
    if not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"{what} must be non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} must be unique, got {names!r}")
    return names


def _one_more_row(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The example inputs with their first row repeated at the end: a batch one larger."""
    if not arrays:
        raise ValueError("dynamic_batch=True needs at least one example input")
    sizes = {a.shape[0] if a.ndim else None for a in arrays}
    if None in sizes or len(sizes) != 1 or 0 in sizes:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(
            "dynamic_batch=True needs every example input to have the same non-empty leading "
            f"(batch) axis; got shapes {shapes}"
        )
    return [np.concatenate([a, a[:1]]) for a in arrays]


# --------------------------------------------------------------------------
# Tracing
# --------------------------------------------------------------------------


class _Trace:
    """One trace of ``fn`` on ``arrays``, turned into ONNX nodes and initializers."""

    def __init__(
        self,
        onnx: Any,
        fn: Callable[..., Any],
        arrays: list[np.ndarray],
        input_names: list[str],
        output_names: Sequence[str] | None,
        parameter_names: dict[int, str],
        opset: int,
        formulas: bool = False,
    ) -> None:
        self.onnx, self.opset = onnx, opset
        with enable_grad():
            leaves = [Tensor(a, requires_grad=True, dtype=a.dtype, label=name)
                      for a, name in zip(arrays, input_names)]
            result = fn(*leaves)
        outputs = _outputs(result)
        if output_names is None:
            output_names = ["output"] if len(outputs) == 1 else [
                f"output{i}" for i in range(len(outputs))
            ]
        output_names = _names(output_names, "output_names")
        if len(output_names) != len(outputs):
            raise ValueError(
                f"output_names has {len(output_names)} name(s); fn returned {len(outputs)} "
                "output(s)"
            )
        clash = set(output_names) & set(input_names)
        if clash:
            raise ValueError(f"a name is both an input and an output: {sorted(clash)}")
        graph = Graph(onnx, EMITTERS, taken=[*input_names, *output_names])
        graph.formulas = formulas
        symbols: dict[int, Symbol] = {
            id(leaf): Symbol(graph, name, leaf.shape, leaf.dtype)
            for leaf, name in zip(leaves, input_names)
        }
        counts: dict[str, int] = {}
        for visited in topological_order(outputs):
            node: Any = visited  # a Tensor (the walk's protocol type is narrower)
            if id(node) in symbols:
                continue
            if not node.op:  # a leaf that needs a gradient and is not an input: a parameter
                name = graph.fresh(parameter_names.get(id(node)) or node.label or "parameter")
                symbols[id(node)] = graph.initializer(node.data, name)
                continue
            symbols[id(node)] = _emit(graph, node, symbols, counts)
        graph.prefix = graph.scope = ""
        for tensor, name in zip(outputs, output_names):
            symbol = symbols.get(id(tensor))
            graph.identity(graph.const(tensor.data) if symbol is None else symbol, name)
        self.graph = graph
        self.inputs = [(name, a.shape, a.dtype) for name, a in zip(input_names, arrays)]
        self.outputs = [(name, t.shape, t.dtype) for name, t in zip(output_names, outputs)]
        self.free: dict[tuple[str, int], str] = {}  # (value name, axis) -> symbolic dimension

    def free_batch_axis(self, bigger: _Trace) -> None:
        """Free the batch axis, after checking that ``bigger`` (one more row) traced the same."""
        n = self.inputs[0][1][0]
        difference = _first_difference(self.graph, bigger.graph)
        if difference:
            raise ValueError(
                f"dynamic_batch=True, but the traced graph depends on the batch size: "
                f"{difference} differs between a batch of {n} and of {n + 1} (a reshape to a "
                "shape that contains the batch size, a batch-sized constant such as a where "
                "condition or the targets of a loss, an index into the batch axis). Export "
                f"with dynamic_batch=False for a fixed batch of {n}."
            )
        for name, _, _ in self.inputs:
            self.free[(name, 0)] = "batch"
        for (name, shape, _), (_, other, _) in zip(self.outputs, bigger.outputs):
            for axis, (a, b) in enumerate(zip(shape, other)):
                if a != b:
                    self.free[(name, axis)] = "batch" if (a, b) == (n, n + 1) else f"{name}_{axis}"

    def _info(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> Any:
        helper = self.onnx.helper
        dims = [self.free.get((name, axis), n) for axis, n in enumerate(shape)]
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), dims)

    def model(self) -> Any:
        """The ONNX model of this trace."""
        helper = self.onnx.helper
        graph = helper.make_graph(
            self.graph.nodes,
            "chainrule",
            [self._info(*item) for item in self.inputs],
            [self._info(*item) for item in self.outputs],
            initializer=self.graph.initializers,
        )
        opsets = [helper.make_opsetid("", self.opset)]
        return helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="chainrule",
            ir_version=helper.find_min_ir_version_for(opsets),
        )


def _outputs(result: Any) -> list[Tensor]:
    items = list(result) if isinstance(result, tuple | list) else [result]
    if not items:
        raise ValueError("fn returned no output; return a Tensor or a tuple of Tensors")
    for i, item in enumerate(items):
        if isinstance(item, Value):
            raise TypeError(
                "fn returned a Value: export traces Tensor functions (the scalar Value engine, "
                "e.g. nn.scalar models, has no ONNX export); build the model from Tensors"
            )
        if not isinstance(item, Tensor):
            raise TypeError(
                f"fn must return a Tensor or a tuple/list of Tensors; output {i} is a "
                f"{type(item).__name__}"
            )
    return items


def _emit(graph: Graph, node: Tensor, symbols: dict[int, Symbol], counts: dict[str, int]) -> Symbol:
    """The ONNX nodes of one traced op node."""
    op = node.op
    if not isinstance(op, Op):
        raise UnsupportedOpError(f"a node made by {op!r}, which is not an op of the registry")
    if op.name in REFUSED:
        raise UnsupportedOpError(f"op {op.name!r} has no ONNX form: {REFUSED[op.name]}")
    operands = []
    for x in node.inputs:
        if isinstance(x, Tensor):
            operands.append(symbols[id(x)] if id(x) in symbols else x.data)
        else:
            operands.append(x)
    k = counts.get(op.name, 0)
    counts[op.name] = k + 1
    graph.prefix = f"{op.name}{k}"
    graph.scope = "/".join(node.scope)
    data = node.data
    return graph.apply(op, operands, node.params, shape=data.shape, dtype=data.dtype)


def _first_difference(a: Graph, b: Graph) -> str:
    """Where two traces' graphs differ ("" if they do not): a node or a constant, by name."""
    for x, y in zip(a.initializers, b.initializers):
        if x.SerializeToString() != y.SerializeToString():
            return f"the constant {x.name!r}"
    for x, y in zip(a.nodes, b.nodes):
        if x.SerializeToString() != y.SerializeToString():
            return f"the node {x.name!r} ({x.op_type})"
    if len(a.nodes) != len(b.nodes) or len(a.initializers) != len(b.initializers):
        return "the number of nodes"
    return ""


def _export_by_formulas(fn: Callable[..., Any], *example_inputs: Any) -> Any:
    """Like :func:`export`, with every op of the graph written through its forward formula.

    For the tests: it exercises the formula path (how ops you define are
    exported) on every op of the registry.
    """
    onnx = import_onnx()
    arrays, labels = _examples(example_inputs)
    trace = _Trace(onnx, fn, arrays, _input_names(None, labels), None, {}, OPSET, formulas=True)
    model = trace.model()
    onnx.checker.check_model(model, full_check=True)
    return model
