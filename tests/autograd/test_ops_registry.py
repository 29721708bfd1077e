"""Every op of the registry, tested from its record: an op cannot be added untested.

For each registered op, at hypothesis-drawn points of its domain (kinks kept a
margin away, pinned by unit tests elsewhere):

* gradcheck and gradgradcheck on Value (where the op exists for Value) and on
  float64 Tensor inputs, with random cotangents;
* Value and Tensor agree on values and local derivatives (same record);
* with PyTorch installed: values, first derivatives (a VJP with a random
  cotangent) and second derivatives (the gradient of ``Σ grad·w`` for random
  ``w``) equal torch's.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, gradcheck, gradgradcheck, gradients
from autograd.ops import REGISTRY, Op
from autograd.testing import floats_away_from

ALL = sorted(REGISTRY)
ELEMENTWISE_DRAWN = sorted(n for n, op in REGISTRY.items() if op.checks.samples is None)
SAMPLED = sorted(n for n, op in REGISTRY.items() if op.checks.samples is not None)
VALUE_OPS = sorted(n for n in ELEMENTWISE_DRAWN if "value" in REGISTRY[n].engines)
TOL = {"atol": 1e-6, "rtol": 1e-5}
EXAMPLES = settings(max_examples=8, deadline=None)


# ----------------------------------------------------------------------------
# The records themselves
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_op_says_how_it_is_tested(name):
    op = REGISTRY[name]
    checks = op.checks
    if checks.samples is None:
        assert op.elementwise, f"{name}: a non-elementwise op needs checks.samples"
        assert checks.domain is not None and len(checks.domain) == op.arity, (
            f"{name}: checks.domain needs one interval per input"
        )
    assert checks.torch is not None or checks.torch_missing, (
        f"{name}: give checks.torch (the PyTorch reference) or say why there is none"
    )
    assert op.doc, f"{name}: an op documents its formula"


def test_a_record_without_a_rule_is_refused_when_defined():
    from autograd import define_op

    with pytest.raises(TypeError, match="no derivative rule"):
        define_op("no_rule", forward=lambda m, x: m.exp(x), register=False)
    with pytest.raises(TypeError, match="none of the names"):
        define_op("typo", forward=lambda m, x: x, derivative=lambda m, y: 1.0, register=False)
    with pytest.raises(TypeError, match="first argument"):
        define_op("no_m", forward=lambda x: x, derivative=lambda m, x: 1.0, register=False)


def test_labels_are_unique_and_ops_are_strings_of_their_label():
    labels = [op.label for op in REGISTRY.values()]
    assert len(labels) == len(set(labels))
    assert REGISTRY["mul"] == "*" and REGISTRY["relu"] == "ReLU"
    assert isinstance(REGISTRY["tanh"], str)


def test_value_and_tensor_share_the_unary_function_set():
    from autograd.ops import unary_functions

    expected = set(
        "exp log sqrt tanh sigmoid relu leaky_relu softplus mish abs sign sin cos tan".split()
    )
    assert expected <= set(unary_functions("value"))
    assert set(unary_functions("tensor")) - set(unary_functions("value")) == {"clip"}
    for name in unary_functions("value"):
        assert callable(getattr(Value, name)) and callable(getattr(Tensor, name))


# ----------------------------------------------------------------------------
# Drawing inputs
# ----------------------------------------------------------------------------


def _point(op: Op, i: int) -> st.SearchStrategy[float]:
    lo, hi = op.checks.domain[i]
    avoid = op.checks.avoid[i] if i < len(op.checks.avoid) else ()
    return floats_away_from(avoid, margin=0.05, min_value=lo, max_value=hi)


def _scalars(data: st.DataObject, op: Op) -> list[float]:
    points = [data.draw(_point(op, i), label=f"x{i}") for i in range(op.arity)]
    if op.checks.avoid_ties:
        assume(abs(points[0] - points[1]) > 0.05)
    return points


def _arrays(data: st.DataObject, op: Op) -> list[np.ndarray]:
    from hypothesis.extra import numpy as hnp

    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=op.arity, max_dims=2, max_side=3),
        label="shapes",
    ).input_shapes
    arrays = [
        np.asarray(data.draw(hnp.arrays(np.float64, shape, elements=_point(op, i))), np.float64)
        for i, shape in enumerate(shapes)
    ]
    if op.checks.avoid_ties:
        assume(np.all(np.abs(arrays[0] - arrays[1]) > 0.05))
    return arrays


def _samples(name: str) -> list[tuple[tuple, dict]]:
    return REGISTRY[name].checks.samples(np.random.default_rng(0))


def _tensors(arrays):
    return [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]


# ----------------------------------------------------------------------------
# Finite differences, first and second order
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALUE_OPS)
@EXAMPLES
@given(data=st.data())
def test_value_gradcheck_and_gradgradcheck(name, data):
    op = REGISTRY[name]
    xs = [Value(x) for x in _scalars(data, op)]
    params = dict(op.checks.params)
    fn = lambda *v: op(*v, **params)  # noqa: E731
    gradcheck(fn, *xs, **TOL)
    gradgradcheck(fn, *xs, **TOL)


@pytest.mark.parametrize("name", ELEMENTWISE_DRAWN)
@EXAMPLES
@given(data=st.data())
def test_tensor_gradcheck_and_gradgradcheck_on_drawn_points(name, data):
    op = REGISTRY[name]
    xs = _tensors(_arrays(data, op))
    params = dict(op.checks.params)
    fn = lambda *t: op(*t, **params)  # noqa: E731
    gradcheck(fn, *xs, **TOL)
    gradgradcheck(fn, *xs, **TOL)


@pytest.mark.parametrize("name", SAMPLED)
def test_tensor_gradcheck_and_gradgradcheck_on_samples(name):
    op = REGISTRY[name]
    for inputs, params in _samples(name):
        xs = _tensors(inputs)
        fn = lambda *t, params=params: op(*t, **params)  # noqa: E731
        gradcheck(fn, *xs, **TOL)
        if op.checks.second_order:
            gradgradcheck(fn, *xs, **TOL)


@pytest.mark.parametrize("name", VALUE_OPS)
@EXAMPLES
@given(data=st.data())
def test_value_and_tensor_agree(name, data):
    op = REGISTRY[name]
    points = _scalars(data, op)
    params = dict(op.checks.params)
    vs = [Value(x) for x in points]
    out_v = op(*vs, **params)
    out_v.backward()
    ts = _tensors([np.array(x) for x in points])
    out_t = op(*ts, **params)
    out_t.backward()
    assert np.isclose(out_v.data, out_t.item(), rtol=1e-12, atol=1e-15, equal_nan=True)
    for v, t in zip(vs, ts):
        assert np.isclose(v.grad, float(t.grad), rtol=1e-12, atol=1e-15, equal_nan=True)


# ----------------------------------------------------------------------------
# PyTorch: values, first and second derivatives
# ----------------------------------------------------------------------------


def _first_and_second(op, xs, params, cotangent, directions):
    """(value, VJP with ``cotangent``, gradient of Σ VJPᵢ·directionᵢ) for chainrule nodes."""
    out = op(*xs, **params)
    seed = Value(float(cotangent)) if isinstance(out, Value) else Tensor(cotangent)
    firsts = gradients([out], [seed], xs, create_graph=True)
    total = None
    for g, w in zip(firsts, directions):
        if g is None:
            continue
        term = g * float(w) if isinstance(g, Value) else (g * w).sum()
        total = term if total is None else total + term
    seconds = [None] * len(xs)
    if total is not None and total._requires_grad:
        one = Value(1.0) if isinstance(total, Value) else np.ones(())
        seconds = gradients([total], [one], xs)
    plain = lambda g, x: np.zeros(np.shape(x.data)) if g is None else np.asarray(  # noqa: E731
        g.data if hasattr(g, "_prev") else g, np.float64
    )
    return (
        np.asarray(out.data, np.float64),
        [plain(g, x) for g, x in zip(firsts, xs)],
        [plain(g, x) for g, x in zip(seconds, xs)],
    )


def _torch_first_and_second(torch, op, arrays, params, cotangent, directions):
    xs = [torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True) for a in arrays]
    out = op.checks.torch(torch, *xs, **params)
    firsts = torch.autograd.grad(
        out, xs, torch.as_tensor(cotangent, dtype=torch.float64), create_graph=True,
        allow_unused=True,
    )
    total = sum(
        (g * torch.as_tensor(w, dtype=torch.float64)).sum()
        for g, w in zip(firsts, directions)
        if g is not None
    )
    seconds = [None] * len(xs)
    if isinstance(total, torch.Tensor) and total.requires_grad:
        seconds = torch.autograd.grad(total, xs, allow_unused=True)
    plain = lambda g, a: (  # noqa: E731
        np.zeros(np.shape(a)) if g is None else g.detach().numpy(force=True)
    )
    return (
        out.detach().numpy(),
        [plain(g, a) for g, a in zip(firsts, arrays)],
        [plain(g, a) for g, a in zip(seconds, arrays)],
    )


def _compare_with_torch(torch, op, arrays, params, as_values=False):
    rng = np.random.default_rng(1)
    with_torch = {k: v for k, v in params.items()}
    probe = op(*[Tensor(a) for a in arrays], **params)
    cotangent = rng.uniform(0.5, 1.5, size=probe.shape) * rng.choice((-1, 1), size=probe.shape)
    directions = [rng.normal(size=np.shape(a)) for a in arrays]
    if as_values:
        xs = [Value(float(a)) for a in arrays]
    else:
        xs = _tensors(arrays)
    ours = _first_and_second(op, xs, params, cotangent, directions)
    theirs = _torch_first_and_second(torch, op, arrays, with_torch, cotangent, directions)
    for what, a, b in zip(("value", "first derivative", "second derivative"), ours, theirs):
        a_list = a if isinstance(a, list) else [a]
        b_list = b if isinstance(b, list) else [b]
        for k, (x, y) in enumerate(zip(a_list, b_list)):
            np.testing.assert_allclose(
                x, y, rtol=1e-7, atol=1e-9, equal_nan=True,
                err_msg=f"{op.name}: {what} (input {k}) differs from PyTorch",
            )


@pytest.mark.parametrize("name", sorted(n for n in ELEMENTWISE_DRAWN if REGISTRY[n].checks.torch))
@EXAMPLES
@given(data=st.data())
def test_tensor_ops_match_torch_to_second_order(name, data):
    torch = pytest.importorskip("torch")
    op = REGISTRY[name]
    _compare_with_torch(torch, op, _arrays(data, op), dict(op.checks.params))


@pytest.mark.parametrize("name", sorted(n for n in VALUE_OPS if REGISTRY[n].checks.torch))
@EXAMPLES
@given(data=st.data())
def test_value_ops_match_torch_to_second_order(name, data):
    torch = pytest.importorskip("torch")
    op = REGISTRY[name]
    points = [np.array(x) for x in _scalars(data, op)]
    _compare_with_torch(torch, op, points, dict(op.checks.params), as_values=True)


@pytest.mark.parametrize("name", sorted(n for n in SAMPLED if REGISTRY[n].checks.torch))
def test_sampled_ops_match_torch_to_second_order(name, torch):
    op = REGISTRY[name]
    for inputs, params in _samples(name):
        _compare_with_torch(torch, op, list(inputs), params)
