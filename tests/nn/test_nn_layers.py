"""Tensor layers: Linear (initialisations), Sequential, MLP; state dicts; digits acceptance."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from nn_helpers import need_tensor

from autograd import gradcheck, topological_order
from nn import functional as F  # noqa: N812
from nn.activations import ReLU, Tanh
from nn.data import load_digits, standardize, train_test_split
from nn.layers import MLP, Linear, Sequential
from nn.training import accuracy, fit, predict


@pytest.fixture(autouse=True)
def _tensor():
    need_tensor()


def tensor(a, requires_grad=False):
    import autograd

    return autograd.Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def test_linear_computes_x_wt_plus_b():
    layer = Linear(3, 2, seed=0)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    out = layer(tensor(x))
    np.testing.assert_allclose(out.data, x @ layer.weight.data + layer.bias.data)
    assert Linear(3, 2, bias=False, seed=0).parameters()[0] is not None
    assert len(Linear(3, 2, bias=False).parameters()) == 1


def test_linear_gradcheck():
    layer = Linear(4, 3, seed=1)
    x = tensor(np.random.default_rng(0).normal(size=(5, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: layer(x), x, layer.weight, layer.bias)


@pytest.mark.parametrize(
    ("init", "check"),
    [
        ("pytorch", lambda W, b, fi, fo: np.abs(W).max() <= 1 / math.sqrt(fi) and b.any()),
        (
            "xavier",
            lambda W, b, fi, fo: np.abs(W).max() <= math.sqrt(6 / (fi + fo)) and not b.any(),
        ),
        ("he", lambda W, b, fi, fo: abs(W.std() - math.sqrt(2 / fi)) < 0.05 * math.sqrt(2 / fi)),
    ],
)
def test_initialisations(init, check):
    fan_in, fan_out = 400, 300
    layer = Linear(fan_in, fan_out, init=init, seed=0)
    W, b = layer.weight.data, layer.bias.data
    assert check(W, b, fan_in, fan_out)
    bound = {"pytorch": 1 / math.sqrt(fan_in), "xavier": math.sqrt(6 / (fan_in + fan_out))}
    assert b.any() == (init == "pytorch")  # Xavier and He start with zero bias
    if init in bound:  # uniform on (-a, a): the std is a/√3
        assert W.std() == pytest.approx(bound[init] / math.sqrt(3), rel=0.02)


def test_same_seed_same_weights_and_bad_init():
    assert np.array_equal(Linear(3, 2, seed=5).weight.data, Linear(3, 2, seed=5).weight.data)
    with pytest.raises(ValueError, match="unknown init 'lecun'"):
        Linear(3, 2, init="lecun")
    with pytest.raises(ValueError, match="in_features >= 1"):
        Linear(0, 2)
    with pytest.raises(ValueError, match=r"expects inputs with 3 features.*\(2, 4\)"):
        Linear(3, 2)(tensor(np.ones((2, 4))))


def test_sequential_and_mlp_structure():
    model = MLP([4, 8, 8, 3], activation="tanh", seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
        "layers.2.bias",
        "layers.4.weight",
        "layers.4.bias",
    ]
    assert isinstance(model.layers[1], Tanh) and model.layers[1] is not model.layers[3]
    assert len(model.layers) == 5
    text = repr(model)
    assert "(layers): Sequential(" in text and "(0): Linear(in_features=4, out_features=8" in text
    out = model(tensor(np.ones((2, 4))))
    assert out.shape == (2, 3)
    scopes = {node.scope for node in topological_order(out) if node._prev}
    assert ("MLP", "layers", "Linear0") in scopes and ("MLP", "layers", "Tanh3") in scopes


def test_mlp_with_activation_instance_and_output_activation():
    model = MLP([2, 3, 2], activation=ReLU(), output_activation="softmax", seed=0)
    out = model(tensor(np.ones((4, 2))))
    np.testing.assert_allclose(out.data.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP([2, 3, 1], activation="swish")


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential takes Modules, got function"):
        Sequential(Linear(2, 2), F.relu)


def test_zero_grad_sets_tensor_grads_to_none():
    model = MLP([3, 4, 2], seed=0)
    F.cross_entropy(model(tensor(np.ones((2, 3)))), [0, 1]).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_tensor_model_save_load_and_dtype_check(tmp_path):
    a, b = MLP([3, 4, 2], seed=0), MLP([3, 4, 2], seed=1)
    a.save(tmp_path / "mlp.npz")
    b.load(tmp_path / "mlp.npz")
    x = tensor(np.ones((1, 3)))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    c = MLP([3, 4, 2], dtype=np.float32, seed=2)
    before = c.state_dict()
    with pytest.raises(
        ValueError, match=r"'layers\.0\.weight': expected dtype float32, got float64"
    ):
        c.load_state_dict(a.state_dict())
    for key, value in c.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    wrong = MLP([3, 5, 2], seed=0).state_dict()
    with pytest.raises(ValueError, match=r"expected shape \(3, 4\), got \(3, 5\)"):
        b.load_state_dict(wrong)


class MomentumSGD:
    """A 10-line optimizer, so the nn tests do not depend on optim."""

    def __init__(self, params, lr, momentum=0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = [np.zeros_like(p.data) for p in params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, v in zip(self.params, self.velocity):
            v *= self.momentum
            v += p.grad
            p.data -= self.lr * v


def test_digits_mlp_reaches_97_percent():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.25, seed=0, stratify=True)
    X_train, X_test = standardize(X_train, X_test)
    model = MLP([64, 128, 10], seed=0)
    start = time.perf_counter()
    history = fit(
        model,
        F.cross_entropy,
        X_train,
        y_train,
        MomentumSGD(model.parameters(), lr=0.05),
        epochs=60,
        batch_size=32,
        seed=0,
        progress=False,
        validation_data=(X_test, y_test),
    )
    elapsed = time.perf_counter() - start
    test_accuracy = accuracy(predict(model, X_test), y_test)
    print(f"digits: test accuracy {test_accuracy:.4f} in {elapsed:.2f} s (60 epochs)")
    assert history.val_accuracy[-1] == pytest.approx(test_accuracy)
    assert history.loss[-1] < history.loss[0] / 10
    assert test_accuracy >= 0.97
