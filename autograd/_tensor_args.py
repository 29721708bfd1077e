"""Checking and converting what a Tensor operation is given: data, constants, axes, shapes."""

from __future__ import annotations

import numbers
import operator
from typing import Any

import numpy as np

from .value import Value

__all__ = [
    "MIX_HINT",
    "as_constant",
    "index_key",
    "normalize_axes",
    "shape_arg",
    "shape_of",
    "to_array",
]

FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)

MIX_HINT = (
    "Value and Tensor do not mix in one expression: use Tensor(v.data) to lift a Value "
    "into a Tensor, or t.item() to read a one-element Tensor as a number."
)


# Set by autograd.tensor once the class exists (this module is imported first).
TENSOR_TYPE: type = type(None)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, TENSOR_TYPE)


def _is_value(x: Any) -> bool:
    return isinstance(x, Value)


def to_array(data: Any, dtype: Any, what: str) -> np.ndarray:
    """Validate ``data`` as real numbers and return it as a float32/float64 ndarray (no copy)."""
    if _is_tensor(data):
        array = data._data
    elif _is_value(data):
        raise TypeError(f"{what} got a Value. {MIX_HINT}")
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, str | bytes):
        raise TypeError(f"{what} needs real numbers, got the string {data!r:.40}")
    else:
        try:
            array = np.array(data)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"{what} needs a rectangular nested list of numbers; got a ragged or mixed "
                f"sequence ({error}). Make every row the same length."
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} needs real numbers (bool, int or float), got an array of dtype "
            f"{array.dtype} ({'objects' if array.dtype.kind == 'O' else 'not numbers'})"
        )
    if dtype is None:
        target = FLOAT32 if array.dtype == FLOAT32 else FLOAT64
    else:
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{what}: dtype must be float32 or float64, got {dtype!r}") from None
        if target != FLOAT32 and target != FLOAT64:
            raise TypeError(f"{what}: dtype must be float32 or float64, got {target}")
    return array.astype(target, copy=False)


def as_constant(c: Any, dtype: np.dtype, op: str) -> Any:
    """An operand that is not a Tensor: a Python number stays a number, arrays are validated.

    Python and numpy scalars become Python numbers, so they never upcast a
    float32 tensor (as in PyTorch); nested lists and integer or bool arrays
    take the tensor's dtype; float ndarrays keep theirs (numpy promotion).
    """
    tc = type(c)
    if tc is float or tc is int:
        return c
    if tc is np.ndarray and c.dtype.kind == "f":
        return c
    if isinstance(c, numbers.Real):
        return float(c)
    if _is_value(c):
        raise TypeError(f"{op}: cannot combine a Tensor with a Value. {MIX_HINT}")
    if isinstance(c, list | tuple):
        return to_array(c, dtype, op)
    if isinstance(c, np.ndarray):
        kind = c.dtype.kind
        if kind == "f":
            return c
        if kind in "biu":
            return c.astype(dtype)
        raise TypeError(f"{op}: a Tensor combines with real numbers, not an array of {c.dtype}")
    raise TypeError(
        f"{op}: unsupported operand of type {type(c).__name__}; use a Tensor, an ndarray "
        "or a number"
    )


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an operand (``()`` for a Python number)."""
    return x.shape if isinstance(x, np.ndarray) else ()


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, int or tuple, negative allowed) as a sorted tuple of positive axes."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    items = axis if isinstance(axis, tuple | list) else (axis,)
    axes = []
    for a in items:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}") from None
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s)"
            )
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def shape_arg(shape: tuple[Any, ...], op: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{op}: expected ints, got {shape!r}") from None




def index_key(index: Any) -> tuple[Any, bool]:
    """numpy's reading of ``t[index]``: the key to use, and whether repeated entries can occur.

    A list, ndarray or tuple *inside* an index is an integer (or boolean)
    array index, as in numpy (``x[:, (0, 0)]`` picks column 0 twice); the
    gradient of such an index must add repeated entries (``np.add.at``).
    """
    top_tuple = type(index) is tuple
    items = index if top_tuple else (index,)
    converted = []
    advanced = accumulate = False
    for item in items:
        if _is_tensor(item):
            raise TypeError(
                "index a Tensor with ints, slices or integer/boolean arrays, not a Tensor "
                "(use t.numpy().astype(int) for computed indices)"
            )
        if isinstance(item, list | tuple | np.ndarray):
            item = np.asarray(item)
            if item.dtype.kind not in "biu" and item.size:
                raise IndexError(
                    f"index arrays must hold integers or booleans, got dtype {item.dtype}"
                )
            if not item.size:
                item = item.astype(np.intp)
            advanced = True
            accumulate = accumulate or item.dtype.kind != "b"
        converted.append(item)
    key = tuple(converted) if top_tuple or advanced else index
    return key, accumulate
