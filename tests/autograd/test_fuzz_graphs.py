"""Differential fuzzing: random expression graphs over every op, three ways to differentiate.

Hypothesis writes small programs over the op registry (random ops, random
broadcastable shapes, shared subexpressions); each program runs on chainrule's
Tensor (and, for scalar programs, Value) engine and is checked

* against central finite differences (``gradcheck``, random cotangent) when it
  uses smooth ops only (kinks would make a central difference wrong by
  construction), and
* against PyTorch's gradients (same random cotangent) for every op, kinks
  included: chainrule follows PyTorch's conventions there.

The default run draws 100 graphs per test; ``pytest -m slow
tests/autograd/test_fuzz_graphs.py`` draws 1,000 (the README gives the command).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, Value, gradcheck, gradients
from autograd.ops import REGISTRY, Op

LIMIT = 1e3  # programs whose values leave [-LIMIT, LIMIT] are rejected (overflow is not a bug)
FEW = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))


def _smooth(op: Op) -> bool:
    checks = op.checks
    return not checks.avoid and not checks.avoid_ties and op.name not in {"sign", "where"}


_DRAWN = [op for op in REGISTRY.values() if op.elementwise and op.checks.domain is not None]
UNARY = [op for op in _DRAWN if op.arity == 1]
BINARY = [op for op in _DRAWN if op.arity == 2]
REDUCTIONS = ["sum", "mean", "max", "min", "var", "logsumexp", "softmax", "log_softmax"]
KINKED_REDUCTIONS = {"max", "min"}
STRUCTURAL = ["reshape", "transpose", "getitem", "broadcast_to", "concatenate", "stack",
              "matmul", "linear", "softmax_cross_entropy", "scatter", "where", "clip"]


@dataclass
class Program:
    """Inputs (arrays) and steps ``(op name, operand refs, params)``; a ref is ("v", k) for
    an earlier value or ("x", i) for input i."""

    inputs: list[np.ndarray] = field(default_factory=list)
    steps: list[tuple[str, tuple[tuple[str, int], ...], dict[str, Any]]] = field(
        default_factory=list
    )
    smooth: bool = True

    def run(self, call: Any, leaves: list[Any]) -> Any:
        values: list[Any] = []
        for name, refs, params in self.steps:
            operands = [leaves[k] if kind == "x" else values[k] for kind, k in refs]
            values.append(call(REGISTRY[name], operands, params))
        return values[-1]


def _chainrule_call(op: Op, operands: list[Any], params: dict[str, Any]) -> Any:
    return op(*operands, **params)


def _torch_call(torch: Any) -> Any:
    def call(op: Op, operands: list[Any], params: dict[str, Any]) -> Any:
        return op.checks.torch(torch, *operands, **params)

    return call


def _away(lo: float = -2.0, hi: float = 2.0) -> st.SearchStrategy[float]:
    # Inputs away from every kink of the registry (0, the clip bounds ±1) and their ties.
    return st.floats(lo, hi).filter(lambda v: min(abs(v), abs(abs(v) - 1.0)) > 0.05)


class Builder:
    """Draws a program step by step, evaluating it eagerly to keep it in range."""

    def __init__(self, data: st.DataObject, scalar: bool) -> None:
        self.data = data
        self.scalar = scalar
        self.program = Program()
        self.values: list[np.ndarray] = []
        self.refs: list[tuple[str, int]] = []

    def leaf(self, shape: tuple[int, ...]) -> tuple[str, int]:
        array = self.data.draw(hnp.arrays(np.float64, shape, elements=_away()), label="leaf")
        self.program.inputs.append(np.asarray(array, np.float64))
        ref = ("x", len(self.program.inputs) - 1)
        self.refs.append(ref)
        return ref

    def value_of(self, ref: tuple[str, int]) -> np.ndarray:
        kind, k = ref
        return self.program.inputs[k] if kind == "x" else self.values[k]

    def apply(self, name: str, refs: tuple[tuple[str, int], ...], params: dict[str, Any]) -> Any:
        op = REGISTRY[name]
        operands = [Tensor(self.value_of(r)) for r in refs]
        out = np.asarray(op(*operands, **params).data, np.float64)
        assume(np.all(np.isfinite(out)) and np.all(np.abs(out) < LIMIT))
        if not (_smooth(op) and name not in KINKED_REDUCTIONS):
            self.program.smooth = False
        self.program.steps.append((name, refs, params))
        self.values.append(out)
        ref = ("v", len(self.values) - 1)
        self.refs.append(ref)
        return ref

    def pick(self) -> tuple[str, int]:
        return self.data.draw(st.sampled_from(self.refs), label="operand")

    def into_domain(self, ref: tuple[str, int], interval: tuple[float, float]) -> tuple[str, int]:
        """A smooth map of ``ref`` into an op's domain (x·x + lo, or tanh for a bounded one)."""
        lo, hi = interval
        if lo <= -2.0 and hi >= 2.0:
            return ref
        if hi < 2.0:  # bounded (tan): squash into (−1, 1) first
            return self.apply("tanh", (ref,), {})
        square = self.apply("mul", (ref, ref), {})
        return self.apply("add", (square, self.leaf_constant(lo + 0.1)), {})

    def leaf_constant(self, c: float) -> tuple[str, int]:
        # constants are inputs too (differentiated as well): they must stay smooth, so no kinks
        shape: tuple[int, ...] = ()
        self.program.inputs.append(np.asarray(c + 0.5, np.float64))
        ref = ("x", len(self.program.inputs) - 1)
        del shape
        return ref


