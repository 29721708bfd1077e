"""Helpers for the optim tests: a Tensor-like array parameter and the Rosenbrock gradient."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


class ArrayParam:
    """A minimal array parameter: ndarray ``.data`` behind a setter counting writes, ``.grad``."""

    def __init__(self, data: Any, dtype: Any = np.float64) -> None:
        self._data = np.array(data, dtype=dtype)
        self.grad: np.ndarray | None = None
        self.writes = 0

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        self._data = value
        self.writes += 1


def _rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    """∇ of (1 − x)² + 100(y − x²)², by hand."""
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


@pytest.fixture
def array_param() -> type[ArrayParam]:
    return ArrayParam


@pytest.fixture
def rosenbrock_grad() -> Any:
    return _rosenbrock_grad
