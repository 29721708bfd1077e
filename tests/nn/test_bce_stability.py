"""Binary cross entropy of a sigmoid output stays finite where the probability rounds to 0 or 1."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import functional as F  # noqa: N812


@pytest.mark.parametrize("x0", [-90.0, -104.0])
def test_float32_bce_of_a_sigmoid_keeps_finite_gradients(x0):
    x = Tensor(np.array([x0], np.float32), requires_grad=True)
    loss = F.binary_cross_entropy(x.sigmoid(), np.array([1.0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad))
    # −log σ(x) for y = 1 is softplus(−x): gradient σ(x) − 1 ≈ −1, or 0 where the loss is capped.
    assert x.grad[0] == pytest.approx(-1.0 if x0 > -100 else 0.0)
    assert loss.item() == pytest.approx(min(-x0, 100.0))


def test_bce_of_a_sigmoid_is_exact_where_the_probability_rounds_to_one():
    z = Value(40.0)  # σ(40) == 1.0 in float64, yet −log(1 − σ(40)) = 40
    loss = F.binary_cross_entropy([z.sigmoid()], [0.0])
    loss.backward()
    assert loss.data == pytest.approx(40.0) and z.grad == pytest.approx(1.0)


def test_bce_of_plain_probabilities_is_unchanged():
    p = Tensor([0.2, 0.9], requires_grad=True)
    loss = F.binary_cross_entropy(p, [0.0, 1.0], reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(-np.log(0.8) - np.log(0.9))
    np.testing.assert_allclose(p.grad, [1 / 0.8, -1 / 0.9])