def _draw_step(b: Builder) -> None:
    data = b.data
    families = ["unary", "binary"] + ([] if b.scalar else ["reduction", "structural"])
    family = data.draw(st.sampled_from(families), label="family")
    if family == "unary":
        op = data.draw(st.sampled_from([o for o in UNARY if not b.scalar or "value" in o.engines]))
        x = b.into_domain(b.pick(), op.checks.domain[0])
        b.apply(op.name, (x,), dict(op.checks.params))
    elif family == "binary":
        op = data.draw(st.sampled_from([o for o in BINARY if not b.scalar or "value" in o.engines]))
        x = b.into_domain(b.pick(), op.checks.domain[0])
        y = b.into_domain(b.pick(), op.checks.domain[1])
        shapes_fit = _broadcasts(b.value_of(x).shape, b.value_of(y).shape)
        assume(shapes_fit)
        if op.checks.avoid_ties:
            assume(np.all(np.abs(b.value_of(x) - b.value_of(y)) > 0.05))
        b.apply(op.name, (x, y), {})
    elif family == "reduction":
        _draw_reduction(b)
    else:
        _draw_structural(b)


def _broadcasts(a: tuple[int, ...], c: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, c)
        return True
    except ValueError:
        return False


def _draw_reduction(b: Builder) -> None:
    data = b.data
    name = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    x = b.pick()
    shape = b.value_of(x).shape
    if name in ("softmax", "log_softmax"):
        assume(len(shape) >= 1)
        b.apply(name, (x,), {"axis": data.draw(st.integers(0, len(shape) - 1))})
        return
    axes: tuple[int, ...] = ()
    if shape:
        axes = tuple(sorted(data.draw(st.sets(st.integers(0, len(shape) - 1)))))
    params: dict[str, Any] = {"axes": axes, "keepdims": data.draw(st.booleans())}
    if name in KINKED_REDUCTIONS:
        values = b.value_of(x)
        assume(len(np.unique(values)) == values.size)  # no ties: they are kinks
    if name == "var":
        params["ddof"] = 0
    b.apply(name, (x,), params)


def _draw_structural(b: Builder) -> None:
    data = b.data
    name = data.draw(st.sampled_from(STRUCTURAL), label="structural")
    x = b.pick()
    value = b.value_of(x)
    shape = value.shape
    if name == "reshape":
        b.apply(name, (x,), {"shape": (value.size,) if len(shape) != 1 else (1, value.size)})
    elif name == "transpose":
        axes = tuple(data.draw(st.permutations(range(len(shape)))))
        b.apply(name, (x,), {"axes": axes})
    elif name == "getitem":
        assume(len(shape) >= 1)
        index = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=4))
        b.apply(name, (x,), {"index": (np.array(index),), "accumulate": True})
    elif name == "broadcast_to":
        b.apply(name, (x,), {"shape": (2, *shape)})
    elif name in ("concatenate", "stack"):
        assume(len(shape) >= 1 or name == "stack")
        y = b.leaf(shape)
        axis = data.draw(st.integers(0, len(shape) - 1 if name == "concatenate" else len(shape)))
        b.apply(name, (x, y), {"axis": axis})
    elif name == "matmul":
        assume(len(shape) >= 1)
        w = b.leaf((shape[-1], data.draw(st.integers(1, 3))))
        b.apply(name, (x, w), {})
    elif name == "linear":
        assume(len(shape) >= 1)
        n_out = data.draw(st.integers(1, 3))
        w, bias = b.leaf((shape[-1], n_out)), b.leaf((n_out,))
        b.apply(name, (x, w, bias), {})
    elif name == "softmax_cross_entropy":
        assume(len(shape) == 2 and shape[0] >= 1)
        target = np.array(data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=shape[0],
                                             max_size=shape[0])))
        b.apply(name, (x,), {"target": target, "reduction": data.draw(st.sampled_from(
            ["mean", "sum", "none"]))})
    elif name == "scatter":
        assume(len(shape) >= 1)
        rows = shape[0] + 1
        index = (np.array(data.draw(st.lists(st.integers(0, rows - 1), min_size=shape[0],
                                             max_size=shape[0]))),)
        b.apply(name, (x,), {"shape": (rows, *shape[1:]), "index": index, "accumulate": True})
    elif name == "where":
        y = b.leaf(shape)
        condition = np.asarray(data.draw(hnp.arrays(np.bool_, shape)))
        b.apply(name, (x, y), {"condition": condition})
    elif name == "clip":
        b.apply(name, (x,), {"lo": -1.0, "hi": 1.0})
        values = b.value_of(x)
        assume(np.all(np.abs(np.abs(values) - 1.0) > 0.05))


