"""Bad input to autograd: a clear error of a fitting type that says what to do, nothing changed."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import (
    Tensor,
    Value,
    concatenate,
    define_op,
    grad,
    gradcheck,
    linear,
    name_scope,
    softmax_cross_entropy,
    stack,
    where,
)
from autograd.ops import REGISTRY


def t23():
    return Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)


CASES = [
    ("value from a string", lambda: Value("3"), TypeError, "real number"),
    ("value from a list", lambda: Value([1.0, 2.0]), TypeError, "use autograd.Tensor"),
    ("value plus tensor", lambda: Value(1.0) + Tensor([1.0]), TypeError, "do not mix"),
    ("tensor plus value", lambda: Tensor([1.0]) + Value(1.0), TypeError, r"Tensor\(v\.data\)"),
    ("tensor from text", lambda: Tensor("abc"), TypeError, "real numbers"),
    ("ragged tensor", lambda: Tensor([[1.0, 2.0], [3.0]]), ValueError, "same length"),
    ("integer dtype", lambda: Tensor([1, 2], dtype=np.int64), TypeError, "float32 or float64"),
    ("requires_grad not a bool", lambda: Tensor([1.0], requires_grad="yes"), TypeError,
     "True or False"),
    ("reshape to a wrong size", lambda: t23().reshape(5), ValueError, r"\(2, 3\).*\(5,\)"),
    ("axis out of range", lambda: t23().sum(axis=3), ValueError, "out of range"),
    ("repeated axis", lambda: t23().sum(axis=(0, 0)), ValueError, "repeated axis"),
    ("axis not an int", lambda: t23().mean(axis=1.5), TypeError, "axis must be an int"),
    ("not a permutation", lambda: t23().transpose(0, 0), ValueError, "swapaxes"),
    ("matmul shapes", lambda: t23() @ t23(), ValueError, r"last dimension \(3\)"),
    ("tensor as an index", lambda: t23()[Tensor([0.0])], TypeError, "not a Tensor"),
    ("float index array", lambda: t23()[np.array([0.5])], IndexError, "integers or booleans"),
    ("index out of range", lambda: t23()[5], IndexError, r"shape \(2, 3\)"),
    ("broadcast mismatch", lambda: t23() + np.ones(4), ValueError, "do not broadcast"),
    ("broadcast_to a smaller shape", lambda: t23().broadcast_to(3), ValueError,
     "cannot be broadcast"),
    ("squeeze a long axis", lambda: t23().squeeze(0), ValueError, "not 1"),
    ("clip without bounds", lambda: t23().clip(), ValueError, "at least one of lo and hi"),
    ("max of nothing", lambda: Tensor(np.zeros((0, 2))).max(), ValueError, "empty tensor"),
    ("cross entropy target range", lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 3]),
     ValueError, r"\[0, 3\)"),
    ("cross entropy fractional target",
     lambda: softmax_cross_entropy(np.zeros((2, 3)), [0.5, 1.0]), TypeError, "integer class"),
    ("cross entropy reduction", lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 1], "avg"),
     ValueError, "reduction must be"),
    ("linear with a 1-D weight", lambda: linear(np.ones((2, 3)), np.ones(3)), ValueError,
     "must be 2-D"),
    ("linear feature mismatch", lambda: linear(np.ones((2, 4)), np.ones((3, 2))), ValueError,
     "needs 3 features"),
    ("concatenate mismatch", lambda: concatenate([np.ones((2, 3)), np.ones((2, 4))]),
     ValueError, "must match except along axis"),
    ("concatenate nothing", lambda: concatenate([]), ValueError, "at least one tensor"),
    ("stack unequal shapes", lambda: stack([np.ones(2), np.ones(3)]), ValueError,
     "shapes must be equal"),
    ("where with a text condition", lambda: where(np.array(["a"]), t23(), 0.0), TypeError,
     "must be boolean"),
    ("leaky slope not a number", lambda: Value(1.0).leaky_relu("steep"), TypeError,
     "negative_slope must be a real number"),
    ("unknown op parameter", lambda: REGISTRY["sum"](t23(), axes=(0,), keepdims=False, foo=1),
     TypeError, "unexpected argument 'foo'"),
    ("empty scope name", lambda: name_scope(""), ValueError, "non-empty string"),
    ("grad of a vector", lambda: grad(lambda x: x * 2)(np.ones(3)), TypeError, "jacobian"),
    ("gradcheck on float32", lambda: gradcheck(lambda t: t * 2, Tensor(
        np.ones(2, np.float32), requires_grad=True)), TypeError, "float64"),
    ("gradcheck without requires_grad", lambda: gradcheck(lambda t: t * 2, Tensor([1.0])),
     ValueError, "requires_grad=True"),
    ("an op without a rule", lambda: define_op("oops", forward=lambda m, x: x, register=False),
     TypeError, "silently be zero"),
    ("an op with a bad name", lambda: define_op("not a name", forward=lambda m, x: x,
                                                derivative=lambda m: 1.0, register=False),
     ValueError, "identifier"),
    ("an op registered twice", lambda: define_op("tanh", forward=lambda m, x: x,
                                                 derivative=lambda m: 1.0),
     ValueError, "already registered"),
    ("a hand-built child that is not a Value", lambda: Value(1.0, (2.0,), "f"), TypeError,
     "children must be Values"),
    ("_backward that is not a function", lambda: setattr(Value(1.0), "_backward", 3),
     TypeError, "function of no arguments"),
]


@pytest.mark.parametrize("make, error, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_failed_backwards_change_no_gradient():
    a = Tensor([1.0, 2.0], requires_grad=True)
    a.grad = np.array([5.0, 5.0])
    out = a * 3
    with pytest.raises(RuntimeError, match="one-element"):
        out.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\)"):
        out.backward(grad=np.ones(3))
    a.data = np.array([7.0, 8.0])  # modified after the forward pass
    with pytest.raises(RuntimeError, match="modified in place"):
        (out * out).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.0, 5.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_a_raising_rule_changes_no_gradient():
    def failing(m, x):
        raise RuntimeError("rule failed")

    boom = define_op("boom", forward=lambda m, x: x * 1.0, derivative=failing, value=False,
                     register=False)
    x = Tensor([2.0], requires_grad=True)
    x.grad = np.array([4.0])
    y = (boom(x) * 2 + x).sum()
    with pytest.raises(RuntimeError, match="rule failed"):
        y.backward()
    np.testing.assert_array_equal(x.grad, [4.0])


def test_a_rule_that_fails_to_compile_says_which_op():
    with pytest.raises(TypeError, match=r"op 'bad_rule'.*ZeroDivisionError"):
        define_op("bad_rule", forward=lambda m, x: x, derivative=lambda m, x: 1 / 0,
                  register=False)
