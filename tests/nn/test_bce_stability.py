"""Binary cross entropy of a sigmoid output stays finite where the probability rounds to 0 or 1."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
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


def test_bce_keeps_the_gradient_of_the_probability_itself():
    z = Tensor(np.array([0.3, -90.0], np.float32), requires_grad=True)
    p = z.sigmoid()
    F.binary_cross_entropy(p, np.array([1.0, 1.0]), reduction="sum").backward()
    expected = -1.0 / p.data.astype(np.float64)  # −1/p, beyond float32 for p = σ(−90)
    np.testing.assert_allclose(p.grad, expected, rtol=1e-6)
    assert p.grad.dtype == np.float64 and z.grad.dtype == np.float32
    np.testing.assert_allclose(z.grad, p.data - 1.0, rtol=1e-6)


def test_bce_of_plain_probabilities_is_unchanged():
    p = Tensor([0.2, 0.9], requires_grad=True)
    loss = F.binary_cross_entropy(p, [0.0, 1.0], reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(-np.log(0.8) - np.log(0.9))
    np.testing.assert_allclose(p.grad, [1 / 0.8, -1 / 0.9])
