"""Every Value op's gradient against finite differences, with hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from value_cases import UNARY

from autograd import Value, gradcheck
from autograd.testing import finite_floats, floats_away_from, positive_floats, values

TOL = {"atol": 1e-6, "rtol": 1e-5}


@given(data=st.data())
def test_unary_ops_match_finite_differences(data):
    for name, (fn, strategy) in UNARY.items():
        x = data.draw(strategy, label=name)
        gradcheck(fn, x, **TOL)


@given(a=values(-3, 3), b=values(away_from=(0.0,), margin=0.1), c=finite_floats(-3, 3))
def test_binary_ops_match_finite_differences(a, b, c):
    gradcheck(lambda a, b: a + b, a, b, **TOL)
    gradcheck(lambda a, b: a - b, a, b, **TOL)
    gradcheck(lambda a, b: a * b, a, b, **TOL)
    gradcheck(lambda a, b: a / b, a, b, **TOL)
    gradcheck(lambda a, b: a * c - c / b + c, a, b, **TOL)


@given(a=positive_floats(0.1, 4).map(lambda x: Value(x)), b=values(-2, 2))
def test_value_power_value_matches_finite_differences(a, b):
    gradcheck(lambda a, b: a**b, a, b, **TOL)


@given(x=floats_away_from((0.0,), 0.05, -3, 3), w=finite_floats(-2, 2))
def test_composite_neuron(x, w):
    xs, ws = Value(x), Value(w)
    gradcheck(lambda xs, ws: (xs * ws + 0.5).tanh() * (ws - xs).sigmoid(), xs, ws, **TOL)


def test_every_unary_op_against_torch(torch):
    import numpy as np

    F = torch.nn.functional
    ops = {
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,
        "mish": F.mish,
        "relu": torch.relu,
        "leaky_relu": F.leaky_relu,
        "abs": torch.abs,
        "sign": torch.sign,
        "sin": torch.sin,
        "cos": torch.cos,
    }
    points = [*np.linspace(-6, 6, 25).tolist(), 0.0, 1e-08, -1e-08, 30.0, -30.0]
    for name, torch_fn in ops.items():
        for x in points:
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            out_t = torch_fn(t)
            out_t.backward()
            v = Value(x)
            out_v = getattr(v, name)()
            out_v.backward()
            np.testing.assert_allclose(
                out_v.data, out_t.item(), rtol=1e-12, atol=1e-15, err_msg=name
            )
            np.testing.assert_allclose(v.grad, t.grad.item(), rtol=1e-12, atol=1e-15, err_msg=name)
