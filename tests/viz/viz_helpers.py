"""Graphs shared by the viz tests: micrograd's README, the lecture's chain, an MLP step."""

from __future__ import annotations

import random
import shutil
from typing import Any

import numpy as np
import pytest

from autograd import Value

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def readme_graph() -> dict[str, Value]:
    """micrograd's README expression; g = 24.7041, dg/da = 138.8338, dg/db = 645.5773."""
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    return {"a": a, "b": b, "g": g}


def lecture_chain() -> dict[str, Value]:
    """The lecture's chain: z = w·x + b, h = ReLU(z), z' = w'·h + b', y = σ(z'), C = ½(y − 1)²."""
    x = Value(1.5, label="x")
    w = Value(0.8, label="w")
    b = Value(0.1, label="b")
    w2 = Value(-1.2, label="w'")
    b2 = Value(0.3, label="b'")
    z = w * x + b
    z.label = "z"
    h = z.relu()
    h.label = "h"
    z2 = w2 * h + b2
    z2.label = "z'"
    y = z2.sigmoid()
    y.label = "y"
    C = 0.5 * (y - 1.0) ** 2
    C.label = "C"
    return {"x": x, "w": w, "b": b, "w2": w2, "b2": b2, "z": z, "h": h, "z2": z2, "y": y, "C": C}


def moons(n: int, seed: int = 1, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with labels ±1 (no scikit-learn needed)."""
    rng = np.random.default_rng(seed)
    n1 = n // 2
    t1, t2 = np.linspace(0, np.pi, n1), np.linspace(0, np.pi, n - n1)
    X = np.concatenate(
        [np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]]
    ) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n1), np.ones(n - n1)])
    return X, y


def mlp_step(n_points: int, sizes: list[int], seed: int = 1337) -> tuple[Any, Any]:
    """One micrograd-demo training step's graph: hinge loss + L2 on an nn.scalar MLP."""
    from nn.scalar import MLP

    random.seed(seed)
    X, y = moons(n_points)
    model = MLP(2, sizes)
    scores = [model([Value(v) for v in row]) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    loss.backward()
    return model, loss