@st.composite
def programs(draw: Any, scalar: bool) -> Program:
    data = draw(st.data())
    builder = Builder(data, scalar)
    shape = () if scalar else data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    for _ in range(data.draw(st.integers(1, 3 if not scalar else 2), label="inputs")):
        sub = shape if scalar else data.draw(
            hnp.broadcastable_shapes(shape, max_dims=len(shape)), label="input shape"
        )
        builder.leaf(tuple(sub))
    for _ in range(data.draw(st.integers(1, 6), label="steps")):
        _draw_step(builder)
    return builder.program


# ----------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------


def _check_tensor_program(program: Program) -> None:
    leaves = [Tensor(a, requires_grad=True, dtype=np.float64) for a in program.inputs]
    if program.smooth:
        gradcheck(lambda *xs: program.run(_chainrule_call, list(xs)), *leaves,
                  atol=1e-5, rtol=1e-4)
    _compare_with_torch(program, scalar=False)


def _compare_with_torch(program: Program, scalar: bool) -> None:
    try:
        import torch
    except ImportError:
        return
    if any(REGISTRY[name].checks.torch is None for name, _, _ in program.steps):
        return  # an op PyTorch has no one-call equivalent for (scatter): finite differences only
    rng = np.random.default_rng(0)
    if scalar:
        ours_in = [Value(float(a)) for a in program.inputs]
    else:
        ours_in = [Tensor(a, requires_grad=True, dtype=np.float64) for a in program.inputs]
    out = program.run(_chainrule_call, ours_in)
    cotangent = rng.uniform(0.5, 1.5, size=np.shape(out.data))
    seed = Value(float(cotangent)) if scalar else cotangent
    ours = gradients([out], [seed if scalar else np.asarray(seed)], ours_in)
    theirs_in = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in program.inputs]
    t_out = program.run(_torch_call(torch), theirs_in)
    np.testing.assert_allclose(np.asarray(out.data, np.float64), t_out.detach().numpy(),
                               rtol=1e-9, atol=1e-11)
    theirs = torch.autograd.grad(t_out, theirs_in, torch.as_tensor(cotangent), allow_unused=True)
    for k, (g, h, a) in enumerate(zip(ours, theirs, program.inputs)):
        mine = np.zeros(np.shape(a)) if g is None else np.asarray(g, np.float64)
        torch_grad = np.zeros(np.shape(a)) if h is None else h.numpy()
        np.testing.assert_allclose(
            mine, torch_grad, rtol=1e-7, atol=1e-9,
            err_msg=f"gradient of input {k} differs from PyTorch for {program.steps}",
        )


def _check_value_program(program: Program) -> None:
    leaves = [Value(float(a)) for a in program.inputs]
    if program.smooth:
        gradcheck(lambda *xs: program.run(_chainrule_call, list(xs)), *leaves,
                  atol=1e-5, rtol=1e-4)
    _compare_with_torch(program, scalar=True)


@FEW
@given(programs(scalar=False))
def test_random_tensor_graphs(program):
    _check_tensor_program(program)


@FEW
@given(programs(scalar=True))
def test_random_value_graphs(program):
    _check_value_program(program)


@pytest.mark.slow
@MANY
@given(programs(scalar=False))
def test_random_tensor_graphs_many(program):
    _check_tensor_program(program)


@pytest.mark.slow
@MANY
@given(programs(scalar=True))
def test_random_value_graphs_many(program):
    _check_value_program(program)


def test_the_fuzzer_reaches_every_op():
    covered = {op.name for op in UNARY + BINARY} | set(REDUCTIONS) | set(STRUCTURAL)
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"ops the fuzzer never draws: {missing}; add them to a family"


def test_the_fuzz_checks_catch_a_wrong_rule(monkeypatch):
    from autograd import GradcheckError, define_op

    wrong = define_op(
        "tanh_off", forward=lambda m, x: m.tanh(x),
        derivative=lambda m, out: 1.01 * (1 - out * out), register=False,
        checks=REGISTRY["tanh"].checks,
    )
    monkeypatch.setitem(REGISTRY, "tanh_off", wrong)
    program = Program(inputs=[np.array([0.3, -0.7])], steps=[("tanh_off", (("x", 0),), {})])
    with pytest.raises((GradcheckError, AssertionError)):
        _check_tensor_program(program)
