"""Property tests: every Tensor op's gradient against finite differences (and PyTorch).

Inputs are float64 hypothesis arrays over broadcastable shapes, 0-d arrays and
the matmul signature with 1-D operands; ``gradcheck`` uses a random cotangent.
Kinks are kept out of the numerical checks (values on a grid offset from them)
and pinned by unit tests in test_tensor.py instead.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, concatenate, gradcheck, maximum, minimum, stack, where
from autograd.testing import (
    axes_for,
    broadcastable_shapes,
    kink_free_floats,
    matmul_shapes,
    shapes,
    tensors,
)

GRID = kink_free_floats(24)  # k/8 + 1/16 in about [-3, 3]: never 0, never on k/8
ON_GRID = st.integers(-24, 24).map(lambda k: k / 8)  # multiples of 1/8: never equal to GRID
POSITIVE = st.floats(0.25, 4.0)


def _pair(data, elements_a=None, elements_b=None):
    sa, sb = data.draw(broadcastable_shapes(2))
    a = data.draw(tensors(sa, elements=elements_a))
    b = data.draw(tensors(sb, elements=elements_b))
    return a, b


# --------------------------------------------------------------------------
# Binary arithmetic under broadcasting
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a * a + b,  # a reused: contributions accumulate
    ],
    ids=["add", "sub", "mul", "reuse"],
)
@given(data=st.data())
def test_arithmetic_broadcasts(fn, data):
    a, b = _pair(data)
    gradcheck(fn, a, b)


@given(data=st.data())
def test_division_broadcasts(data):
    a, b = _pair(data, elements_b=GRID)  # |b| >= 1/16
    gradcheck(lambda a, b: a / b, a, b)


@given(data=st.data())
def test_tensor_power_broadcasts(data):
    a, b = _pair(data, elements_a=POSITIVE, elements_b=st.floats(-2.0, 2.0))
    gradcheck(lambda a, b: a**b, a, b)


@given(a=tensors(elements=GRID), c=st.floats(-3.0, 3.0))
def test_python_numbers_on_either_side(a, c):
    gradcheck(lambda a: (c + a) * 2.5 - a / 4 + (1 - a) * c + 3 / a, a)


@given(data=st.data())
def test_ndarray_constants_on_either_side(data):
    sa, sc = data.draw(broadcastable_shapes(2))
    a = data.draw(tensors(sa, elements=GRID))
    c = data.draw(tensors(sc, elements=GRID, requires_grad=False)).data
    gradcheck(lambda a: c * a + a - c + c / a + (c - a) * (1 / c - 1), a)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, 0.5, -1.5])
@given(a=tensors(elements=POSITIVE))
def test_scalar_powers(exponent, a):
    gradcheck(lambda a: a**exponent, a)


@given(a=tensors(elements=st.floats(-2.0, 2.0)), base=st.sampled_from([0.5, 2.0, np.e]))
def test_number_to_tensor_power(a, base):
    gradcheck(lambda a: base**a, a)


@given(data=st.data())
def test_matmul_including_1d_operands(data):
    sa, sb = data.draw(matmul_shapes(max_batch_dims=1))
    a, b = data.draw(tensors(sa)), data.draw(tensors(sb))
    gradcheck(lambda a, b: a @ b, a, b)
    gradcheck(lambda a: a @ b.data, a)
    gradcheck(lambda b: a.data @ b, b)


# --------------------------------------------------------------------------
# Elementwise functions
# --------------------------------------------------------------------------

UNARY = {
    "neg": (lambda x: -x, None),
    "exp": (lambda x: x.exp(), st.floats(-5.0, 5.0)),
    "log": (lambda x: x.log(), POSITIVE),
    "sqrt": (lambda x: x.sqrt(), POSITIVE),
    "tanh": (lambda x: x.tanh(), st.floats(-4.0, 4.0)),
    "sigmoid": (lambda x: x.sigmoid(), None),
    "relu": (lambda x: x.relu(), GRID),
    "leaky_relu": (lambda x: x.leaky_relu(0.2), GRID),
    "softplus": (lambda x: x.softplus(), None),
    "mish": (lambda x: x.mish(), None),
    "abs": (lambda x: x.abs(), GRID),
    "sign": (lambda x: x.sign() * x, GRID),
    "clip": (lambda x: x.clip(-1.0, 0.5), GRID),
    "clip_lo": (lambda x: x.clip(lo=0.25), GRID),
    "clip_hi": (lambda x: x.clip(hi=-0.25), GRID),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_elementwise(name, data):
    fn, elements = UNARY[name]
    x = data.draw(tensors(elements=elements))
    gradcheck(fn, x)


@pytest.mark.parametrize("fn", [maximum, minimum], ids=["maximum", "minimum"])
@given(data=st.data())
def test_maximum_minimum_away_from_ties(fn, data):
    a, b = _pair(data, elements_a=GRID, elements_b=ON_GRID)
    gradcheck(fn, a, b)
    gradcheck(lambda a: fn(a, 0.0), a)


@given(data=st.data())
def test_where(data):
    sc, sa, sb = data.draw(broadcastable_shapes(3))
    cond = data.draw(hnp.arrays(bool, sc))
    a, b = data.draw(tensors(sa)), data.draw(tensors(sb))
    gradcheck(lambda a, b: where(cond, a, b), a, b)
    gradcheck(lambda a: where(cond, a, 2.0), a)


# --------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp"])
@given(data=st.data(), keepdims=st.booleans())
def test_reductions(name, data, keepdims):
    x = data.draw(tensors(shapes(min_dims=0, max_dims=3)))
    axis = data.draw(axes_for(x.shape))
    gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), x)


@given(data=st.data(), keepdims=st.booleans())
def test_var_with_ddof(data, keepdims):
    x = data.draw(tensors(shapes(min_dims=1, max_dims=3, min_side=2)))
    axis = data.draw(axes_for(x.shape, allow_none=False))
    gradcheck(lambda x: x.var(axis=axis, keepdims=keepdims, ddof=1), x)


@pytest.mark.parametrize("name", ["max", "min"])
@given(data=st.data(), keepdims=st.booleans())
def test_max_min_without_ties(name, data, keepdims):
    x = data.draw(tensors(shapes(), elements=GRID, unique=True))
    axis = data.draw(axes_for(x.shape))
    gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family(name, data):
    x = data.draw(tensors(shapes(min_dims=1)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    gradcheck(lambda x: getattr(x, name)(axis=axis), x)


# --------------------------------------------------------------------------
# Shapes and indexing
# --------------------------------------------------------------------------


@given(data=st.data())
def test_reshape_and_flatten(data):
    x = data.draw(tensors())
    gradcheck(lambda x: x.reshape(x.shape[::-1]), x)
    gradcheck(lambda x: x.reshape(-1), x)
    gradcheck(lambda x: x.flatten(), x)
    if x.ndim >= 2:
        gradcheck(lambda x: x.flatten(start_dim=1), x)


@given(data=st.data())
def test_transpose_with_random_permutation(data):
    x = data.draw(tensors(shapes(min_dims=1)))
    order = data.draw(st.permutations(range(x.ndim)))
    gradcheck(lambda x: x.transpose(*order), x)
    gradcheck(lambda x: x.permute(order) * 1.0, x)
    gradcheck(lambda x: x.T, x)


@given(data=st.data())
def test_broadcast_to_squeeze_unsqueeze(data):
    small, big = data.draw(broadcastable_shapes(2))
    target = np.broadcast_shapes(small, big)
    x = data.draw(tensors(small))
    gradcheck(lambda x: x.broadcast_to(target), x)
    gradcheck(lambda x: x.squeeze(), x)
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    gradcheck(lambda x: x.unsqueeze(axis), x)


@given(data=st.data())
def test_basic_indexing(data):
    x = data.draw(tensors(shapes(min_dims=1)))
    index = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    gradcheck(lambda x: x[index], x)


@given(data=st.data())
def test_integer_array_indexing_with_repeats(data):
    x = data.draw(tensors(shapes(min_dims=1)))
    n = x.shape[0]
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6))
    gradcheck(lambda x: x[idx], x)  # repeated indices must accumulate
    gradcheck(lambda x: x[np.array(idx)] * 2.0, x)
    if x.ndim >= 2:
        cols = data.draw(
            st.lists(st.integers(0, x.shape[1] - 1), min_size=len(idx), max_size=len(idx))
        )
        gradcheck(lambda x: x[np.array(idx), np.array(cols)], x)


@given(data=st.data())
def test_boolean_mask_indexing(data):
    x = data.draw(tensors(shapes(min_dims=1)))
    mask = data.draw(tensors(x.shape, requires_grad=False)).data > 0
    gradcheck(lambda x: x[mask], x)


@given(data=st.data())
def test_concatenate_and_stack(data):
    shape = data.draw(shapes(min_dims=1))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = list(shape)
    other[axis] = data.draw(st.integers(1, 3))
    a, b = data.draw(tensors(shape)), data.draw(tensors(tuple(other)))
    c = data.draw(tensors(shape, requires_grad=False))
    gradcheck(lambda a, b: concatenate([a, c, b], axis=axis), a, b)
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    gradcheck(lambda a: stack([a, c, a * 2.0], axis=stack_axis), a)


# --------------------------------------------------------------------------
# Against PyTorch (skipped cleanly without torch)
# --------------------------------------------------------------------------

RNG = np.random.default_rng(7)


def _rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


TORCH_CASES = {
    "add_broadcast": ((_rand(3, 1, 4), _rand(2, 1)), lambda a, b: a + b, lambda a, b: a + b),
    "sub_div": (
        (_rand(2, 3), _rand(3, low=0.5, high=2)),
        lambda a, b: (a - b) / b,
        lambda a, b: (a - b) / b,
    ),
    "pow": (
        (_rand(2, 3, low=0.5, high=2), _rand(3)),
        lambda a, b: a**b,
        lambda a, b: a**b,
    ),
    "matmul_1d_left": ((_rand(3), _rand(2, 3, 4)), lambda a, b: a @ b, lambda a, b: a @ b),
    "matmul_1d_right": ((_rand(2, 4, 3), _rand(3)), lambda a, b: a @ b, lambda a, b: a @ b),
    "matmul_batched": ((_rand(2, 1, 2, 3), _rand(4, 3, 2)), lambda a, b: a @ b, lambda a, b: a @ b),
    "matmul_1d_1d": ((_rand(3), _rand(3)), lambda a, b: a @ b, lambda a, b: a @ b),
    "unary_chain": (
        (_rand(2, 5),),
        lambda a: a.exp().tanh() + a.sigmoid() * a.softplus() - a.mish() + a.abs().sqrt().log(),
        lambda a: (
            a.exp().tanh()
            + a.sigmoid() * _torch().nn.functional.softplus(a)
            - _torch().nn.functional.mish(a)
            + a.abs().sqrt().log()
        ),
    ),
    "relu_leaky_clip": (
        (_rand(4, 3),),
        lambda a: a.relu() + a.leaky_relu(0.1) + a.clip(-0.5, 0.7),
        lambda a: a.relu() + _torch().nn.functional.leaky_relu(a, 0.1) + a.clamp(-0.5, 0.7),
    ),
    "reductions": (
        (_rand(2, 3, 4),),
        lambda a: a.sum(axis=(0, 2)) + a.mean(axis=-1).sum(axis=0) + a.max(axis=2).min(axis=0),
        lambda a: a.sum(dim=(0, 2)) + a.mean(dim=-1).sum(dim=0) + a.amax(dim=2).amin(dim=0),
    ),
    "var": ((_rand(3, 4),), lambda a: a.var(axis=1, ddof=1), lambda a: a.var(dim=1)),
    "softmax_family": (
        (_rand(3, 5) * 30,),
        lambda a: a.softmax(axis=0) + a.log_softmax(axis=1) + a.logsumexp(axis=1, keepdims=True),
        lambda a: a.softmax(dim=0) + a.log_softmax(dim=1) + a.logsumexp(dim=1, keepdim=True),
    ),
    "shapes": (
        (_rand(2, 3, 4),),
        lambda a: a.transpose(2, 0, 1).reshape(4, 6).unsqueeze(0).squeeze(0).flatten()[::5],
        lambda a: a.permute(2, 0, 1).reshape(4, 6).unsqueeze(0).squeeze(0).flatten()[::5],
    ),
    "fancy_index_repeats": (
        (_rand(4, 3),),
        lambda a: a[[0, 2, 0, 0], [1, 1, 1, 2]],
        lambda a: a[[0, 2, 0, 0], [1, 1, 1, 2]],
    ),
    "max_min_elementwise": (
        (_rand(3, 4), _rand(4)),
        lambda a, b: maximum(a, b) * minimum(a, b),
        lambda a, b: _torch().maximum(a, b) * _torch().minimum(a, b),
    ),
    "where_mask_index": (
        (_rand(3, 4), _rand(4)),
        lambda a, b: where(a.data > 0, a, b)[a.data < 1] * 2.0,
        lambda a, b: _torch().where(a.detach() > 0, a, b)[a.detach() < 1] * 2.0,
    ),
    "sign_abs_neg_pow": (
        (_rand(5),),
        lambda a: a.sign() * a.abs() ** 1.5 - 3.0 / (a * a + 1.0) + 2.0**a,
        lambda a: a.sign() * a.abs() ** 1.5 - 3.0 / (a * a + 1.0) + 2.0**a,
    ),
    "concat_stack": (
        (_rand(2, 3), _rand(2, 3)),
        lambda a, b: concatenate([a, b], axis=1) + stack([a, b], axis=1).reshape(2, 6),
        lambda a, b: _torch().cat([a, b], dim=1) + _torch().stack([a, b], dim=1).reshape(2, 6),
    ),
}


def _torch():
    import torch

    return torch


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_against_torch(name, torch):
    arrays, ours, theirs = TORCH_CASES[name]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = RNG.normal(size=out.shape)
    out.backward(cotangent)
    tout.backward(torch.tensor(cotangent))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


# The torch fixture only imports the module: sharing it across examples is safe.
TORCH_SETTINGS = settings(
    max_examples=25,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

BINARY_TORCH = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (maximum, lambda a, b: _torch().maximum(a, b)),
}


@pytest.mark.parametrize("name", sorted(BINARY_TORCH))
@TORCH_SETTINGS
@given(data=st.data())
def test_broadcasting_ops_match_torch(name, data, torch):
    ours, theirs = BINARY_TORCH[name]
    a, b = _pair(data, elements_a=GRID, elements_b=ON_GRID.filter(lambda v: v != 0))
    _compare_with_torch(torch, ours, theirs, a, b)


@TORCH_SETTINGS
@given(data=st.data())
def test_matmul_matches_torch(data, torch):
    sa, sb = data.draw(matmul_shapes(max_batch_dims=1))
    _compare_with_torch(
        torch, lambda a, b: a @ b, lambda a, b: a @ b, *map(data.draw, map(tensors, (sa, sb)))
    )


@pytest.mark.parametrize("name", ["sum", "mean", "max", "logsumexp"])
@TORCH_SETTINGS
@given(data=st.data(), keepdims=st.booleans())
def test_reductions_match_torch(name, data, keepdims, torch):
    x = data.draw(tensors(shapes(min_dims=1), elements=GRID))
    axis = data.draw(axes_for(x.shape, allow_none=False).filter(lambda a: a != ()))
    dims = axis if isinstance(axis, tuple) else (axis,)
    torch_name = {"max": "amax"}.get(name, name)
    _compare_with_torch(
        torch,
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        lambda t: getattr(t, torch_name)(dim=dims, keepdim=keepdims),
        x,
    )


def _compare_with_torch(torch, ours, theirs, *inputs):
    ts = [torch.tensor(x.data, requires_grad=True) for x in inputs]
    out, tout = ours(*inputs), theirs(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    cotangent = np.random.default_rng(0).normal(size=out.shape)
    out.backward(cotangent)
    tout.backward(torch.tensor(cotangent))
    for x, t in zip(inputs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
