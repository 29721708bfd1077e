"""Toy data sets, batching, train/test split and scikit-learn's bundled digits.

Every generator returns ``(X, y)``: ``X`` a float64 array ``(n_samples,
n_features)``, ``y`` int64 class labels ``0 … k−1``, shuffled, and
reproducible from ``seed`` (an int, ``None`` for fresh randomness, or a
``numpy.random.Generator``). For micrograd's ±1 labels use ``2 * y - 1``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "BatchIterator",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_logic_gate",
    "make_moons",
    "make_spirals",
    "make_xor",
    "standardize",
    "train_test_split",
]

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_n(n_samples: int, minimum: int = 1) -> int:
    if not isinstance(n_samples, int | np.integer) or n_samples < minimum:
        raise ValueError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _finish(X: np.ndarray, y: np.ndarray, noise: float | None, rng: np.random.Generator):
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.int64)


def make_moons(
    n_samples: int = 100, noise: float | None = None, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's construction), classes 0 and 1.

    Class 0: ``(cos t, sin t)``; class 1: ``(1 − cos t, 0.5 − sin t)``, ``t ∈ [0, π]``;
    plus Gaussian noise of standard deviation ``noise``. micrograd's demo uses
    ``make_moons(100, noise=0.1)``.
    """
    n = _check_n(n_samples, 2)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5])
    y = np.repeat([0, 1], [n_out, n_in])
    return _finish(np.vstack([outer, inner]), y, noise, _rng(seed))


