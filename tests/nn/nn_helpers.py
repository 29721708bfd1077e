"""Shared helpers for the nn tests: build inputs on either backend and read gradients back."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Value

BACKENDS = ("value", "tensor")


def need_tensor() -> type:
    tensor = getattr(autograd, "Tensor", None)
    if tensor is None:
        pytest.skip("autograd.Tensor is not available yet")
    return tensor


def leaf(data, backend: str):
    """A differentiable leaf: a list of Values (or nested lists) or a float64 Tensor."""
    arr = np.asarray(data, dtype=np.float64)
    if backend == "value":
        if arr.ndim == 0:
            return Value(float(arr))
        if arr.ndim == 1:
            return [Value(float(v)) for v in arr]
        return [[Value(float(v)) for v in row] for row in arr]
    tensor = need_tensor()
    return tensor(arr, requires_grad=True, dtype=np.float64)


def leaves(x) -> list:
    """The leaf nodes to differentiate: the Values of a (nested) list, or the Tensor itself."""
    if isinstance(x, Value):
        return [x]
    if isinstance(x, list):
        return [v for item in x for v in leaves(item)]
    return [x]


def data(x) -> np.ndarray:
    """The numbers of a Value, a (nested) list of Values or a Tensor."""
    if isinstance(x, Value):
        return np.array(x.data)
    if isinstance(x, list):
        return np.array([data(v) for v in x])
    return np.asarray(x.data, dtype=np.float64)


def grad(x) -> np.ndarray:
    """The gradients in the same layout as :func:`data`."""
    if isinstance(x, Value):
        return np.array(x.grad)
    if isinstance(x, list):
        return np.array([grad(v) for v in x])
    return np.zeros(x.shape) if x.grad is None else np.asarray(x.grad, dtype=np.float64)


def total(out):
    """Reduce an output (Value, list of Values, Tensor) to one scalar node with random weights."""
    if isinstance(out, Value):
        return out
    if isinstance(out, list):
        flat = leaves(out)
        rng = np.random.default_rng(0)
        acc = flat[0] * float(rng.uniform(0.5, 1.5))
        for v in flat[1:]:
            acc = acc + v * float(rng.uniform(0.5, 1.5))
        return acc
    rng = np.random.default_rng(0)
    return (out * rng.uniform(0.5, 1.5, size=out.shape)).sum()
