"""fit(): history, the three batch regimes, callbacks, NaN stop, progress bar; Value/Tensor."""

from __future__ import annotations

import random

import numpy as np
import pytest
from nn_helpers import need_tensor

from nn import functional as F  # noqa: N812
from nn.data import make_blobs, make_moons
from nn.layers import MLP
from nn.scalar import MLP as ScalarMLP  # noqa: N811
from nn.training import History, accuracy, fit, predict


class SGD:
    def __init__(self, params, lr):
        self.params, self.lr = params, lr
        self.steps = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0 if isinstance(p.grad, float) else None

    def step(self):
        self.steps += 1
        for p in self.params:
            p.data -= self.lr * p.grad


def blobs():
    return make_blobs(120, centers=[[-3, 0], [3, 0], [0, 4]], cluster_std=0.6, seed=0)


@pytest.mark.parametrize(("batch_size", "steps_per_epoch"), [(None, 1), (1, 120), (32, 4)])
def test_tensor_fit_in_each_regime(batch_size, steps_per_epoch):
    need_tensor()
    X, y = blobs()
    model = MLP([2, 16, 3], seed=0)
    opt = SGD(model.parameters(), lr=0.05 if batch_size == 1 else 0.3)
    history = fit(model, F.cross_entropy, X, y, opt, epochs=5, batch_size=batch_size, seed=1)
    assert opt.steps == 5 * steps_per_epoch
    assert history.epochs == 5 and len(history.accuracy) == 5
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] >= 0.9
    assert accuracy(predict(model, X), y) >= 0.9
    assert not history.stopped_early


def test_fit_is_reproducible_from_the_seed():
    need_tensor()
    X, y = blobs()
    runs = []
    for _ in range(2):
        model = MLP([2, 8, 3], seed=3)
        runs.append(fit(model, F.cross_entropy, X, y, SGD(model.parameters(), 0.1), 3, 16, 9).loss)
    assert runs[0] == runs[1]


def test_scalar_fit_on_moons():
    random.seed(0)
    X, y01 = make_moons(30, noise=0.1, seed=0)
    model = ScalarMLP(2, [8, 1])
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, F.hinge, X, 2 * y01 - 1, opt, epochs=15, batch_size=10, seed=0)
    assert opt.steps == 45
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] >= 0.8
    assert predict(model, X).shape == (30,)


def test_validation_history():
    need_tensor()
    X, y = blobs()
    model = MLP([2, 8, 3], seed=0)
    history = fit(
        model,
        F.cross_entropy,
        X[:90],
        y[:90],
        SGD(model.parameters(), 0.3),
        epochs=4,
        validation_data=(X[90:], y[90:]),
    )
    assert len(history.val_loss) == len(history.val_accuracy) == 4
    assert history.val_accuracy[-1] == accuracy(predict(model, X[90:]), y[90:])
    assert model.training  # back in training mode after validation


def test_nan_loss_stops_before_the_update_with_a_clear_warning():
    need_tensor()
    X, y = blobs()
    X = X.copy()
    X[5, 0] = np.nan
    model = MLP([2, 8, 3], seed=0)
    before = model.state_dict()
    opt = SGD(model.parameters(), 0.1)
    with pytest.warns(RuntimeWarning, match="fit stopped at epoch 0, batch 0: the loss is nan"):
        history = fit(model, F.cross_entropy, X, y, opt, epochs=3)
    assert history.stopped_early and "Lower the learning rate" in history.stop_reason
    assert history.epochs == 0 and opt.steps == 0
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_callback_sees_history_and_can_stop():
    need_tensor()
    X, y = blobs()
    model = MLP([2, 8, 3], seed=0)
    seen = []

    def stop_after_two(epoch, history):
        seen.append((epoch, history.epochs))
        return epoch == 1

    history = fit(
        model, F.cross_entropy, X, y, SGD(model.parameters(), 0.1), 10, callbacks=[stop_after_two]
    )
    assert seen == [(0, 1), (1, 2)]
    assert history.stopped_early and history.epochs == 2 and "callback" in history.stop_reason


def test_progress_bar_on_request_and_off_by_default(capsys):
    need_tensor()
    X, y = blobs()
    model = MLP([2, 4, 3], seed=0)
    fit(model, F.cross_entropy, X, y, SGD(model.parameters(), 0.1), 2)
    assert "epoch" not in capsys.readouterr().err  # stderr is not a terminal under pytest
    fit(model, F.cross_entropy, X, y, SGD(model.parameters(), 0.1), 2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss=" in err


def test_metric_none_and_bad_optimizer():
    need_tensor()
    X, y = blobs()
    model = MLP([2, 4, 3], seed=0)
    history = fit(model, F.cross_entropy, X, y, SGD(model.parameters(), 0.1), 1, metric=None)
    assert history.accuracy == [] and isinstance(history, History)
    with pytest.raises(TypeError, match=r"optimizer with step\(\) and zero_grad\(\)"):
        fit(model, F.cross_entropy, X, y, object(), 1)


def test_accuracy_conventions():
    assert accuracy(np.array([[0.1, 0.9], [2.0, 1.0]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([0.3, -0.2, 0.1]), np.array([1, -1, -1])) == pytest.approx(2 / 3)
    assert accuracy(np.array([0.7, 0.2]), np.array([1, 0]), threshold=0.5) == 1.0


def test_scalar_multiclass_fit_with_cross_entropy():
    random.seed(1)
    X, y = blobs()
    X, y = X[:30] / 3.0, y[:30]
    model = ScalarMLP(2, [6, 3])
    history = fit(model, F.cross_entropy, X, y, SGD(model.parameters(), 0.2), 30, batch_size=10)
    assert history.loss[-1] < history.loss[0] / 2
    assert predict(model, X).shape == (30, 3)
    assert accuracy(predict(model, X), y) >= 0.9
