"""Differentiable gradients on Tensor: every op's second derivative, Hessians, hvp, Newton."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor, grad, gradgradcheck, hessian, hvp, jacobian

TOL = {"atol": 1e-6, "rtol": 1e-5}


def make(rng, *shape, lo=-1.0, hi=1.0):
    return Tensor(rng.uniform(lo, hi, shape), requires_grad=True)


def cases(rng):
    """(name, function, inputs): inputs kept away from kinks, poles and ties."""
    t = lambda *shape, **kw: make(rng, *shape, **kw)  # noqa: E731
    return [
        ("add", lambda a, b: (a + b) ** 2, [t(3, 4), t(4)]),
        ("sub", lambda a, b: a - b * 2.0, [t(3, 4), t(1, 4)]),
        ("mul", lambda a, b: a * b * b, [t(3, 4), t(3, 1)]),
        ("div", lambda a, b: a / b, [t(3, 4), t(4, lo=0.5, hi=2.0)]),
        ("rdiv", lambda a: 2.0 / a, [t(4, lo=0.5, hi=2.0)]),
        ("pow", lambda a, b: a**b, [t(3, lo=0.5, hi=2.0), t(3)]),
        ("pow_const", lambda a: a**3, [t(3)]),
        ("rpow", lambda a: 2.0**a, [t(3)]),
        ("neg", lambda a: -(a * a), [t(3)]),
        ("matmul", lambda a, b: a @ b, [t(3, 4), t(4, 2)]),
        ("matmul_1d_left", lambda a, b: (a @ b) * (a @ b), [t(4), t(4, 2)]),
        ("matmul_1d_right", lambda a, b: (a @ b) ** 2, [t(3, 4), t(4)]),
        ("matmul_1d_both", lambda a, b: (a @ b) ** 2, [t(4), t(4)]),
        ("matmul_batched", lambda a, b: (a @ b) ** 2, [t(2, 3, 4), t(4, 2)]),
        ("maximum", lambda a, b: autograd.maximum(a, b) ** 2, [t(3, 4), t(4)]),
        ("minimum", lambda a, b: autograd.minimum(a, b) ** 2, [t(3, 4), t(4)]),
        ("where", lambda a, b: autograd.where(a.data > 0, a * a, b * b), [t(3, 4), t(4)]),
        ("exp", lambda a: a.exp(), [t(5)]),
        ("log", lambda a: a.log(), [t(5, lo=0.5, hi=2.0)]),
        ("sqrt", lambda a: a.sqrt(), [t(5, lo=0.5, hi=2.0)]),
        ("tanh", lambda a: a.tanh(), [t(5)]),
        ("sigmoid", lambda a: a.sigmoid(), [t(5)]),
        ("relu", lambda a: a.relu() * a, [t(5)]),
        ("leaky_relu", lambda a: a.leaky_relu(0.1) * a, [t(5)]),
        ("softplus", lambda a: a.softplus(), [t(5)]),
        ("mish", lambda a: a.mish(), [t(5)]),
        ("abs", lambda a: a.abs() * a, [t(5)]),
        ("sign", lambda a: a.sign() * a * a, [t(5)]),
        ("clip", lambda a: a.clip(-0.5, 0.5) * a, [t(5)]),
        ("sum", lambda a: a.sum(axis=0) ** 2, [t(3, 4)]),
        ("mean", lambda a: a.mean(axis=(0, 1), keepdims=True) ** 2, [t(3, 4)]),
        ("max", lambda a: a.max(axis=1) ** 2, [t(3, 4)]),
        ("min", lambda a: a.min(axis=0) ** 2, [t(3, 4)]),
        ("var", lambda a: a.var(axis=1), [t(3, 4)]),
        ("softmax", lambda a: a.softmax(axis=1), [t(3, 4)]),
        ("log_softmax", lambda a: a.log_softmax(axis=0), [t(3, 4)]),
        ("logsumexp", lambda a: a.logsumexp(axis=1), [t(3, 4)]),
        ("reshape", lambda a: a.reshape(4, 3) ** 2, [t(3, 4)]),
        ("transpose", lambda a: a.transpose(1, 0) ** 2, [t(3, 4)]),
        ("broadcast_to", lambda a: a.broadcast_to(3, 4) ** 2, [t(4)]),
        ("getitem_repeated", lambda a: a[[0, 0, 2]] ** 2, [t(3, 4)]),
        ("getitem_slices", lambda a: a[1:, ::2] ** 2, [t(3, 4)]),
        ("concatenate", lambda a, b: autograd.concatenate([a, b], axis=1) ** 2, [t(3, 4), t(3, 2)]),
        ("stack", lambda a, b: autograd.stack([a, b], axis=1) ** 2, [t(3, 4), t(3, 4)]),
    ]


@pytest.mark.parametrize("index", range(len(cases(np.random.default_rng(0)))))
def test_second_derivative_of_every_tensor_op(index):
    _name, fn, inputs = cases(np.random.default_rng(index))[index]
    gradgradcheck(fn, *inputs, **TOL)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1))
def test_second_derivatives_of_every_tensor_op_on_random_inputs(seed):
    for _name, fn, inputs in cases(np.random.default_rng(seed)):
        gradgradcheck(fn, *inputs, **TOL)


@given(seed=st.integers(0, 2**32 - 1))
def test_second_derivatives_of_a_small_network(seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=(4, 3)))
    W = make(rng, 3, 5)
    V = make(rng, 5, 2)

    def loss(W, V):
        return ((x @ W).tanh() @ V).log_softmax(axis=1)[[0, 1, 2, 3], [0, 1, 1, 0]].mean()

    gradgradcheck(loss, W, V, **TOL)


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def test_rosenbrock_hessian_closed_form_on_tensors():
    for x, y in [(-1.2, 1.0), (1.0, 1.0), (0.3, -0.7)]:
        H = hessian(rosenbrock)(np.array([x, y]))
        expected = np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]])
        np.testing.assert_allclose(H, expected, rtol=1e-12)


def test_hvp_equals_hessian_times_vector():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4))

    def f(x):
        return ((x @ A) * x).sum() + (x**4).sum()

    x0, v = rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(hvp(f, x0, v), hessian(f)(x0) @ v, rtol=1e-10)
    np.testing.assert_allclose(hessian(f)(x0), A + A.T + np.diag(12 * x0**2), rtol=1e-10)


def test_jacobian_of_a_vector_function():
    x0 = np.array([0.3, -0.2, 0.5])
    J = jacobian(lambda x: x.softmax())(x0)
    s = np.exp(x0) / np.exp(x0).sum()
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=1e-12)


def test_grad_of_tensor_function_returns_an_array():
    g = grad(lambda x: (x**2).sum())(np.array([1.0, 2.0]))
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, [2.0, 4.0])


def test_grad_of_non_scalar_output_is_a_clear_error():
    with pytest.raises(TypeError, match="jacobian"):
        grad(lambda x: x * 2)(np.array([1.0, 2.0]))


def test_backward_create_graph_on_tensors():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 12.0])  # d²/dx² x³ = 6x
