"""The Tensor forward and backward compiled from each op's record (autograd/_tensor_codegen.py).

Compiled code must compute exactly what the rule computes through the
generic path (the rule's adapter on the ARRAY namespace): the same numpy
operations, so the same bits. And a rule whose parameters it could branch on
must not be compiled with them as symbols.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from autograd._tensor_codegen import _straight_line, _vjp_traceable, compile_array_forward
from autograd.ops import REGISTRY, _codegen, define_op
from autograd.ops._math import ARRAY
from autograd.tensor import _FORWARD_NAMESPACE

COMPILED_FORWARD = sorted(n for n, op in REGISTRY.items() if op._array_forward is not None)
COMPILED_BACKWARD = sorted(n for n, op in REGISTRY.items() if op._array_vjps is not None)


def _cases(op, dtype):
    """(inputs, params) for ``op``: its recorded samples, or points for an elementwise op."""
    rng = np.random.default_rng(5)
    if op.checks.samples is not None:
        cases = op.checks.samples(rng)
    else:
        x = rng.uniform(0.2, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
        x[0, 0] = 0.0  # the non-differentiable point of relu, abs, sign, ...
        x[0, 1] = 1.0
        cases = [((x, rng.uniform(0.5, 1.5, (3, 4)))[: len(op.inputs)], {})]
    for inputs, params in cases:
        arrays = tuple(
            np.asarray(a, dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in inputs
        )
        yield op.split(arrays, params)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_the_reductions_linear_and_softmax_have_compiled_forwards():
    for name in ("sum", "mean", "max", "linear", "softmax", "softmax_cross_entropy"):
        assert name in COMPILED_FORWARD
    assert "getitem" not in COMPILED_FORWARD  # x[index]: no traced form, the rule itself


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", COMPILED_FORWARD)
def test_a_compiled_forward_equals_the_rule_bit_for_bit(name, dtype):
    op = REGISTRY[name]
    for inputs, params in _cases(op, dtype):
        with np.errstate(all="ignore"):
            expected = op._forward(ARRAY, inputs, params)
        assert _same(op._array_forward(inputs, params), expected), (inputs, params)


@pytest.mark.parametrize("name", COMPILED_BACKWARD)
def test_a_compiled_backward_equals_the_generic_rule_bit_for_bit(name, monkeypatch):
    op = REGISTRY[name]
    for inputs, params in _cases(op, np.float64):
        xs = [Tensor(a, requires_grad=True) for a in inputs]
        out = op(*xs, *params)
        g = np.random.default_rng(1).standard_normal(out.shape)
        with np.errstate(all="ignore"):  # as inside a backward pass
            compiled = out._vjp(g)
            monkeypatch.setattr(op, "_array_vjps", None)
            generic = out._vjp(g)
            monkeypatch.undo()
        assert len(compiled) == len(generic)
        for c, e in zip(compiled, generic):
            assert _same(c, e)


def test_straight_line_rules_are_told_apart_from_branching_ones():
    def helper(x):
        return x

    def loops(m, x, *, axes):
        for a in axes:
            x = m.sum(x, (a,), True)
        return x

    assert _straight_line(lambda m, x, *, axes, keepdims: m.sum(x, axes, keepdims))
    assert _straight_line(lambda m, x, w, b: m.linear(x, w, b))
    assert not _straight_line(lambda m, x, *, lo: x if lo is None else m.maximum(x, lo))
    assert not _straight_line(lambda m, x, *, lo: m.maximum(x, lo) * (lo is not None))
    assert not _straight_line(lambda m, x, *, k: helper(m.sum(x, k, False)))  # a global
    assert not _straight_line(loops)
    assert not _straight_line(np.add)  # no Python code to read


def test_a_rule_that_branches_on_a_parameter_is_not_compiled_and_stays_right():
    floor = define_op(
        "floor_at_test_only",
        forward=lambda m, x, *, lo: x if lo is None else m.maximum(x, lo),
        vjp=lambda m, g, x, lo: (g if lo is None else m.where(x >= lo, g, 0.0),),
        register=False,
    )
    assert compile_array_forward(floor, _FORWARD_NAMESPACE) is None
    x = Tensor([-1.0, 2.0], requires_grad=True)
    assert floor(x, lo=None).data.tolist() == [-1.0, 2.0]
    assert floor(x, lo=0.0).data.tolist() == [0.0, 2.0]


def test_vjp_rules_compile_when_they_cannot_choose_a_path_silently():
    for name in ("sum", "linear", "reshape", "softmax", "log_softmax"):
        assert name in COMPILED_BACKWARD and REGISTRY[name].derivative is None
    assert "mean" not in COMPILED_BACKWARD  # its rule calls module helpers: the generic path

    def branches_on_identity(m, g, x, y):
        return (g if y is None else g * y, None)

    def branches_on_wants(m, g, x, y, wants):
        return (g * y if wants[0] else None, g * x if wants[1] else None)

    op = define_op("two_test_only", forward=lambda m, x, y: x * y, vjp=branches_on_wants,
                   register=False)
    assert _vjp_traceable(op)
    op = define_op("three_test_only", forward=lambda m, x, y: x * y, vjp=branches_on_identity,
                   register=False)
    assert not _vjp_traceable(op)


def test_shapes_trace_on_arrays_only():
    tracer = _codegen.Tracer("t", _codegen.ARRAY)
    x = tracer.sym("x0")
    last = x.shape[-1]
    assert tracer.lines == ["t0 = x0.shape", "t1 = t0[-1]"]
    assert _codegen._literal((-1, last), _codegen.ARRAY) == "(-1, t1)"
    with pytest.raises(_codegen.TraceError):
        _codegen.Tracer("t", _codegen.PYTHON).sym("x0").shape  # noqa: B018 - a Value has none
    with pytest.raises(_codegen.TraceError):
        x[0]
