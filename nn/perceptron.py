"""Rosenblatt's perceptron (sign activation, its own learning rule) beside a differentiable neuron.

The classic perceptron computes ``ŷ = sign(w·x + b)`` with labels ``y ∈ {−1,
+1}`` and, for each sample, applies the *perceptron learning rule*

    w ← w + η (y − ŷ) x,      b ← b + η (y − ŷ)

which changes nothing when the prediction is right. It needs no gradient —
sign has none to give (its derivative is 0, or undefined at 0) — and the
perceptron convergence theorem guarantees a separating line in finitely many
updates *if one exists*: AND and OR are learned, XOR never is (no line
separates its classes). :class:`SigmoidNeuron` swaps sign for sigmoid, which
is differentiable, so it trains by gradient descent on the autodiff engine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Value

from .module import Module

__all__ = ["Perceptron", "SigmoidNeuron"]


class Perceptron:
    """A single-layer perceptron trained by Rosenblatt's rule (numpy, no autodiff).

    ``Perceptron(n_features, lr=1.0)`` starts from ``w = 0, b = 0``. ``sign(0) = 0``
    counts as a wrong answer (then ``y − ŷ = ±1`` still moves the boundary).
    """

    def __init__(self, n_features: int, lr: float = 1.0) -> None:
        if n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {n_features}")
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0, got {lr}")
        self.w = np.zeros(n_features)
        self.b = 0.0
        self.lr = float(lr)
        self.errors: list[int] = []
        self.converged = False

    def decision_function(self, X: Any) -> np.ndarray:
        """``w·x + b`` for each row of ``X``."""
        return np.asarray(X, dtype=np.float64) @ self.w + self.b

    def predict(self, X: Any) -> np.ndarray:
        """``sign(w·x + b)`` ∈ {−1, 0, +1} for each row of ``X``."""
        return np.sign(self.decision_function(X))

    def update(self, x: np.ndarray, y: float) -> bool:
        """Apply the rule to one sample; return whether it was misclassified."""
        y_hat = float(np.sign(x @ self.w + self.b))
        step = self.lr * (y - y_hat)
        if step == 0.0:
            return False
        self.w = self.w + step * x
        self.b = self.b + step
        return True

    def fit(self, X: Any, y: Any, epochs: int = 100) -> Perceptron:
        """Sweep the samples in order until an epoch makes no mistake, at most ``epochs`` times.

        Labels must be ``−1``/``+1`` (map 0/1 labels with ``2*y - 1``).
        Records the mistakes per epoch in ``errors`` and sets ``converged``.
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.w.size:
            raise ValueError(f"X must have shape (n, {self.w.size}), got {X.shape}")
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
        if not np.isin(y, (-1.0, 1.0)).all():
            raise ValueError("perceptron labels must be -1/+1; map 0/1 labels with 2*y - 1")
        for _ in range(epochs):
            mistakes = sum(self.update(xi, yi) for xi, yi in zip(X, y))
            self.errors.append(int(mistakes))
            if mistakes == 0:
                self.converged = True
                break
        return self

    def score(self, X: Any, y: Any) -> float:
        """Fraction of rows where ``predict`` equals the ±1 label."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


class SigmoidNeuron(Module):
    """A differentiable neuron ``σ(w·x + b)`` on ``Value``: trainable by gradient descent.

    Weights start ``uniform(−1, 1)`` from Python's ``random`` (as ``nn.scalar``),
    the bias at 0. Its output is a probability; train it with
    :func:`nn.functional.binary_cross_entropy`.
    """

    def __init__(self, nin: int) -> None:
        if nin < 1:
            raise ValueError(f"nin must be >= 1, got {nin}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)

    def forward(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"SigmoidNeuron expects {len(self.w)} inputs, got {len(x)}")
        z = self.b
        for wi, xi in zip(self.w, x):
            z = z + wi * xi
        return z.sigmoid()

    def extra_repr(self) -> str:
        return f"nin={len(self.w)}"
