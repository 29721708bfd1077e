"""An optimizer's ``state_dict()`` as JSON text and back, exactly (no pickle).

``state_dict()`` holds numbers, lists, tuples and — for array parameters —
numpy arrays, which ``json`` cannot write. :func:`state_dict_to_json` writes
each array as ``{"__ndarray__": {"dtype": "float32", "shape": [2, 3], "data":
[...]}}`` (the numbers in C order); :func:`state_dict_from_json` turns those
back into arrays. Floats are written with ``repr`` precision, so a run
resumed from the JSON follows the same trajectory bit for bit::

    text = optim.state_dict_to_json(opt.state_dict())
    opt.load_state_dict(optim.state_dict_from_json(text))
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

import numpy as np

__all__ = ["state_dict_from_json", "state_dict_to_json"]

_ARRAY_TAG = "__ndarray__"
_DTYPE_KINDS = "iuf"


def _encode(value: Any) -> Any:
    """``json.dumps``'s fallback: arrays and numpy scalars to plain JSON values."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _DTYPE_KINDS:
            raise TypeError(f"cannot write an array of dtype {value.dtype} as optimizer state")
        return {
            _ARRAY_TAG: {
                "dtype": value.dtype.newbyteorder("=").name,
                "shape": list(value.shape),
                "data": value.reshape(-1).tolist(),
            }
        }
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"cannot write a {type(value).__name__} as optimizer state")


def state_dict_to_json(state_dict: dict[str, Any], indent: int | None = None) -> str:
    """JSON text for an optimizer's ``state_dict()`` (see the module doc).

    Raises ``ValueError`` if the state holds nan or inf (JSON has no such
    numbers, and such a state is not worth resuming) and ``TypeError`` for a
    value that is not a number, a string, a list or an array.
    """
    try:
        return json.dumps(state_dict, default=_encode, allow_nan=False, indent=indent)
    except ValueError as exc:
        raise ValueError(
            f"the optimizer state holds nan or inf, which JSON cannot represent ({exc})"
        ) from None


def _decode(obj: dict[str, Any]) -> Any:
    """``json.loads``'s object hook: ``{"__ndarray__": ...}`` back to an array."""
    if _ARRAY_TAG not in obj:
        return obj
    spec = obj[_ARRAY_TAG]
    if len(obj) != 1 or not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data"}:
        raise ValueError(f"an encoded array needs dtype, shape and data, got {obj!r:.80}")
    try:
        dtype = np.dtype(spec["dtype"])
    except TypeError:
        raise ValueError(f"unknown array dtype {spec['dtype']!r:.40}") from None
    shape = spec["shape"]
    if dtype.kind not in _DTYPE_KINDS:
        raise ValueError(f"an optimizer state array must be numeric, got dtype {dtype}")
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise ValueError(f"an array shape must be a list of integers >= 0, got {shape!r:.40}")
    data = spec["data"]
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise ValueError(
            f"an array of shape {tuple(shape)} needs {math.prod(shape)} numbers in 'data'"
        )
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in data):
        raise ValueError("an array's 'data' must hold numbers only")
    return np.array(data, dtype=dtype).reshape(shape)


def state_dict_from_json(text: str | bytes) -> dict[str, Any]:
    """The state dict written by :func:`state_dict_to_json`, ready for ``load_state_dict``.

    Malformed JSON or a malformed encoded array raises ``ValueError``;
    ``load_state_dict`` then checks everything else (structure and values).
    """
    try:
        out = json.loads(text, object_hook=_decode)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the optimizer state is not valid JSON ({exc})") from None
    if not isinstance(out, dict):
        raise ValueError(f"the optimizer state must be a JSON object, got {type(out).__name__}")
    return out
