"""The lecture's 3-3-2 network: forward numbers, and both chain-rule products against backprop."""

from __future__ import annotations

import numpy as np
import pytest

from nn.lecture import (
    LECTURE_EXAMPLE,
    chain_rule_332,
    cost_332,
    describe_332,
    describe_chain_rule_332,
    forward_332,
)


def test_forward_step_by_step_matches_numpy():
    net = forward_332()
    x = np.array(LECTURE_EXAMPLE.x)
    W, b = np.array(LECTURE_EXAMPLE.W), np.array(LECTURE_EXAMPLE.b)
    W2, b2 = np.array(LECTURE_EXAMPLE.W2), np.array(LECTURE_EXAMPLE.b2)
    z = W @ x + b
    h = np.maximum(z, 0)
    z2 = W2 @ h + b2
    y = np.exp(z2) / np.exp(z2).sum()
    np.testing.assert_allclose([v.data for v in net.z], z)
    np.testing.assert_allclose([v.data for v in net.z], [0.4, 0.75, -0.3])
    np.testing.assert_allclose([v.data for v in net.h], h)
    np.testing.assert_allclose([v.data for v in net.z2], z2)
    np.testing.assert_allclose([v.data for v in net.y_hat], y)
    assert net.h[2].data == 0.0  # ReLU kills the negative unit
    text = describe_332(net)
    assert "2. h  = ReLU(z)   = [0.4000, 0.7500, 0.0000]" in text
    assert net.y_hat[0].scope == ("output",) and net.z[0].scope == ("hidden",)
    assert net.W[0][1].label == "W01" and net.z2[1].label == "z'1"


def test_both_chain_rule_products_equal_backprop():
    net = forward_332(output="sigmoid")
    cost = cost_332(net)
    cost.backward()
    products = chain_rule_332(net)
    # ∂C/∂w' = ∂C/∂y · ∂y/∂z' · ∂z'/∂w'
    for i in range(2):
        for j in range(3):
            assert net.W2[i][j].grad == pytest.approx(products.dc_dw2[i][j], rel=1e-12, abs=1e-15)
    # ∂C/∂w = ∂C/∂y · ∂y/∂z' · ∂z'/∂h · ∂h/∂z · ∂z/∂w (summed over the two outputs)
    for j in range(3):
        for k in range(3):
            assert net.W[j][k].grad == pytest.approx(products.dc_dw[j][k], rel=1e-12, abs=1e-15)
    assert products.dh_dz == [1.0, 1.0, 0.0]
    assert all(g == 0.0 for g in products.dc_dw[2])  # the dead unit learns nothing
    assert any(abs(g) > 1e-3 for row in products.dc_dw[:2] for g in row)
    y = [v.data for v in net.y_hat]
    assert products.dc_dy == pytest.approx([y[0] - 1.0, y[1] - 0.0])
    assert products.dy_dz2 == pytest.approx([y[0] * (1 - y[0]), y[1] * (1 - y[1])])
    text = describe_chain_rule_332(net, i=1, j=0, k=2)
    assert text.startswith("∂C/∂w'10 = ∂C/∂y1 · ∂y1/∂z'1 · ∂z'1/∂w'10 = ")
    assert text.splitlines()[0].endswith(f"{net.W2[1][0].grad:.6f}")
    assert text.endswith(f"{net.W[0][2].grad:.6f}")


def test_shared_bias_and_given_values():
    net = forward_332(b=0.1, b2=0.0, output="sigmoid")
    assert net.b[0] is net.b[1] is net.b[2]
    cost_332(net).backward()
    assert net.b[0].grad == pytest.approx(sum(r for r in chain_rule_bias(net)))


def chain_rule_bias(net):
    products = chain_rule_332(net)
    return [
        sum(products.dc_dy[i] * products.dy_dz2[i] * products.dz2_dh[i][j] for i in range(2))
        * products.dh_dz[j]
        for j in range(3)
    ]


def test_bad_arguments():
    with pytest.raises(ValueError, match="W must be 3×3"):
        forward_332(W=[[1.0, 2.0]])
    with pytest.raises(ValueError, match="output must be 'softmax' or 'sigmoid'"):
        forward_332(output="relu")
    with pytest.raises(ValueError, match=r"call forward_332\(output='sigmoid'\)"):
        chain_rule_332(forward_332())
