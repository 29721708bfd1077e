"""Training does not grow memory: hundreds of steps leave nothing behind (tracemalloc).

Each run trains a while (warm-up: caches, optimizer state, freelists), measures the traced
memory, trains a few hundred steps more and measures again. What ``fit`` keeps on purpose
(its History) is returned and dropped, so any growth is a leak: a graph, a gradient or a
record kept per step. A control that keeps 128 bytes per step shows the check can fail.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Callable

import numpy as np

import nn
import optim

LIMIT = 8 * 1024  # bytes; a leak of 128 bytes per step over 200 steps is 25 kB


def _traced_growth(train: Callable[[int], object], warm_up: int, measured: int) -> int:
    """Bytes still allocated after ``train(measured)`` that were not after ``train(warm_up)``."""
    tracemalloc.start()
    try:
        train(warm_up)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        train(measured)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def _tensor_trainer(loss_fn=nn.functional.cross_entropy) -> Callable[[int], object]:
    X, y = nn.make_moons(64, noise=0.1, seed=0)
    model = nn.MLP([2, 16, 16, 2], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    # 64 samples in batches of 16: four steps per epoch
    return lambda epochs: nn.fit(model, loss_fn, X, y, opt, epochs=epochs, batch_size=16,
                                 progress=False)


def test_tensor_mlp_training_does_not_grow():
    growth = _traced_growth(_tensor_trainer(), warm_up=25, measured=75)  # 300 steps measured
    assert growth < LIMIT, f"{growth:,} bytes more after 300 steps"


def test_scalar_moons_training_does_not_grow():
    random.seed(0)
    X, y = nn.make_moons(16, noise=0.1, seed=0)
    model = nn.scalar.MLP(2, [8, 8, 1])
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss = nn.BCEWithLogitsLoss()

    def train(epochs: int) -> object:  # batches of 4: four steps per epoch
        return nn.fit(model, loss, X, y, opt, epochs=epochs, batch_size=4, progress=False)

    growth = _traced_growth(train, warm_up=10, measured=50)  # 200 steps measured
    assert growth < LIMIT, f"{growth:,} bytes more after 200 steps"


def test_the_check_catches_a_small_leak():
    kept: list[np.ndarray] = []

    def leaky_loss(outputs, targets):
        kept.append(np.zeros(2))  # 128 bytes of array per step, never freed
        return nn.functional.cross_entropy(outputs, targets)

    growth = _traced_growth(_tensor_trainer(leaky_loss), warm_up=5, measured=50)
    assert growth > LIMIT, growth
    assert len(kept) == 4 * 55


def test_loading_a_model_file_repeatedly_does_not_grow(tmp_path):
    nn.MLP([2, 16, 2], seed=0).save(tmp_path / "m.npz")
    model = nn.MLP([2, 16, 2], seed=1)

    def loads(n: int) -> None:
        for _ in range(n):
            model.load(tmp_path / "m.npz")
            nn.load(tmp_path / "m.npz")

    # a long warm-up: numpy fills small caches during the first hundred calls or so
    growth = _traced_growth(loads, warm_up=200, measured=100)
    assert growth < LIMIT, f"{growth:,} bytes more after 100 loads"
