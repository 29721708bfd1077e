"""Hypothesis strategies for testing gradients (needs ``pip install hypothesis``).

Use them to property-test your own operations against finite differences::

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import values

    @given(values(away_from=(0.0,)))
    def test_my_op(x):
        gradcheck(lambda v: my_op(v), x)

Kinks (``relu``/``abs`` at 0) and poles (``1/x`` at 0) are where a central
difference is wrong by construction: keep inputs a margin away with
``away_from`` and pin the value *at* the kink by a unit test instead.
"""

from __future__ import annotations

from collections.abc import Iterable

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "autograd.testing needs hypothesis: pip install 'chainrule[testing]' (or hypothesis)"
    ) from error

from .value import Value

__all__ = ["finite_floats", "floats_away_from", "positive_floats", "values"]


def finite_floats(min_value: float = -10.0, max_value: float = 10.0) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]`` (no nan, no inf, no subnormals)."""
    if not min_value <= max_value:
        raise ValueError(
            f"finite_floats needs min_value <= max_value, got {min_value}, {max_value}"
        )
    return st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


def floats_away_from(
    points: Iterable[float] = (0.0,),
    margin: float = 1e-2,
    min_value: float = -10.0,
    max_value: float = 10.0,
) -> st.SearchStrategy[float]:
    """Finite floats at least ``margin`` away from every point in ``points`` (kinks, poles)."""
    points = tuple(float(p) for p in points)
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")

    def push(x: float) -> float:
        # Move a float that lands too close to a point just outside the margin,
        # so hypothesis never has to reject (and shrinking stays effective).
        for p in points:
            if abs(x - p) < margin:
                x = p + margin if x >= p else p - margin
        return x

    return (
        finite_floats(min_value, max_value)
        .map(push)
        .filter(lambda x: min_value <= x <= max_value and all(abs(x - p) >= margin for p in points))
    )


def positive_floats(min_value: float = 1e-2, max_value: float = 10.0) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]`` with ``min_value > 0`` (domain of log, sqrt)."""
    if min_value <= 0:
        raise ValueError(f"positive_floats needs min_value > 0, got {min_value}")
    return finite_floats(min_value, max_value)


def values(
    min_value: float = -10.0,
    max_value: float = 10.0,
    away_from: Iterable[float] = (),
    margin: float = 1e-2,
) -> st.SearchStrategy[Value]:
    """:class:`Value` leaves with finite data in a range, optionally away from kinks."""
    away_from = tuple(away_from)
    floats = (
        floats_away_from(away_from, margin, min_value, max_value)
        if away_from
        else finite_floats(min_value, max_value)
    )
    return floats.map(Value)


def __getattr__(name: str) -> object:
    """Serve the tensor strategies (``tensors``, ``broadcastable_shapes``, …) lazily."""
    if not name.startswith("_"):
        try:
            from . import _tensor_strategies
        except ImportError:
            pass
        else:
            if hasattr(_tensor_strategies, name):
                return getattr(_tensor_strategies, name)
    raise AttributeError(f"module 'autograd.testing' has no attribute {name!r}")
