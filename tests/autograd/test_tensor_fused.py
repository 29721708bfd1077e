"""The fused Tensor ops: linear (x @ Wᵀ + b) and softmax_cross_entropy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor, gradcheck, gradgradcheck, linear, softmax_cross_entropy

TOL = {"atol": 1e-6, "rtol": 1e-5}


def param(rng, *shape):
    return Tensor(rng.normal(size=shape), requires_grad=True)


@given(
    batch=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 4),
    bias=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_linear_matches_finite_differences(batch, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    x = param(rng, *batch, n_in)
    W = param(rng, n_in, n_out)
    if bias:
        b = param(rng, n_out)
        gradcheck(lambda x, W, b: linear(x, W, b), x, W, b, **TOL)
    else:
        gradcheck(lambda x, W: linear(x, W), x, W, **TOL)


def test_linear_equals_matmul_plus_bias_and_keeps_float32():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    W = Tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.normal(size=4).astype(np.float32), requires_grad=True)
    out = linear(x, W, b)
    np.testing.assert_allclose(out.data, x @ W.data + b.data, rtol=1e-6)
    out.sum().backward()
    assert out.dtype == W.grad.dtype == b.grad.dtype == np.float32
    assert out._prev == (W, b)  # the constant input is not a parent


def test_linear_against_torch(torch):
    rng = np.random.default_rng(1)
    xs, Ws, bs, gs = (
        rng.normal(size=(2, 5, 3)),
        rng.normal(size=(3, 4)),
        rng.normal(size=4),
        rng.normal(size=(2, 5, 4)),
    )
    x, W, b = (Tensor(a, requires_grad=True) for a in (xs, Ws, bs))
    linear(x, W, b).backward(gs)
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (xs, Ws, bs))
    torch.nn.functional.linear(tx, tW.T, tb).backward(torch.tensor(gs))  # torch: (out, in)
    for ours, theirs in ((x, tx), (W, tW), (b, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones((2, 3)), np.ones((2, 4))), "needs 2 features"),
        ((np.ones((2, 3)), np.ones(3)), "weight must be 2-D"),
        ((np.ones((2, 3)), np.ones((3, 4)), np.ones(3)), "bias must have shape"),
    ],
)
def test_linear_shape_errors(args, message):
    with pytest.raises(ValueError, match=message):
        linear(*args)


@given(
    n=st.integers(1, 5),
    c=st.integers(1, 5),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_cross_entropy_matches_finite_differences(n, c, reduction, seed):
    rng = np.random.default_rng(seed)
    z = param(rng, n, c)
    target = rng.integers(0, c, n)
    gradcheck(lambda z: softmax_cross_entropy(z, target, reduction), z, **TOL)
    gradgradcheck(lambda z: softmax_cross_entropy(z, target, reduction), z, **TOL)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_against_torch(torch, reduction):
    rng = np.random.default_rng(2)
    zs, target = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, 6)
    zs[0] = [1000.0, -1000.0, 0.0, 999.0]  # extreme logits
    z = Tensor(zs, requires_grad=True)
    loss = softmax_cross_entropy(z, target, reduction)
    cot = rng.normal(size=loss.shape)
    loss.backward(cot)
    tz = torch.tensor(zs, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tz, torch.tensor(target), reduction=reduction)
    tl.backward(torch.tensor(cot))
    np.testing.assert_allclose(loss.data, tl.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_softmax_cross_entropy_is_finite_at_extreme_logits(scale):
    z = Tensor([[scale, -scale, 0.0], [0.0, scale, -scale]], dtype=np.float32, requires_grad=True)
    loss = softmax_cross_entropy(z, [1, 2])
    loss.backward()
    assert np.isfinite(loss.data).all() and np.isfinite(z.grad).all()
    assert loss.dtype == np.float32


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        ([0, 3], ValueError, r"must lie in \[0, 3\)"),
        ([0], ValueError, "must have shape"),
        ([0.5, 1.0], TypeError, "integer class indices"),
    ],
)
def test_softmax_cross_entropy_bad_targets(target, error, message):
    with pytest.raises(error, match=message):
        softmax_cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), target)


def test_softmax_cross_entropy_bad_reduction_and_shape():
    with pytest.raises(ValueError, match="reduction"):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 1], "avg")
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        softmax_cross_entropy(np.zeros(3), [0])
