"""Unit tests for Tensor: construction, errors, repr, conventions at kinks, aliasing, versions."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest

from autograd import (
    Tensor,
    Value,
    concatenate,
    maximum,
    minimum,
    name_scope,
    no_grad,
    stack,
    where,
)

# --------------------------------------------------------------------------
# Construction and attributes
# --------------------------------------------------------------------------


def test_construction_dtypes():
    assert Tensor(3).dtype == np.float64 and Tensor(3).shape == ()
    assert Tensor([[1, 2], [3, 4]]).dtype == np.float64
    assert Tensor([True, False]).data.tolist() == [1.0, 0.0]
    assert Tensor(np.ones(3, np.float32)).dtype == np.float32
    assert Tensor(np.ones(3, np.int32)).dtype == np.float64
    assert Tensor(np.ones(3, np.float16)).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2), dtype="float32").dtype == np.float32


def test_construction_copies_its_input():
    source = np.zeros(3)
    t = Tensor(source)
    source[0] = 5.0
    assert t.data[0] == 0.0


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        ([[1, 2], [3]], ValueError, "ragged"),
        ("abc", TypeError, "string"),
        (["a", "b"], TypeError, "real numbers"),
        (np.array([1, None], dtype=object), TypeError, "object"),
        (np.array([1j]), TypeError, "complex"),
        (None, TypeError, "real numbers"),
        (Value(2.0), TypeError, "Tensor(v.data)"),
    ],
)
def test_bad_data_is_a_clear_error(data, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        Tensor(data)


def test_bad_dtype_and_flag():
    with pytest.raises(TypeError, match="float32 or float64"):
        Tensor([1], dtype=np.int64)
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor([1.0], requires_grad="yes")


def test_attributes():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="w")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and t.T.op == "transpose"
    assert t.requires_grad and t.is_leaf and t.grad is None and t.label == "w"
    assert t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor(2.5).item(), float)
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    assert bool(Tensor([1.0])) and float(Tensor(3.0)) == 3.0


def test_repr_shows_shape_dtype_and_op():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    text = repr(x @ np.ones((3, 4), np.float32))
    assert "shape=(2, 4)" in text and "dtype=float32" in text and "op='@'" in text
    assert "requires_grad=True" in text
    assert "op=" not in repr(Tensor([1.0]))
    big = repr(Tensor(np.zeros((100, 100))))
    assert "shape=(100, 100)" in big and len(big) < 400


def test_requires_grad_setter_only_on_leaves():
    x = Tensor([1.0])
    x.requires_grad = True
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(TypeError):
        x.requires_grad = 1


# --------------------------------------------------------------------------
# Constants, grad mode, scopes
# --------------------------------------------------------------------------


def test_constants_get_no_gradient_and_stay_out_of_the_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    arr = np.array([5.0, 6.0])
    y = (w * c + arr - 2.0) @ arr
    assert y.requires_grad and all(p is w for p in _graph_leaves(y))
    y.backward()
    assert c.grad is None
    np.testing.assert_allclose(w.grad, c.data * arr)
    z = c * 2 + arr
    assert not z.requires_grad and z._prev == ()


def _graph_leaves(node):
    stack, leaves = [node], []
    while stack:
        n = stack.pop()
        if n._prev:
            stack.extend(n._prev)
        else:
            leaves.append(n)
    return leaves


def test_no_grad_records_nothing():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (w * 3).exp().sum()
    assert y._prev == () and not y.requires_grad and y.op == ""
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_name_scope_is_recorded():
    w = Tensor([1.0], requires_grad=True)
    with name_scope("layer1"):
        y = w * 2
    assert y.scope == ("layer1",) and (y + 1).scope == ()


def test_detach():
    w = Tensor([1.0], requires_grad=True)
    d = (w * 2).detach()
    assert not d.requires_grad and d._prev == () and d.data[0] == 2.0


# --------------------------------------------------------------------------
# backward()
# --------------------------------------------------------------------------


def test_backward_on_non_scalar_needs_grad():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        (w * 2).backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\)"):
        (w * 2).backward(np.ones(3))
    (w * 2).backward(np.ones((2, 3)))
    np.testing.assert_allclose(w.grad, 2.0)


def test_backward_accumulates_like_torch():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 4 * w.data)


def test_one_element_non_scalar_output_can_backward():
    w = Tensor([[3.0]], requires_grad=True)
    (w * w).backward()
    np.testing.assert_allclose(w.grad, [[6.0]])


def test_deep_chain_has_no_recursion():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad[0] == 1.0


# --------------------------------------------------------------------------
# Dtypes
# --------------------------------------------------------------------------


def test_float32_stays_float32():
    w = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    x = np.ones((4, 3), np.float32)
    h = ((x @ w + b) * 0.5 + np.float64(1.5) - 2).relu().tanh().sigmoid()
    loss = (h.log_softmax(axis=1)[np.arange(4), [0, 1, 0, 1]].mean() / 3) ** 2
    assert loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_numbers_lists_and_integer_arrays_keep_float32():
    t = Tensor(np.ones(2, np.float32), requires_grad=True)
    for out in (
        t + np.array([1, 2]),
        t - [1, 2],
        [1, 2] * t,
        t * np.arange(2),
        t / np.float64(3),
        2**t,
        t.clip(0.0, 1),
    ):
        assert out.dtype == np.float32


def test_gradient_takes_the_inputs_dtype():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = (w * np.ones(3, np.float64)).sum()  # float64 constant: float64 output, as numpy
    assert y.dtype == np.float64
    y.backward()
    assert w.grad.dtype == np.float32


# --------------------------------------------------------------------------
# Errors on bad operands
# --------------------------------------------------------------------------


def test_value_and_tensor_do_not_mix():
    t = Tensor([1.0], requires_grad=True)
    v = Value(2.0)
    with pytest.raises(TypeError, match=r"Tensor\(v.data\)"):
        t + v
    with pytest.raises(TypeError, match=r"Tensor\(v.data\)"):
        t * v
    with pytest.raises(TypeError, match="Tensor"):
        v + t
    with pytest.raises(TypeError, match="unsupported operand"):
        t + "a"
    with pytest.raises(TypeError, match="real numbers"):
        t + np.array(["a"])


def test_broadcast_error_names_op_and_shapes():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\*: operands of shapes \(2, 3\) and \(4,\)"):
        a * np.ones(4)
    with pytest.raises(ValueError, match=r"\+: operands of shapes \(2, 3\) and \(2,\)"):
        a + Tensor(np.ones(2))
    assert a.grad is None and a.data.shape == (2, 3)


def test_matmul_error_names_both_shapes():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 5\).*\(3\).*\(4\)"):
        a @ np.ones((4, 5))
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(\)"):
        a @ 2.0
    with pytest.raises(ValueError, match="batch"):
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 4)))


def test_other_shape_errors():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        a.reshape(4)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        a.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        a.sum(axis=(0, -2))
    with pytest.raises(ValueError, match="permutation"):
        a.transpose(0, 0)
    with pytest.raises(ValueError, match="length 3, not 1"):
        a.squeeze(1)
    with pytest.raises(ValueError, match="broadcast"):
        a.broadcast_to(4, 3)
    with pytest.raises(ValueError, match="concatenate"):
        concatenate([a, Tensor(np.ones((2, 2)))], axis=0)
    with pytest.raises(ValueError, match="stack"):
        stack([a, Tensor(np.ones((2, 2)))])
    with pytest.raises(TypeError, match="not a Tensor"):
        a[Tensor([0.0])]
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        a[5]
    with pytest.raises(ValueError, match="empty"):
        Tensor(np.ones((0, 3))).max()


def test_data_setter_validates_and_leaves_data_unchanged():
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        t.data = "abc"
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


# --------------------------------------------------------------------------
# In-place modification detection
# --------------------------------------------------------------------------


def test_backward_after_inplace_change_of_an_input_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = np.array([10.0, 10.0])
    loss = (x * x).sum()
    x.data -= 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    np.testing.assert_array_equal(x.grad, [10.0, 10.0])  # nothing half-changed


def test_backward_after_changing_an_output_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    y.data = y.data * 2
    with pytest.raises(RuntimeError, match="an input of shape"):
        z.backward()
    with pytest.raises(RuntimeError, match="its output"):
        y.backward(np.ones(2))
    assert x.grad is None


def test_update_after_backward_is_fine():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        w.grad = None
        loss.backward()
        w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) * 0.8**3)


# --------------------------------------------------------------------------
# Memory: no cycles, no aliasing, no mutation
# --------------------------------------------------------------------------


def test_finished_graph_is_freed_by_refcount():
    gc.disable()
    try:
        w = Tensor(np.ones((3, 3)), requires_grad=True)
        h = (w @ np.ones(3)).relu()
        loss = h.log_softmax(axis=0)[[0, 0]].sum()
        refs = [weakref.ref(h), weakref.ref(loss)]
        loss.backward()
        del h, loss
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_gradients_do_not_alias_and_inputs_are_not_mutated():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.full((2, 3), 2.0), requires_grad=True)
    copies = [t.data.copy() for t in (a, b, c)]
    out = (a + b).reshape(3, 2).T + c.sum(axis=0, keepdims=True).broadcast_to(2, 3) + c
    cotangent = np.random.default_rng(0).normal(size=out.shape)
    kept = cotangent.copy()
    out.backward(cotangent)
    arrays = [a.grad, b.grad, c.grad, a.data, b.data, c.data, cotangent]
    for i, x in enumerate(arrays):
        for y in arrays[i + 1 :]:
            assert not np.shares_memory(x, y)
    for t, original in zip((a, b, c), copies):
        np.testing.assert_array_equal(t.data, original)
        assert t.grad.flags.writeable
    np.testing.assert_array_equal(cotangent, kept)


def test_add_of_two_leaves_gives_each_its_own_gradient():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.ones(2))
    assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
    a.grad *= 5
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


# --------------------------------------------------------------------------
# Conventions at kinks and ties (PyTorch's), pinned
# --------------------------------------------------------------------------


def _grad(fn, values):
    x = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    out = fn(x)
    out.backward(np.ones(out.shape))
    return x.grad


KINKS = {
    "relu": (lambda x: x.relu(), [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    "abs": (lambda x: x.abs(), [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),
    "sign": (lambda x: x.sign(), [-1.0, 0.0, 2.0], [0.0, 0.0, 0.0]),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), [-1.0, 0.0, 2.0], [0.1, 0.1, 1.0]),
    "clip": (lambda x: x.clip(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0], [0, 1, 1, 1, 0]),
    "amax_ties": (lambda x: x.max(), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    "amin_ties": (lambda x: x.min(axis=0), [2.0, 2.0, 2.0, 5.0], [1 / 3, 1 / 3, 1 / 3, 0.0]),
    "maximum_tie": (lambda x: maximum(x, 1.0), [0.0, 1.0, 2.0], [0.0, 0.5, 1.0]),
    "minimum_tie": (lambda x: minimum(x, 1.0), [0.0, 1.0, 2.0], [1.0, 0.5, 0.0]),
    "pow_zero": (lambda x: x**0, [0.0, 2.0], [0.0, 0.0]),
    "sqrt_at_zero": (lambda x: x.sqrt(), [0.0, 4.0], [np.inf, 0.25]),
    "log_at_zero": (lambda x: x.log(), [0.0, -1.0], [np.inf, -1.0]),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_conventions(name):
    fn, x, expected = KINKS[name]
    np.testing.assert_array_equal(_grad(fn, x), expected)


TORCH_KINKS = {
    "relu": lambda t, x: t.relu(x),
    "abs": lambda t, x: x.abs(),
    "sign": lambda t, x: x.sign(),
    "leaky_relu": lambda t, x: t.nn.functional.leaky_relu(x, 0.1),
    "clip": lambda t, x: x.clamp(0.0, 1.0),
    "amax_ties": lambda t, x: x.amax(),
    "amin_ties": lambda t, x: x.amin(dim=0),
    "maximum_tie": lambda t, x: t.maximum(x, t.tensor(1.0, dtype=t.float64)),
    "minimum_tie": lambda t, x: t.minimum(x, t.tensor(1.0, dtype=t.float64)),
    "pow_zero": lambda t, x: x**0,
    "sqrt_at_zero": lambda t, x: x.sqrt(),
    "log_at_zero": lambda t, x: x.log(),
}


@pytest.mark.parametrize("name", sorted(TORCH_KINKS))
def test_conventions_match_torch(name, torch):
    _, x, _ = KINKS[name]
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = TORCH_KINKS[name](torch, tx)
    out.backward(torch.ones_like(out))
    np.testing.assert_array_equal(_grad(KINKS[name][0], x), tx.grad.numpy())


def test_power_exponent_gradient_at_zero_base():
    y = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    (0.0**y).backward(np.ones(3))
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 0.0])
    x = Tensor([-8.0], requires_grad=True)
    assert np.isnan((x ** (1 / 3)).data[0])  # nan, never complex


def test_var_defaults_to_ddof_0():
    data = np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_allclose(Tensor(data).var(axis=1).data, data.var(axis=1))
    np.testing.assert_allclose(Tensor(data).var(ddof=1).data, data.var(ddof=1))


def test_getitem_repeated_indices_accumulate():
    np.testing.assert_array_equal(_grad(lambda x: x[[0, 0, 2, 0]], [1.0, 2.0, 3.0]), [3, 0, 1])
    np.testing.assert_array_equal(
        _grad(lambda x: x[np.array([True, False, True])], [1.0, 2.0, 3.0]), [1, 0, 1]
    )


def test_matmul_1d_shapes_follow_numpy():
    m, v = np.ones((2, 3, 4)), np.ones(3)
    assert (Tensor(v) @ Tensor(m)).shape == (2, 4)
    assert (Tensor(m) @ Tensor(np.ones(4))).shape == (2, 3)
    assert (Tensor(v) @ Tensor(v)).shape == ()


def test_where_routes_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Tensor([10.0], requires_grad=True)
    where(np.array([True, False, True]), x, y).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(y.grad, [2.0])


# --------------------------------------------------------------------------
# Numerical stability at extreme inputs: finite where the math is, no warnings
# --------------------------------------------------------------------------


STABLE = {
    "sigmoid": lambda x: x.sigmoid(),
    "softplus": lambda x: x.softplus(),
    "mish": lambda x: x.mish(),
    "tanh": lambda x: x.tanh(),
    "softmax": lambda x: x.softmax(axis=0),
    "log_softmax": lambda x: x.log_softmax(axis=0),
    "logsumexp": lambda x: x.logsumexp(),
}


@pytest.mark.parametrize("name", sorted(STABLE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_extremes(name, dtype):
    x = Tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = STABLE[name](x)
        out.backward(np.ones(out.shape, dtype))
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
    assert out.dtype == dtype


def test_stable_values():
    x = Tensor([-1000.0, 1000.0])
    np.testing.assert_allclose(x.sigmoid().data, [0.0, 1.0])
    np.testing.assert_allclose(x.softplus().data, [0.0, 1000.0])
    np.testing.assert_allclose(x.logsumexp().data, 1000.0 + np.log1p(np.exp(-2000.0)))
    assert Tensor([-np.inf, -np.inf]).logsumexp().item() == -np.inf


def test_edges_give_inf_and_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (Tensor([1.0]) / 0.0).item() == np.inf
        assert np.isnan((Tensor([0.0]) / Tensor([0.0])).item())
        assert Tensor([0.0]).log().item() == -np.inf
        assert np.isnan(Tensor([-1.0]).log().item())
        assert np.isnan(Tensor([-1.0]).sqrt().item())
        assert Tensor([1000.0]).exp().item() == np.inf
