"""Each optimizer's first three steps on f(w) = w² (∇f = 2w) from w = 1, computed by hand.

The hand computation uses plain floats and the formula as written on paper;
every optimizer is run on a Value (gradient from the engine) and on an array
parameter (the Tensor path), which must give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value
from optim import SGD, Adagrad, Adam, AdamW, RMSProp, RMSprop


def run_three_steps(make, kind, array_param):
    """Minimise w² from w = 1 with ``make([w])``; return w after steps 1, 2, 3."""
    p = Value(1.0) if kind == "value" else array_param([1.0])
    opt = make([p])
    out = []
    for _ in range(3):
        opt.zero_grad()
        if kind == "value":
            (p * p).backward()
        else:
            p.grad = 2 * p.data
        opt.step()
        out.append(p.data if kind == "value" else float(p.data[0]))
    return out


KINDS = ["value", "array"]


@pytest.mark.parametrize("kind", KINDS)
def test_sgd_plain(kind, array_param):
    # w ← w − 0.1·2w = 0.8·w
    got = run_three_steps(lambda p: SGD(p, lr=0.1), kind, array_param)
    assert got == pytest.approx([0.8, 0.64, 0.512], rel=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_sgd_momentum(kind, array_param):
    # b1 = 2, w1 = 1 − 0.1·2 = 0.8
    # g2 = 1.6, b2 = 0.9·2 + 1.6 = 3.4, w2 = 0.8 − 0.34 = 0.46
    # g3 = 0.92, b3 = 0.9·3.4 + 0.92 = 3.98, w3 = 0.46 − 0.398 = 0.062
    got = run_three_steps(lambda p: SGD(p, lr=0.1, momentum=0.9), kind, array_param)
    assert got == pytest.approx([0.8, 0.46, 0.062], rel=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_sgd_nesterov(kind, array_param):
    # d = g + 0.9·b:  b1 = 2, d = 3.8, w1 = 0.62
    # g2 = 1.24, b2 = 3.04, d = 1.24 + 2.736 = 3.976, w2 = 0.2224
    # g3 = 0.4448, b3 = 3.1808, d = 0.4448 + 2.86272 = 3.30752, w3 = −0.108352
    got = run_three_steps(lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True), kind, array_param)
    assert got == pytest.approx([0.62, 0.2224, -0.108352], rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_sgd_weight_decay(kind, array_param):
    # d = 2w + 0.5w = 2.5w, w ← w − 0.1·2.5w = 0.75w
    got = run_three_steps(lambda p: SGD(p, lr=0.1, weight_decay=0.5), kind, array_param)
    assert got == pytest.approx([0.75, 0.5625, 0.421875], rel=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_adagrad(kind, array_param):
    lr, eps = 0.1, 1e-10
    w, G, expected = 1.0, 0.0, []
    for _ in range(3):
        g = 2 * w
        G = G + g * g
        w = w - lr * g / (math.sqrt(G) + eps)
        expected.append(w)
    # The first step divides g by |g|: exactly lr.
    assert expected[0] == pytest.approx(0.9, abs=1e-10)
    assert expected[1] == pytest.approx(0.9 - 0.1 * 1.8 / math.sqrt(4 + 3.24), rel=1e-9)
    got = run_three_steps(lambda p: Adagrad(p, lr=lr), kind, array_param)
    assert got == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_rmsprop(kind, array_param):
    lr, alpha, eps = 0.01, 0.9, 1e-8
    w, S, expected = 1.0, 0.0, []
    for _ in range(3):
        g = 2 * w
        S = alpha * S + (1 - alpha) * g * g
        w = w - lr * g / (math.sqrt(S) + eps)
        expected.append(w)
    # S1 = 0.1·4 = 0.4: w1 = 1 − 0.01·2/√0.4 = 1 − 0.0316...
    assert expected[0] == pytest.approx(1 - 0.02 / math.sqrt(0.4), rel=1e-9)
    got = run_three_steps(lambda p: RMSProp(p, lr=lr, alpha=alpha), kind, array_param)
    assert got == pytest.approx(expected, rel=1e-14)
    assert RMSprop is RMSProp


@pytest.mark.parametrize("kind", KINDS)
def test_rmsprop_momentum_centered(kind, array_param):
    lr, alpha, eps, mu = 0.01, 0.9, 1e-8, 0.5
    w, S, gbar, b, expected = 1.0, 0.0, 0.0, 0.0, []
    for _ in range(3):
        g = 2 * w
        S = alpha * S + (1 - alpha) * g * g
        gbar = alpha * gbar + (1 - alpha) * g
        b = mu * b + g / (math.sqrt(S - gbar * gbar) + eps)
        w = w - lr * b
        expected.append(w)
    got = run_three_steps(
        lambda p: RMSProp(p, lr=lr, alpha=alpha, momentum=mu, centered=True), kind, array_param
    )
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_adam(kind, array_param):
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    w, m, v, expected = 1.0, 0.0, 0.0, []
    for t in (1, 2, 3):
        g = 2 * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(w)
    # Bias correction makes the first step ≈ lr·sign(g): 1 − 0.1 = 0.9.
    assert expected[0] == pytest.approx(0.9, abs=1e-8)
    # step 2 by hand: m = 0.36, v = 0.007236, m̂ = 0.36/0.19, v̂ = 0.007236/0.001999
    assert expected[1] == pytest.approx(
        0.9 - 0.1 * (0.36 / 0.19) / math.sqrt(0.007236 / 0.001999), rel=1e-7
    )
    got = run_three_steps(lambda p: Adam(p, lr=lr), kind, array_param)
    assert got == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_adam_amsgrad_and_l2(kind, array_param):
    lr, b1, b2, eps, wd = 0.1, 0.5, 0.6, 1e-8, 0.25
    w, m, v, vmax, expected = 1.0, 0.0, 0.0, 0.0, []
    for t in (1, 2, 3):
        g = 2 * w + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = max(vmax, v)
        w = w - lr / (1 - b1**t) * m / (math.sqrt(vmax / (1 - b2**t)) + eps)
        expected.append(w)
    got = run_three_steps(
        lambda p: Adam(p, lr=lr, betas=(b1, b2), weight_decay=wd, amsgrad=True), kind, array_param
    )
    assert got == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_adamw(kind, array_param):
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.5
    w, m, v, expected = 1.0, 0.0, 0.0, []
    for t in (1, 2, 3):
        g = 2 * w  # the decay is not in the gradient
        w = w * (1 - lr * wd)  # decoupled: shrink first
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        expected.append(w)
    # step 1: 1·0.95 − 0.1 = 0.85
    assert expected[0] == pytest.approx(0.85, abs=1e-8)
    got = run_three_steps(lambda p: AdamW(p, lr=lr, weight_decay=wd), kind, array_param)
    assert got == pytest.approx(expected, rel=1e-13)


def test_lecture_adam_without_correction_oversteps():
    """The slide's update (uncorrected g_t under the root) makes step 1 ≈ 31.6·lr, not lr."""
    lr, b1, b2 = 0.001, 0.9, 0.999
    g = 2.0
    m_hat = (1 - b1) * g / (1 - b1)
    v = (1 - b2) * g * g
    slide_step = lr * m_hat / (math.sqrt(v) + 1e-8)
    assert slide_step / lr == pytest.approx(math.sqrt(1 / (1 - b2)), rel=1e-6)
    p = Value(1.0)
    opt = Adam([p], lr=lr)
    (p * p).backward()
    opt.step()
    assert 1.0 - p.data == pytest.approx(lr, rel=1e-6)


def test_defaults_match_pytorch():
    p = [Value(0.0)]
    assert Adagrad(p).defaults == {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    }
    assert RMSProp(p).defaults == {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    }
    assert Adam(p).defaults == {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    }
    assert AdamW(p).defaults["weight_decay"] == 1e-2
    assert SGD(p).defaults == {"lr": 1e-3, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}


def test_float32_array_stays_float32(array_param):
    p = array_param([1.0, -2.0], dtype=np.float32)
    opt = Adam([p], lr=0.1)
    p.grad = 2 * p.data
    opt.step()
    assert p.data.dtype == np.float32
    np.testing.assert_allclose(p.data, [0.9, -1.9], rtol=1e-6)
