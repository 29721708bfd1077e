"""Hypothesis strategies for :class:`~autograd.Tensor` tests (re-exported by ``autograd.testing``).

Shapes come from :mod:`hypothesis.extra.numpy`, so 0-d arrays, length-1 axes
and prepended axes (the cases broadcasting gets wrong) are all drawn::

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import broadcastable_shapes, tensors
    import hypothesis.strategies as st

    @given(st.data())
    def test_mul(data):
        sa, sb = data.draw(broadcastable_shapes(num_shapes=2))
        a, b = data.draw(tensors(sa)), data.draw(tensors(sb))
        gradcheck(lambda a, b: a * b, a, b)

``kink_free_floats`` draws values on a grid offset from the kinks at 0 and
at multiples of 1/8, so relu, abs, clip and max ties never meet a central
difference at the point where it is wrong by construction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "autograd.testing needs hypothesis: pip install 'chainrule[testing]' (or hypothesis)"
    ) from error

from .tensor import Tensor

__all__ = [
    "axes_for",
    "broadcastable_shapes",
    "kink_free_floats",
    "matmul_shapes",
    "shapes",
    "tensors",
]


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes with ``min_dims..max_dims`` axes (``()`` included by default)."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def kink_free_floats(limit: int = 80) -> st.SearchStrategy[float]:
    """Floats ``k/8 + 1/16`` for ``|k| ≤ limit``: never 0, never a multiple of 1/8, 1/8 apart."""
    return st.integers(-limit, limit).map(lambda k: k / 8 + 1 / 16)


def tensors(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    requires_grad: bool = True,
    min_value: float = -10.0,
    max_value: float = 10.0,
    unique: bool = False,
) -> st.SearchStrategy[Tensor]:
    """Leaf Tensors of ``shape`` (a tuple or a strategy; default :func:`shapes`).

    ``elements`` defaults to finite floats in ``[min_value, max_value]``
    representable in ``dtype``; ``unique=True`` draws distinct elements (no ties).
    """
    dtype = np.dtype(dtype)
    if shape is None:
        shape = shapes()
    if elements is None:
        elements = st.floats(
            min_value=min_value,
            max_value=max_value,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=False,
            width=32 if dtype == np.float32 else 64,
        )
    return hnp.arrays(dtype, shape, elements=elements, unique=unique).map(
        lambda a: Tensor(a, requires_grad=requires_grad, dtype=dtype)
    )


def broadcastable_shapes(
    num_shapes: int = 2,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 3,
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``num_shapes`` mutually broadcastable shapes (prepended and length-1 axes, 0-d included)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda b: b.input_shapes)


def matmul_shapes(
    max_batch_dims: int = 2, min_side: int = 1, max_side: int = 3
) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Shape pairs valid for ``a @ b`` (numpy's signature ``(m?,n),(n,p?)->(m?,p?)``).

    Either operand may be 1-D, and the batch dimensions broadcast.
    """
    return hnp.mutually_broadcastable_shapes(
        signature="(m?,n),(n,p?)->(m?,p?)",
        max_dims=max_batch_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda b: (b.input_shapes[0], b.input_shapes[1]))


def axes_for(
    shape: tuple[int, ...], allow_none: bool = True, allow_tuple: bool = True
) -> st.SearchStrategy[Any]:
    """An ``axis`` for a reduction over ``shape``: None, an int or a tuple (negatives too)."""
    ndim = len(shape)
    options: list[st.SearchStrategy[Any]] = []
    if allow_none:
        options.append(st.none())
    if ndim:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(
                st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).flatmap(
                    lambda axes: st.tuples(*[st.sampled_from((a, a - ndim)) for a in axes])
                )
            )
    return st.one_of(options) if options else st.none()
