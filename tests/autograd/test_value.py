"""Value: micrograd compatibility, every op's value and gradient, edge conventions, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value, no_grad


def micrograd_readme(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_readme_example():
    a, b, g = micrograd_readme(Value)
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_same_numbers_as_micrograd_itself():
    engine = pytest.importorskip("micrograd.engine")
    a, b, g = micrograd_readme(Value)
    ma, mb, mg = micrograd_readme(engine.Value)
    assert g.data == pytest.approx(mg.data, rel=1e-12)
    assert a.grad == pytest.approx(ma.grad, rel=1e-12)
    assert b.grad == pytest.approx(mb.grad, rel=1e-12)


def test_prev_is_an_ordered_tuple_keeping_duplicates():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._prev == (a, b) and c._op == "*"
    d = a + a
    assert d._prev == (a, a)
    assert (b - a)._prev == (b, a)


def test_numbers_on_either_side_are_constants():
    a = Value(3.0)
    for expr, value, grad in [
        (lambda: a + 2, 5.0, 1.0),
        (lambda: 2 + a, 5.0, 1.0),
        (lambda: a - 2, 1.0, 1.0),
        (lambda: 2 - a, -1.0, -1.0),
        (lambda: a * 2, 6.0, 2.0),
        (lambda: 2 * a, 6.0, 2.0),
        (lambda: a / 2, 1.5, 0.5),
        (lambda: 6 / a, 2.0, -6 / 9),
        (lambda: a**2, 9.0, 6.0),
        (lambda: 2**a, 8.0, 8.0 * math.log(2)),
        (lambda: -a, -3.0, -1.0),
    ]:
        a.grad = 0.0
        out = expr()
        out.backward()
        assert out.data == pytest.approx(value)
        assert a.grad == pytest.approx(grad)
        assert all(isinstance(p, Value) for p in out._prev) and len(out._prev) == 1


@pytest.mark.parametrize(
    ("name", "x", "value", "grad"),
    [
        ("exp", 0.5, math.exp(0.5), math.exp(0.5)),
        ("log", 2.0, math.log(2.0), 0.5),
        ("sqrt", 4.0, 2.0, 0.25),
        ("tanh", 0.3, math.tanh(0.3), 1 - math.tanh(0.3) ** 2),
        (
            "sigmoid",
            0.3,
            1 / (1 + math.exp(-0.3)),
            (1 / (1 + math.exp(-0.3))) * (1 - 1 / (1 + math.exp(-0.3))),
        ),
        ("softplus", 0.3, math.log1p(math.exp(0.3)), 1 / (1 + math.exp(-0.3))),
        ("relu", 0.3, 0.3, 1.0),
        ("relu", -0.3, 0.0, 0.0),
        ("leaky_relu", -2.0, -0.02, 0.01),
        ("leaky_relu", 2.0, 2.0, 1.0),
        ("abs", -2.0, 2.0, -1.0),
        ("sign", -2.0, -1.0, 0.0),
        ("sin", 0.4, math.sin(0.4), math.cos(0.4)),
        ("cos", 0.4, math.cos(0.4), -math.sin(0.4)),
    ],
)
def test_unary_ops(name, x, value, grad):
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12)
    assert v.grad == pytest.approx(grad, rel=1e-12)


def test_mish_closed_form():
    x = 0.7
    v = Value(x)
    out = v.mish()
    out.backward()
    sp = math.log1p(math.exp(x))
    assert out.data == pytest.approx(x * math.tanh(sp))
    s = 1 / (1 + math.exp(-x))
    assert v.grad == pytest.approx(math.tanh(sp) + x * s * (1 - math.tanh(sp) ** 2))


def test_value_power_value():
    a, b = Value(2.0), Value(3.0)
    out = a**b
    out.backward()
    assert out.data == 8.0
    assert a.grad == pytest.approx(3 * 4.0)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


# -- non-differentiable points and domain edges: PyTorch's conventions ------


@pytest.mark.parametrize(
    ("name", "grad_at_zero"),
    [("relu", 0.0), ("abs", 0.0), ("sign", 0.0), ("leaky_relu", 0.01)],
)
def test_kinks_at_zero_follow_pytorch(name, grad_at_zero):
    v = Value(0.0)
    getattr(v, name)().backward()
    assert v.grad == grad_at_zero


def test_kinks_match_torch(torch):
    for name in ("relu", "abs", "sign"):
        t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        getattr(torch, name)(t).backward()
        v = Value(0.0)
        getattr(v, name)().backward()
        assert v.grad == t.grad.item(), name
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.leaky_relu(t, 0.01).backward()
    v = Value(0.0)
    v.leaky_relu().backward()
    assert v.grad == pytest.approx(t.grad.item())


def test_pow_conventions():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0  # d/dx x**0 = 0 everywhere, also at 0
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert y.grad == 0.0 and x.grad == 0.0  # d/dy 0**y = 0 for y >= 0
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf  # by continuity


def test_domain_edges_give_nan_or_inf_never_complex_or_exceptions():
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(-8.0) ** 2).data == 64.0
    assert math.isnan(Value(-1.0).log().data)
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).sqrt().data)
    assert math.isnan((Value(0.0) / Value(0.0)).data)
    assert (Value(1.0) / 0).data == math.inf
    assert (Value(-1.0) / 0.0).data == -math.inf
    assert (Value(0.0) ** -1).data == math.inf
    assert Value(1000.0).exp().data == math.inf
    for v in (Value(-8.0) ** (1 / 3), Value(-1.0).log(), Value(0.0) / Value(0.0)):
        assert isinstance(v.data, float)


def test_domain_edges_match_torch(torch):
    cases = [
        (lambda x: x.log(), 0.0),
        (lambda x: x.log(), -1.0),
        (lambda x: x.sqrt(), 0.0),
        (lambda x: x.sqrt(), -1.0),
        (lambda x: x.exp(), 1000.0),
        (lambda x: 1.0 / x, 0.0),
        (lambda x: x**0.5, 0.0),
    ]
    for fn, x in cases:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        out_t = fn(t)
        out_t.backward()
        v = Value(x)
        out_v = fn(v)
        out_v.backward()
        np.testing.assert_equal(out_v.data, out_t.item())
        np.testing.assert_equal(v.grad, t.grad.item())


@pytest.mark.parametrize("x", [-1000.0, -50.0, 50.0, 1000.0])
@pytest.mark.parametrize("name", ["sigmoid", "softplus", "mish", "tanh"])
def test_stable_at_extreme_inputs(name, x):
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)


def test_extreme_values_match_torch(torch):
    for name in ("sigmoid", "softplus", "mish", "tanh"):
        for x in (-1000.0, -30.0, 30.0, 1000.0):
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            fn = getattr(torch.nn.functional, name, None) or getattr(torch, name)
            out_t = fn(t)
            out_t.backward()
            v = Value(x)
            out_v = getattr(v, name)()
            out_v.backward()
            assert out_v.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-300), (name, x)
            assert v.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300), (name, x)


# -- construction -----------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", None, [1, 2], (1.0,), np.array([1.0, 2.0]), 1 + 2j])
def test_bad_data_is_a_type_error_saying_what_value_accepts(bad):
    with pytest.raises(TypeError, match="Value accepts a real number"):
        Value(bad)


def test_numbers_numpy_scalars_and_bools():
    assert type(Value(np.float32(1.5)).data) is float and Value(np.float32(1.5)).data == 1.5
    assert type(Value(np.int64(3)).data) is float
    assert Value(np.array(2.5)).data == 2.5
    assert Value(True).data == 1.0 and Value(False).data == 0.0
    assert Value(3).data == 3.0 and type(Value(3).data) is float


def test_numpy_scalar_on_the_left_defers_to_value():
    v = Value(2.0)
    out = np.float64(3.0) * v
    assert isinstance(out, Value) and out.data == 6.0


def test_bad_operand_is_a_clear_type_error():
    with pytest.raises(TypeError, match="Value accepts a real number"):
        Value(1.0) + "x"
    with pytest.raises(TypeError, match=r"arrays use autograd\.Tensor"):
        Value(1.0) * [1.0, 2.0]


def test_repr_and_label():
    v = Value(2.0, label="w")
    assert repr(v) == "Value(data=2.0, grad=0.0)"
    assert v.label == "w"


def test_micrograd_manual_backward_step():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.grad = 1.0
    c._backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)


def test_no_grad_records_nothing():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
    assert b._prev == () and b.data == 7.0
    c = a * 3
    assert c._prev == (a,)
