"""Rosenblatt's perceptron learns AND and OR, never XOR; a sigmoid neuron learns by gradients."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autograd import Value
from nn import functional as F  # noqa: N812
from nn.data import make_logic_gate
from nn.perceptron import Perceptron, SigmoidNeuron


@pytest.mark.parametrize("gate", ["and", "or", "nand"])
def test_perceptron_learns_linearly_separable_gates(gate):
    X, y01 = make_logic_gate(gate)
    y = 2 * y01 - 1
    p = Perceptron(2, lr=0.5).fit(X, y, epochs=100)
    assert p.converged
    assert p.errors[-1] == 0 and len(p.errors) < 100
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.score(X, y) == 1.0


def test_perceptron_never_converges_on_xor():
    X, y01 = make_logic_gate("xor")
    y = 2 * y01 - 1
    p = Perceptron(2).fit(X, y, epochs=1000)
    assert not p.converged
    assert len(p.errors) == 1000 and min(p.errors) > 0  # a mistake in every single epoch
    assert p.score(X, y) < 1.0


def test_learning_rule_by_hand():
    p = Perceptron(2, lr=0.1)
    x = np.array([1.0, 2.0])
    assert p.update(x, 1.0)  # sign(0) = 0 is wrong: w ← w + η(y − ŷ)x = 0.1·(1 − 0)·x
    np.testing.assert_allclose(p.w, [0.1, 0.2])
    assert p.b == pytest.approx(0.1)
    assert not p.update(x, 1.0)  # now right: no change
    assert p.update(x, -1.0)  # ŷ = 1, y = −1: step η(y − ŷ) = −0.2
    np.testing.assert_allclose(p.w, [-0.1, -0.2])


def test_perceptron_label_errors():
    with pytest.raises(ValueError, match=r"labels must be -1/\+1.*2\*y - 1"):
        Perceptron(2).fit(*make_logic_gate("and"))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3\)"):
        Perceptron(3).fit(np.ones((4, 2)), np.ones(4))


def test_sign_gives_gradient_descent_nothing():
    w = Value(0.5)
    out = (w * 2.0 + 0.1).sign()
    out.backward()
    assert out.data == 1.0 and w.grad == 0.0


@pytest.mark.parametrize("gate", ["and", "or"])
def test_sigmoid_neuron_learns_by_gradient_descent(gate):
    random.seed(0)
    X, y = make_logic_gate(gate)
    neuron = SigmoidNeuron(2)
    rows = X.tolist()
    for _ in range(300):
        loss = F.binary_cross_entropy([neuron(r) for r in rows], y)
        neuron.zero_grad()
        loss.backward()
        for p in neuron.parameters():
            p.data -= 1.0 * p.grad
    probs = np.array([neuron(r).data for r in rows])
    np.testing.assert_array_equal(probs > 0.5, y == 1)
    assert loss.data < 0.2
    assert repr(neuron) == "SigmoidNeuron(nin=2)"
