"""Data sets, batching regimes, the stratified split and the digits loader."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

from nn import data as D  # noqa: N812

GENERATORS = {
    "moons": lambda seed: D.make_moons(100, noise=0.1, seed=seed),
    "circles": lambda seed: D.make_circles(100, noise=0.05, seed=seed),
    "xor": lambda seed: D.make_xor(100, seed=seed),
    "spirals": lambda seed: D.make_spirals(99, n_classes=3, seed=seed),
    "blobs": lambda seed: D.make_blobs(100, centers=4, seed=seed),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_seeded_shaped_and_balanced(name):
    X, y = GENERATORS[name](3)
    X2, y2 = GENERATORS[name](3)
    X3, _ = GENERATORS[name](4)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.shape == (len(y), 2) and np.isfinite(X).all()
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, X3)
    counts = np.bincount(y)
    if name != "xor":
        assert counts.max() - counts.min() <= 1
    assert y[: len(y) // 2].std() > 0  # shuffled, not sorted by class


def test_moons_and_circles_geometry():
    X, y = D.make_moons(200, seed=0)
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    X, y = D.make_circles(200, factor=0.5, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)


def test_xor_labels_and_logic_gates():
    X, y = D.make_xor(500, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    _, y_and = D.make_logic_gate("and")
    _, y_xor = D.make_logic_gate("XOR")
    assert y_and.tolist() == [0, 0, 0, 1] and y_xor.tolist() == [0, 1, 1, 0]
    with pytest.raises(ValueError, match="unknown gate 'nor'"):
        D.make_logic_gate("nor")


def test_generator_argument_errors():
    with pytest.raises(ValueError, match="n_samples must be an integer >= 2"):
        D.make_moons(1)
    with pytest.raises(ValueError, match="factor must lie in"):
        D.make_circles(10, factor=1.5)


@pytest.mark.parametrize(
    ("batch_size", "mode", "n_batches"),
    [(None, "full-batch", 1), ("full", "full-batch", 1), (1, "SGD", 10), (4, "mini-batch", 3)],
)
def test_batch_regimes(batch_size, mode, n_batches):
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    it = D.BatchIterator(X, y, batch_size=batch_size, seed=0)
    assert it.mode == mode and len(it) == n_batches
    batches = list(it)
    assert len(batches) == n_batches
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(10))  # every sample once per epoch
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)  # rows stay paired with labels


def test_shuffled_each_epoch_and_reproducible():
    X = np.arange(50.0)
    a = D.BatchIterator(X, batch_size=5, seed=7)
    b = D.BatchIterator(X, batch_size=5, seed=7)
    epoch1, epoch2 = [np.concatenate([xb for xb, _ in a]) for _ in range(2)]
    assert not np.array_equal(epoch1, epoch2)
    np.testing.assert_array_equal(epoch1, np.concatenate([xb for xb, _ in b]))
    assert len(D.BatchIterator(X, batch_size=8, drop_last=True)) == 6


def test_batch_errors():
    with pytest.raises(ValueError, match=r"batch_size must lie in \[1, 3\]"):
        D.BatchIterator(np.ones(3), batch_size=5)
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        D.BatchIterator(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="batch_size must be None, 'full' or an int"):
        D.BatchIterator(np.ones(3), batch_size=0.5)


def test_stratified_split_keeps_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100.0)[:, None]
    X_tr, X_te, y_tr, y_te = D.train_test_split(X, y, 0.25, seed=0, stratify=True)
    assert len(y_te) == 25 and len(y_tr) == 75
    assert np.bincount(y_te).tolist() == [15, 8, 2] or np.bincount(y_te).tolist() == [15, 7, 3]
    assert sorted(np.concatenate([X_tr, X_te]).ravel().tolist()) == list(range(100))
    np.testing.assert_array_equal(y[X_te.ravel().astype(int)], y_te)
    again = D.train_test_split(X, y, 0.25, seed=0, stratify=True)
    np.testing.assert_array_equal(again[1], X_te)


def test_plain_split_and_errors():
    X, y = np.arange(10.0), np.arange(10)
    X_tr, X_te, _, _ = D.train_test_split(X, y, test_size=3, seed=1)
    assert len(X_te) == 3 and set(X_tr) | set(X_te) == set(X)
    with pytest.raises(ValueError, match=r"fractional test_size must lie in \(0, 1\)"):
        D.train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        D.train_test_split(X, y[:9])


def test_standardize_uses_training_statistics():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    test = np.array([[2.0, 6.0]])
    tr, te = D.standardize(train, test)
    np.testing.assert_allclose(tr, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(te, [[0.0, 1.0]])


def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0 and set(np.unique(y)) == set(range(10))
    raw, _ = D.load_digits(scale=False)
    assert raw.max() == 16.0


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[data\]'"):
        D.load_digits()


def test_spirals_are_not_degenerate():
    X, _ = D.make_spirals(300, n_classes=2, noise=0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert math.isclose(radius.max(), 1.0)
