"""Activation and loss modules: same results as the functions, on Value and Tensor."""

from __future__ import annotations

import numpy as np
import pytest
from nn_helpers import BACKENDS, data, leaf

from nn import activations as A  # noqa: N812
from nn import functional as F  # noqa: N812
from nn import losses as L  # noqa: N812

X = np.array([[0.3, -1.2, 2.0], [-0.7, 0.5, -2.5]])

PAIRS = [
    (A.Sign(), F.sign),
    (A.Sigmoid(), F.sigmoid),
    (A.Tanh(), F.tanh),
    (A.ReLU(), F.relu),
    (A.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (A.Softplus(), F.softplus),
    (A.Mish(), F.mish),
    (A.Softmax(), F.softmax),
    (A.LogSoftmax(), F.log_softmax),
    (A.Identity(), lambda x: x),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("module", "fn"), PAIRS, ids=lambda p: type(p).__name__)
def test_activation_module_equals_function(module, fn, backend):
    x = leaf(X, backend)
    np.testing.assert_array_equal(data(module(x)), data(fn(x)))


def test_activation_module_scope_and_repr():
    x = leaf(X, "value")
    assert module_scope(A.ReLU()(x)) == ("ReLU",)
    assert repr(A.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert A.activation("tanh").__class__ is A.Tanh and isinstance(A.activation(None), A.Identity)


def module_scope(out):
    return out[0][0].scope


@pytest.mark.parametrize("backend", BACKENDS)
def test_loss_modules_equal_functions(backend):
    pred, target = leaf([0.2, -0.4, 1.5], backend), np.array([0.0, 1.0, 1.0])
    assert data(L.MSELoss()(pred, target)) == data(F.mse(pred, target))
    assert data(L.MSELoss("sum", half=True)(pred, target)) == data(F.half_sse(pred, target))
    assert data(L.BCEWithLogitsLoss("sum")(pred, target)) == data(
        F.binary_cross_entropy_with_logits(pred, target, "sum")
    )
    probs = leaf([0.2, 0.4, 0.9], backend)
    assert data(L.BCELoss()(probs, target)) == data(F.binary_cross_entropy(probs, target))
    assert data(L.HingeLoss()(pred, 2 * target - 1)) == data(F.hinge(pred, 2 * target - 1))
    logits = leaf(X, backend)
    assert data(L.CrossEntropyLoss()(logits, [0, 2])) == data(F.cross_entropy(logits, [0, 2]))
    sm = F.softmax(logits)
    assert data(L.CrossEntropyFromProbsLoss()(sm, [0, 2])) == pytest.approx(
        data(F.cross_entropy(logits, [0, 2]))
    )
    none = L.MSELoss("none")(pred, target)
    assert np.asarray(data(none)).shape == (3,)


def test_loss_module_scope_and_bad_reduction():
    loss = L.CrossEntropyLoss()(leaf(X, "value"), [0, 1])
    assert loss.scope == ("CrossEntropyLoss",)
    assert repr(L.HingeLoss("sum")) == "HingeLoss(reduction='sum')"
    with pytest.raises(ValueError, match="reduction must be"):
        L.BCELoss("average")