def make_circles(
    n_samples: int = 100, noise: float | None = None, factor: float = 0.8, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on radius 1, class 1 on radius ``factor`` ∈ (0, 1)."""
    n = _check_n(n_samples, 2)
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie in (0, 1), got {factor}")
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = factor * np.column_stack([np.cos(t_in), np.sin(t_in)])
    y = np.repeat([0, 1], [n_out, n_in])
    return _finish(np.vstack([outer, inner]), y, noise, _rng(seed))


def make_xor(
    n_samples: int = 200, noise: float | None = None, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in ``[−1, 1]²`` labelled ``(x₀ > 0) XOR (x₁ > 0)``: not linearly separable.

    ``noise`` (standard deviation) is added after labelling, blurring the axes.
    """
    n = _check_n(n_samples)
    rng = _rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    return _finish(X, y, noise, rng)


def make_spirals(
    n_samples: int = 300, n_classes: int = 2, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (CS231n's construction).

    Arm ``k``: radius ``r ∈ [0, 1]`` and angle ``θ = 4k + 4r + ε`` with
    ``ε ~ N(0, noise²)`` (noise on the angle), point ``r·(sin θ, cos θ)``.
    """
    n = _check_n(n_samples, n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes must be >= 2, got {n_classes}")
    rng = _rng(seed)
    counts = [n // n_classes + (k < n % n_classes) for k in range(n_classes)]
    parts, labels = [], []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), m) + rng.normal(scale=noise, size=m)
        parts.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        labels.append(np.full(m, k))
    return _finish(np.vstack(parts), np.concatenate(labels), None, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    cluster_std: float = 1.0,
    n_features: int = 2,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs: ``centers`` random centres in ``center_box`` (or given ones).

    Samples are split as evenly as possible among the blobs; each is its centre
    plus ``N(0, cluster_std²)`` noise per feature.
    """
    n = _check_n(n_samples)
    rng = _rng(seed)
    if isinstance(centers, int | np.integer):
        c = rng.uniform(*center_box, size=(int(centers), n_features))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2:
            raise ValueError(f"centers must be an int or a (k, n_features) array, got {c.shape}")
    k = len(c)
    counts = [n // k + (i < n % k) for i in range(k)]
    X = np.vstack(
        [c[i] + rng.normal(scale=cluster_std, size=(m, c.shape[1])) for i, m in enumerate(counts)]
    )
    y = np.repeat(np.arange(k), counts)
    return _finish(X, y, None, rng)


_GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
}


def make_logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of ``"and"``, ``"or"``, ``"xor"`` or ``"nand"``: X = {0,1}², y ∈ {0, 1}."""
    if name.lower() not in _GATES:
        raise ValueError(f"unknown gate {name!r}; choose one of {sorted(_GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array(_GATES[name.lower()], dtype=np.int64)


class BatchIterator:
    """Iterate over ``(X_batch, y_batch)`` for one epoch per ``for`` loop.

    ``batch_size`` selects the lecture's three regimes (M = number of samples):

    * ``None`` or ``"full"`` — full-batch gradient descent: one batch of all M;
    * ``1`` — stochastic gradient descent (SGD): M batches of one sample;
    * ``1 < N < M`` — mini-batch gradient descent: ``ceil(M / N)`` batches (the
      last one smaller unless ``drop_last``).

    With ``shuffle`` (default) the order is a fresh permutation every epoch,
    drawn from one generator seeded by ``seed``: reproducible runs, different
    epochs. Full batches are never shuffled (order does not change a full-batch
    gradient).
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        batch_size: int | str | None = None,
        shuffle: bool = True,
        seed: Seed = 0,
        drop_last: bool = False,
    ) -> None:
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        n = len(self.X)
        if n == 0:
            raise ValueError("BatchIterator needs at least one sample")
        if self.y is not None and len(self.y) != n:
            raise ValueError(f"X has {n} samples but y has {len(self.y)}")
        if batch_size is None or batch_size == "full":
            batch_size = n
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise ValueError(f"batch_size must be None, 'full' or an int >= 1, got {batch_size!r}")
        if not 1 <= batch_size <= n:
            raise ValueError(
                f"batch_size must lie in [1, {n}] (the number of samples), got {batch_size}"
            )
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = _rng(seed)

    @property
    def mode(self) -> str:
        """``"full-batch"``, ``"SGD"`` or ``"mini-batch"``."""
        if self.batch_size == len(self.X):
            return "full-batch"
        return "SGD" if self.batch_size == 1 else "mini-batch"

    def __len__(self) -> int:
        n = len(self.X)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        n = len(self.X)
        if self.batch_size == n:
            yield self.X, self.y
            return
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            yield self.X[idx], None if self.y is None else self.y[idx]


def train_test_split(
    X: Any,
    y: Any,
    test_size: float | int = 0.25,
    seed: Seed = 0,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order), shuffled.

    ``test_size``: a fraction in (0, 1) (the test set gets ``ceil(test_size·n)``
    samples) or a count. With ``stratify=True`` each class keeps its
    proportion: the test count is shared among classes by largest remainder.
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}")
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"a fractional test_size must lie in (0, 1), got {test_size}")
        n_test = math.ceil(test_size * n)
    else:
        n_test = int(test_size)
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size gives {n_test} test samples of {n}; need 1 … {n - 1}")
    rng = _rng(seed)
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        exact = n_test * counts / n
        share = np.floor(exact).astype(int)
        remainder_rank = np.argsort(-(exact - share), kind="stable")
        share[remainder_rank[: n_test - share.sum()]] += 1
        test_parts, train_parts = [], []
        for k in range(len(classes)):
            members = rng.permutation(np.flatnonzero(inverse == k))
            test_parts.append(members[: share[k]])
            train_parts.append(members[share[k] :])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]


def standardize(train: Any, *others: Any) -> tuple[np.ndarray, ...]:
    """Scale features to mean 0, standard deviation 1 using the *training* set's statistics.

    Returns ``(train_scaled, *others_scaled)``; constant features (std 0) are only
    centred. Using the training statistics for the test set too keeps the test
    set unseen.
    """
    train = np.asarray(train, dtype=np.float64)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)
    return tuple((np.asarray(a, dtype=np.float64) - mean) / std for a in (train, *others))


def load_digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits: 1,797 images of 8×8 pixels, 10 classes.

    Returns ``X`` float64 ``(1797, 64)`` (pixel values 0…16, divided by 16
    when ``scale``) and ``y`` int64 ``(1797,)``. The data ships inside the
    scikit-learn package (no download); install it with
    ``pip install 'chainrule[data]'`` (or ``pip install scikit-learn``).
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as exc:
        raise ImportError(
            "nn.data.load_digits needs scikit-learn, which ships the digits data set: "
            "pip install 'chainrule[data]'  (or: pip install scikit-learn)"
        ) from exc
    bunch = sklearn_load_digits()
    X = bunch.data.astype(np.float64)
    return (X / 16.0 if scale else X), bunch.target.astype(np.int64)
