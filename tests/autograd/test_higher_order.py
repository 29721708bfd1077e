"""Differentiable gradients on Value: create_graph, gradgradcheck, the functional API."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from value_cases import UNARY

from autograd import (
    GradcheckError,
    Value,
    define_op,
    grad,
    gradcheck,
    gradgradcheck,
    gradients,
    hessian,
    hvp,
    jacobian,
    value_and_grad,
)
from autograd.testing import finite_floats, values

TOL = {"atol": 1e-6, "rtol": 1e-5}


def test_backward_create_graph_gives_differentiable_grads():
    x = Value(3.0)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 27.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 18.0  # d²(x³)/dx² = 6x


def test_plain_backward_still_gives_floats():
    x = Value(3.0)
    (x**3).backward()
    assert type(x.grad) is float


@given(data=st.data())
def test_second_derivatives_of_every_unary_op(data):
    for name, (fn, strategy) in UNARY.items():
        x = data.draw(strategy, label=name)
        gradgradcheck(fn, x, **TOL)


@given(a=values(-2, 2), b=values(away_from=(0.0,), margin=0.2, min_value=-3, max_value=3))
def test_second_derivatives_of_binary_ops(a, b):
    gradgradcheck(lambda a, b: a * b, a, b, **TOL)
    gradgradcheck(lambda a, b: a / b, a, b, **TOL)
    gradgradcheck(lambda a, b: (a - b) * (a + b), a, b, **TOL)
    gradgradcheck(lambda a, b: (a * b).tanh() * b.exp(), a, b, **TOL)


@given(a=st.floats(0.2, 3.0).map(Value), b=values(-2, 2))
def test_second_derivatives_of_value_power_value(a, b):
    gradgradcheck(lambda a, b: a**b, a, b, **TOL)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # The first derivative is right; the recorded graph of it is off: a term whose value is 0
    # but whose derivative is 0.001 (only when recorded, i.e. under create_graph).
    tanh_wrong = define_op(
        "tanh_wrong",
        forward=lambda m, x: m.tanh(x),
        derivative=lambda m, x, out: (1 - out * out)
        + (0.0 if m.is_constant(x) else 0.001 * (x - x.data)),
        register=False,
    )
    x = Value(0.4)
    gradcheck(tanh_wrong, x, **TOL)  # first order: right
    with pytest.raises(GradcheckError):
        gradgradcheck(tanh_wrong, x, **TOL)


def test_gradgradcheck_catches_a_derivative_that_is_not_differentiable():
    # The usual bug: the rule reads .data, so its graph is cut and the second derivative is 0.
    tanh_detached = define_op(
        "tanh_detached",
        forward=lambda m, x: m.tanh(x),
        derivative=lambda m, out: 1 - (out.data if isinstance(out, Value) else out) ** 2,
        register=False,
    )
    with pytest.raises(GradcheckError):
        gradgradcheck(tanh_detached, Value(0.4), **TOL)


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def test_rosenbrock_hessian_closed_form():
    for x, y in [(1.0, 1.0), (-1.2, 1.0), (0.5, -0.3)]:
        H = np.array(hessian(rosenbrock, argnums=(0, 1))(x, y))
        expected = np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]])
        np.testing.assert_allclose(H, expected, rtol=1e-12)


def test_grad_value_and_grad_and_argnums():
    f = lambda x, y: x**2 * y + y.exp()  # noqa: E731
    assert grad(f)(3.0, 1.0) == pytest.approx(6.0)
    gx, gy = grad(f, argnums=(0, 1))(3.0, 1.0)
    assert (gx, gy) == (pytest.approx(6.0), pytest.approx(9.0 + math.e))
    value, g = value_and_grad(f, argnums=1)(3.0, 1.0)
    assert value == pytest.approx(9 + math.e) and g == pytest.approx(9 + math.e)
    assert grad(f, argnums=-1)(3.0, 1.0) == pytest.approx(9 + math.e)


def test_nested_grad_is_the_second_and_third_derivative():
    d1 = grad(lambda x: x.sin())
    d2 = grad(d1)
    d3 = grad(d2)
    assert d2(0.5) == pytest.approx(-math.sin(0.5))
    assert d3(0.5) == pytest.approx(-math.cos(0.5))
    assert hessian(lambda x: x**3)(2.0) == pytest.approx(12.0)


def test_hvp_matches_hessian_times_vector():
    assert hvp(lambda x: x**3, 2.0, 1.5) == pytest.approx(6 * 2.0 * 1.5)


def test_functional_api_touches_no_grad():
    x = Value(2.0)
    x.grad = 7.0
    assert grad(lambda v: v * v)(x).data == 4.0
    assert x.grad == 7.0


def test_gradients_is_side_effect_free_and_reports_unreached_inputs():
    x, y, z = Value(2.0), Value(3.0), Value(4.0)
    out = x * y
    gx, gy, gz = gradients((out,), (1.0,), (x, y, z))
    assert (gx, gy, gz) == (3.0, 2.0, None)
    assert x.grad == y.grad == out.grad == 0.0


def test_jacobian_of_a_scalar_function_of_a_number():
    assert jacobian(lambda x: x.exp())(0.0) == pytest.approx(1.0)


def test_function_of_inputs_not_depending_on_them_has_zero_gradient():
    assert grad(lambda x: Value(3.0))(1.0) == 0.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: grad(lambda x: x)(1.0, argnums=0), TypeError, "unexpected keyword"),
        (lambda: grad(lambda x, y: x, argnums=2)(1.0, 2.0), ValueError, "out of range"),
        (lambda: grad(lambda x: x)("a"), TypeError, "argument 0 is a str"),
        (lambda: grad(lambda x: 3.0)(1.0), TypeError, "scalar"),
        (lambda: grad(lambda x: x, argnums=())(1.0), ValueError, "at least one"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(x=finite_floats(-2, 2), y=finite_floats(-2, 2))
def test_hessian_is_symmetric(x, y):
    f = lambda a, b: (a * b).sin() + a**2 * b.exp()  # noqa: E731
    H = np.array(hessian(f, argnums=(0, 1))(x, y))
    assert H[0, 1] == pytest.approx(H[1, 0], rel=1e-9, abs=1e-12)
