"""nn.scalar: micrograd's API and behaviour, and the micrograd demo (100% on two moons)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autograd import Value, gc_paused, topological_order
from nn import functional as F  # noqa: N812
from nn.data import make_moons
from nn.scalar import MLP, Layer, Neuron


def test_same_weights_outputs_and_gradients_as_micrograd():
    mg_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = mg_nn.MLP(3, [4, 4, 1])
    random.seed(1337)
    ours = MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    x = [2.0, 3.0, -1.0]
    out_theirs, out_ours = theirs(x), ours(x)
    assert out_ours.data == pytest.approx(out_theirs.data, rel=1e-12)
    out_theirs.backward()
    out_ours.backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)


def test_layer_and_neuron_api():
    random.seed(0)
    n = Neuron(3, nonlin=False)
    assert len(n.parameters()) == 4 and n.b.data == 0.0
    assert all(-1.0 <= w.data <= 1.0 for w in n.w)
    layer = Layer(3, 2, nonlin=False)
    assert len(layer([1.0, 2.0, 3.0])) == 2
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)
    with pytest.raises(ValueError, match="expects 3 inputs, got 2"):
        n([1.0, 2.0])


def test_name_scopes_are_micrograds_model_path():
    random.seed(0)
    model = MLP(2, [3, 1])
    out = model([1.0, -1.0])
    assert out.scope == ("MLP", "layer1", "neuron0")
    scopes = {node.scope for node in topological_order(out) if node._prev}
    assert scopes == {("MLP", "layer0", f"neuron{j}") for j in range(3)} | {out.scope}


def test_zero_grad_resets():
    random.seed(0)
    model = MLP(2, [3, 1])
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip_on_scalar_mlp(tmp_path):
    random.seed(0)
    a = MLP(2, [3, 1])
    random.seed(1)
    b = MLP(2, [3, 1])
    a.save(tmp_path / "m.npz")
    b.load(tmp_path / "m.npz")
    assert b([0.3, -0.7]).data == a([0.3, -0.7]).data


def test_micrograd_demo_reaches_full_train_accuracy():
    """micrograd's demo: MLP(2, [16, 16, 1]), hinge + L2, SGD with a decaying rate."""
    random.seed(1337)
    X, y01 = make_moons(100, noise=0.1, seed=1)
    y = 2 * y01 - 1
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337
    rows = X.tolist()
    accuracy = 0.0
    for k in range(100):
        with gc_paused():
            scores = [model(row) for row in rows]
            params = model.parameters()
            reg = sum(p * p for p in params) * 1e-4
            loss = F.hinge(scores, y) + reg
            accuracy = float(np.mean([(s.data > 0) == (yi > 0) for s, yi in zip(scores, y)]))
            if accuracy == 1.0:
                break
            model.zero_grad()
            loss.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in params:
                p.data -= lr * p.grad
    print(f"micrograd demo: {accuracy:.0%} after {k} steps")
    assert accuracy == 1.0
