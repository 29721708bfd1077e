"""Activations and losses on Value and Tensor: gradient checks, PyTorch, stability at ±1000."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nn_helpers import BACKENDS, data, grad, leaf, leaves, need_tensor, total

from autograd import Value, gradcheck
from autograd.testing import values
from nn import functional as F  # noqa: N812

ACTIVATIONS = {
    "sign": F.sign,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "mish": F.mish,
    "softplus": F.softplus,
}
VECTOR_OPS = {"softmax": F.softmax, "log_softmax": F.log_softmax}
KINKED = {"sign", "relu", "leaky_relu"}

X = np.array([[0.3, -1.2, 2.0], [-0.7, 0.5, -2.5]])


def check(fn, x, **kw):
    """gradcheck ``fn`` with respect to every leaf of ``x`` (a random cotangent)."""
    nodes = leaves(x)

    def flat(*_):
        out = fn(x)
        return leaves(out) if isinstance(out, list) else out

    return gradcheck(flat, *nodes, **kw)


# -- activations -------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + sorted(VECTOR_OPS))
def test_activation_gradcheck(name, backend):
    fn = ACTIVATIONS.get(name) or VECTOR_OPS[name]
    x = leaf(X, backend)
    assert check(fn, x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(x=values(-20.0, 20.0, away_from=(0.0,)))
def test_activation_gradcheck_on_scalars(name, x):
    gradcheck(ACTIVATIONS[name], x)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + sorted(VECTOR_OPS))
def test_activation_matches_torch(name, backend, torch):
    fn = ACTIVATIONS.get(name) or VECTOR_OPS[name]
    x = leaf(X, backend)
    out = fn(x)
    total(out).backward()
    tx = torch.tensor(X, requires_grad=True, dtype=torch.float64)
    torch_fn = {
        "sign": torch.sign,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": torch.nn.functional.leaky_relu,
        "mish": torch.nn.functional.mish,
        "softplus": torch.nn.functional.softplus,
        "softmax": lambda t: torch.softmax(t, dim=-1),
        "log_softmax": lambda t: torch.log_softmax(t, dim=-1),
    }[name]
    tout = torch_fn(tx)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 1.5, size=X.size).reshape(X.shape)  # same draws as total()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(data(out), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad(x), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + sorted(VECTOR_OPS))
def test_activation_stable_at_1000(name, backend):
    fn = ACTIVATIONS.get(name) or VECTOR_OPS[name]
    x = leaf([[1000.0, -1000.0, 0.5], [-1000.0, -999.0, 1000.0]], backend)
    out = fn(x)
    total(out).backward()
    assert np.isfinite(data(out)).all()
    assert np.isfinite(grad(x)).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "expected"), [("relu", 0.0), ("leaky_relu", 0.01), ("sign", 0.0)])
def test_kinks_follow_pytorch(name, expected, backend):
    x = leaf([0.0, 0.0], backend)
    out = ACTIVATIONS[name](x)
    if isinstance(out, list):
        (out[0] + out[1]).backward()
    else:
        out.sum().backward()
    np.testing.assert_array_equal(grad(x), [expected, expected])
    np.testing.assert_array_equal(data(out), [0.0, 0.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_sums_to_one_and_log_softmax_matches(backend):
    x = leaf(X, backend)
    p = data(F.softmax(x))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(np.log(p), data(F.log_softmax(x)), rtol=1e-12)


def test_activation_rejects_plain_numbers():
    with pytest.raises(TypeError, match="Value, a list of Values or a Tensor; got float"):
        F.relu(1.0)


# -- losses ------------------------------------------------------------------

PRED = np.array([0.3, -1.2, 2.0, 0.1])
REG_TARGET = np.array([0.5, -1.0, 1.0, 0.0])
PROBS = np.array([0.2, 0.7, 0.9, 0.4])
BIN_TARGET = np.array([0.0, 1.0, 1.0, 0.0])
PM_TARGET = np.array([-1.0, 1.0, 1.0, -1.0])
CLASSES = np.array([2, 0])
SOFT = np.array([[0.2, 0.0, 0.8], [0.0, 1.0, 0.0]])


def _probs2d():
    e = np.exp(X)
    return e / e.sum(axis=1, keepdims=True)


LOSSES = {
    "mse": (F.mse, lambda: PRED, REG_TARGET),
    "half_sse": (lambda p, t, reduction="sum": F.half_sse(p, t), lambda: PRED, REG_TARGET),
    "bce": (F.binary_cross_entropy, lambda: PROBS, BIN_TARGET),
    "bce_logits": (F.binary_cross_entropy_with_logits, lambda: PRED, BIN_TARGET),
    "hinge": (F.hinge, lambda: PRED, PM_TARGET),
    "cross_entropy": (F.cross_entropy, lambda: X, CLASSES),
    "ce_probs": (F.cross_entropy_from_probs, _probs2d, CLASSES),
    "ce_probs_soft": (F.cross_entropy_from_probs, _probs2d, SOFT),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradcheck(name, reduction, backend):
    fn, make, target = LOSSES[name]
    x = leaf(make(), backend)
    assert check(lambda v: fn(v, target, reduction=reduction), x)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(set(LOSSES) - {"half_sse"}))
def test_loss_reductions_agree(name, backend):
    fn, make, target = LOSSES[name]
    x = leaf(make(), backend)
    each = data(fn(x, target, reduction="none"))
    assert data(fn(x, target, reduction="sum")) == pytest.approx(each.sum(), rel=1e-12)
    assert data(fn(x, target, reduction="mean")) == pytest.approx(each.mean(), rel=1e-12)


def test_losses_match_torch(torch):
    tf = torch.nn.functional

    def t(a):
        return torch.tensor(a, dtype=torch.float64)

    for backend in ("value",) + (("tensor",) if _has_tensor() else ()):
        cases = [
            (F.mse(leaf(PRED, backend), REG_TARGET), tf.mse_loss(t(PRED), t(REG_TARGET))),
            (
                F.binary_cross_entropy(leaf(PROBS, backend), BIN_TARGET),
                tf.binary_cross_entropy(t(PROBS), t(BIN_TARGET)),
            ),
            (
                F.binary_cross_entropy_with_logits(leaf(PRED, backend), BIN_TARGET),
                tf.binary_cross_entropy_with_logits(t(PRED), t(BIN_TARGET)),
            ),
            (
                F.cross_entropy(leaf(X, backend), CLASSES),
                tf.cross_entropy(t(X), torch.tensor(CLASSES)),
            ),
            (
                F.hinge(leaf(PRED, backend), PM_TARGET),
                torch.relu(1 - t(PM_TARGET) * t(PRED)).mean(),
            ),
        ]
        for ours, theirs in cases:
            assert float(data(ours)) == pytest.approx(float(theirs), rel=1e-12)
    if _has_tensor():
        soft = F.cross_entropy(leaf(X, "tensor"), SOFT)
        assert float(data(soft)) == pytest.approx(float(tf.cross_entropy(t(X), t(SOFT))))


def _has_tensor() -> bool:
    import autograd

    return hasattr(autograd, "Tensor")


def test_lecture_mse_is_half_the_sum_of_squares():
    x = leaf(PRED, "value")
    expected = 0.5 * float(((REG_TARGET - PRED) ** 2).sum())
    assert F.half_sse(x, REG_TARGET).data == pytest.approx(expected)
    assert F.mse(x, REG_TARGET).data == pytest.approx(float(((REG_TARGET - PRED) ** 2).mean()))
    loss = F.half_sse(x, REG_TARGET)
    loss.backward()
    np.testing.assert_allclose(grad(x), PRED - REG_TARGET)  # the ½ cancels the 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_cross_entropy_gradient_is_softmax_minus_onehot(backend):
    x = leaf(X, backend)
    F.cross_entropy(x, CLASSES).backward()
    p = _probs2d()
    onehot = np.eye(3)[CLASSES]
    np.testing.assert_allclose(grad(x), (p - onehot) / 2, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_losses_stable_at_1000(backend):
    big = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    cases = [
        (F.mse, big, REG_TARGET),
        (F.hinge, big, PM_TARGET),
        (F.binary_cross_entropy_with_logits, big, BIN_TARGET),
        (F.cross_entropy, logits, np.array([1, 0])),
    ]
    for fn, x0, target in cases:
        x = leaf(x0, backend)
        loss = fn(x, target)
        loss.backward()
        assert math.isfinite(float(data(loss))), fn.__name__
        assert np.isfinite(grad(x)).all(), fn.__name__
    ce = F.cross_entropy(leaf(logits, backend), np.array([1, 0]))
    assert float(data(ce)) == pytest.approx((2000.0 + 2000.0 + math.log1p(math.exp(-1))) / 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bce_on_saturated_probabilities_is_clamped(backend):
    # σ(±1000) is exactly 1.0 / 0.0 in float64: the clamp keeps loss and gradient finite.
    p = leaf([1.0, 0.0, 1.0, 0.0], backend)
    loss = F.binary_cross_entropy(p, [1.0, 0.0, 0.0, 1.0], reduction="none")
    total(loss).backward()
    np.testing.assert_allclose(data(loss), [0.0, 0.0, 100.0, 100.0])
    assert np.isfinite(grad(p)).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_cross_entropy_from_probs_is_not_clamped(backend):
    probs = leaf([[1.0, 0.0]], backend)
    assert float(data(F.cross_entropy_from_probs(probs, [0], reduction="sum"))) == 0.0
    loss = F.cross_entropy_from_probs(probs, [1], reduction="sum")
    assert float(data(loss)) == math.inf  # the formula's value, never nan
    onehot = F.cross_entropy_from_probs(probs, np.array([[1.0, 0.0]]), reduction="sum")
    onehot.backward()
    assert float(data(onehot)) == 0.0 and np.isfinite(grad(probs)).all()  # 0·log 0 := 0


def test_loss_errors_are_clear():
    x = leaf(PRED, "value")
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        F.mse(x, REG_TARGET, reduction="avg")
    with pytest.raises(ValueError, match="4 predictions but 3 targets"):
        F.mse(x, REG_TARGET[:3])
    with pytest.raises(ValueError, match=r"labels -1/\+1.*2\*y - 1"):
        F.hinge(x, BIN_TARGET)
    with pytest.raises(ValueError, match=r"class targets must lie in \[0, 3\)"):
        F.cross_entropy(leaf(X, "value"), [0, 3])
    with pytest.raises(TypeError, match="class targets must be integers"):
        F.cross_entropy(leaf(X, "value"), [0.0, 1.0])


def test_tensor_shape_mismatch_is_an_error():
    x = leaf(PRED.reshape(4, 1), "tensor")
    with pytest.raises(ValueError, match=r"shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse(x, REG_TARGET)


@given(st.lists(st.floats(-30, 30), min_size=2, max_size=5), st.data())
def test_cross_entropy_on_values_gradcheck(logits, draw):
    target = draw.draw(st.integers(0, len(logits) - 1))
    xs = [Value(v) for v in logits]
    gradcheck(lambda *vs: F.cross_entropy(list(vs), target), *xs)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + sorted(VECTOR_OPS))
@given(data=st.data())
def test_activation_gradcheck_on_random_tensors(name, data):
    need_tensor()
    from autograd.testing import kink_free_floats, shapes, tensors

    fn = ACTIVATIONS.get(name) or VECTOR_OPS[name]
    x = data.draw(tensors(shapes(min_dims=1), elements=kink_free_floats()))
    gradcheck(fn, x)


@given(data=st.data())
def test_cross_entropy_gradcheck_on_random_tensors(data):
    need_tensor()
    from autograd.testing import tensors

    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    logits = data.draw(tensors((n, c), min_value=-30.0, max_value=30.0))
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    gradcheck(lambda z: F.cross_entropy(z, target), logits)
    bits = np.broadcast_to((target % 2)[:, None], (n, c)).astype(np.float64)
    gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, bits), logits)
