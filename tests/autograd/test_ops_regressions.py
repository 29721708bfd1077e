"""Regressions the peer suites found, one test each, and what porters from PyTorch reach for.

Masks select (PyTorch's threshold_backward, clamp_backward, where): an
infinite upstream gradient through an exactly-zero local derivative gives 0,
not 0·inf = nan.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value, maximum, minimum, where

INF = math.inf


def _grad_with_upstream(make, x, upstream):
    t = Tensor(x, requires_grad=True, dtype=np.float64)
    make(t).backward(grad=np.asarray(upstream, dtype=np.float64))
    return t.grad


def test_relu_then_sqrt_gives_zero_not_nan():
    x = Tensor([-1.0, 0.5], requires_grad=True)
    x.relu().sqrt().sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5 / math.sqrt(0.5)])


def test_value_relu_then_log_gives_zero_not_nan():
    x = Value(-1.0)
    x.relu().log().backward()  # log'(0) = inf, relu' = 0 there: selected, so 0
    assert x.grad == 0.0


@pytest.mark.parametrize(
    "make, x, expected",
    [
        (lambda t: t.relu(), [-1.0, 0.0, 2.0], [0.0, 0.0, INF]),
        (lambda t: t.clip(-1.0, 1.0), [-2.0, 0.5, 3.0], [0.0, INF, 0.0]),
        (lambda t: t.sign(), [-1.0, 0.0, 2.0], [0.0, 0.0, 0.0]),
        (lambda t: t.abs(), [0.0], [0.0]),
        (lambda t: t**0, [0.0, 2.0, -3.0], [0.0, 0.0, 0.0]),
        (lambda t: t.max(), [1.0, 3.0, 3.0], [0.0, INF, INF]),
        (lambda t: t.min(), [1.0, 1.0, 3.0], [INF, INF, 0.0]),
        (lambda t: maximum(t, 2.0), [1.0, 3.0], [0.0, INF]),
        (lambda t: minimum(t, 2.0), [1.0, 3.0], [INF, 0.0]),
        (lambda t: where(np.array([True, False]), t, 0.0), [1.0, 1.0], [INF, 0.0]),
    ],
    ids=["relu", "clip", "sign", "abs_at_0", "pow_0", "max_ties", "min_ties", "maximum",
         "minimum", "where"],
)
def test_masks_select_an_infinite_upstream_gradient(make, x, expected):
    out_shape = np.shape(make(Tensor(x)).data)
    upstream = np.full(out_shape, INF)
    grad = _grad_with_upstream(make, x, upstream)
    np.testing.assert_array_equal(grad, expected)


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda v: v.relu(), -1.0),
        (lambda v: v.abs(), 0.0),
        (lambda v: v.sign(), 2.0),
        (lambda v: v**0, 0.0),
        (lambda v: Value(0.0) ** v, 2.0),
    ],
    ids=["relu", "abs_at_0", "sign", "pow_0", "zero_base"],
)
def test_value_masks_select_an_infinite_upstream_gradient(make, x):
    v = Value(x)
    make(v).backward(INF)
    assert v.grad == 0.0


def test_a_tuple_inside_an_index_is_a_fancy_index_and_repeats_accumulate():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x[:, (0, 0)].sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0, 0], [2, 0, 0]])
    y = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y[(1, 1),].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0, 0], [2, 2, 2]])
    np.testing.assert_array_equal(y[(1, 1),].data, np.arange(6.0).reshape(2, 3)[(1, 1),])


@pytest.mark.parametrize("ddof", [2, 3])
def test_var_without_enough_degrees_of_freedom_is_inf_as_numpy(ddof):
    data = np.array([1.0, 2.0])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.var(data, ddof=ddof)
    assert np.isinf(expected)
    assert Tensor(data).var(ddof=ddof).item() == expected


def test_no_numpy_warning_escapes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(Tensor([INF, -INF]).sum().item())
        empty = Tensor(np.zeros((0, 3)), requires_grad=True)
        assert np.isnan(empty.var(axis=0).data).all()
        assert np.isnan(empty.mean(axis=0).data).all()
        x = Tensor([1000.0], requires_grad=True)
        x.exp().backward(grad=np.array([0.0]))  # 0 · e^1000 = 0 · inf
        assert np.isnan(x.grad[0])
        y = Tensor([0.0, -1.0], requires_grad=True)
        y.log().sum().backward()
        assert y.grad[0] == INF


@pytest.mark.parametrize("x0", [-0.0, -INF, 0.0, INF, 2.25])
def test_value_sqrt_power_agrees_with_tensor_and_torch_at_the_edges(x0):
    v = Value(x0)
    out = v**0.5
    out.backward()
    t = Tensor([x0], requires_grad=True)
    root = t**0.5
    root.sum().backward()
    for ours, theirs in ((out.data, root.data[0]), (v.grad, t.grad[0])):
        assert (ours == theirs or (math.isnan(ours) and math.isnan(theirs)))
        assert math.copysign(1.0, ours) == math.copysign(1.0, theirs) or math.isnan(ours)
    torch = pytest.importorskip("torch")
    tt = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    r = tt**0.5
    r.backward()
    np.testing.assert_equal([out.data, v.grad], [r.item(), tt.grad.item()])
    assert math.copysign(1.0, out.data) == math.copysign(1.0, r.item()) or math.isnan(out.data)


def test_porters_comparisons_float_pos_and_swapaxes():
    t = Tensor([[-1.0, 2.0, 0.0]])
    mask = t > 0
    assert isinstance(mask, np.ndarray) and mask.dtype == np.bool_
    np.testing.assert_array_equal(mask, [[False, True, False]])
    for result, expected in (
        (t < 0, [[True, False, False]]),
        (t >= 0, [[False, True, True]]),
        (t <= 0, [[True, False, True]]),
        (t == 0, [[False, False, True]]),
        (t != 0, [[True, True, False]]),
    ):
        np.testing.assert_array_equal(result, expected)
    x = Tensor([[-1.0, 2.0, 0.0]], requires_grad=True)
    where(x > 0, x, 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0]])
    assert len({x, x}) == 1  # still hashable, by identity

    v = Value(2.0)
    assert (v > 1) is True and (v < 1) is False
    assert (v >= 2.0) is True and (v <= Value(1.0)) is False
    assert (v == 2.0) is True and (v != Value(2.0)) is False and v in {v}
    assert float(v) == 2.0 and (+v) is v and float(Tensor([3.5])) == 3.5

    m = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    s = m.swapaxes(0, 1)
    assert s.shape == (3, 2) and np.array_equal(s.data, m.data.T)
    weights = np.arange(6.0).reshape(3, 2)
    (s * weights).sum().backward()
    np.testing.assert_array_equal(m.grad, weights.T)
    assert m.transpose(0, 1).shape == (2, 3)  # numpy's transpose: a permutation, here the identity
    assert "swapaxes" in Tensor.transpose.__doc__
