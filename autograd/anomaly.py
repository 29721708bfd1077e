"""Anomaly detection: find the first operation that turns numbers into NaN or inf.

Inside ``with autograd.detect_anomaly():`` every recorded operation checks its
result, and every backward rule its gradients; the first one that produces
NaN or inf raises :class:`AnomalyError` naming the op, summarising its inputs
and giving the file and line where the op was created::

    with detect_anomaly():
        loss = model(x).log().mean()     # AnomalyError: forward of 'log' made -inf ...
        loss.backward()                  # or: backward of 'sqrt' made inf ...

Outside the context nothing is checked and nothing is paid: entering swaps in
checking versions of the node constructors and of the backward walk, leaving
swaps the plain ones back (``benchmarks/bench_anomaly.py`` shows the cost of
both). The mode is process-wide, as PyTorch's ``set_detect_anomaly``, and
nests; while it is on, every node created keeps the place it was created.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np

from . import _core

__all__ = ["AnomalyError", "detect_anomaly", "is_anomaly_enabled"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_lock = threading.Lock()
_depth = [0]
_sites: dict[int, tuple[Any, str]] = {}  # id(node) -> (node, "file:line in function")
_restore: list[Callable[[], None]] = []


class AnomalyError(RuntimeError):
    """An operation produced NaN or inf inside :func:`detect_anomaly`."""


def is_anomaly_enabled() -> bool:
    """Whether :func:`detect_anomaly` is active."""
    return _depth[0] > 0


def _creation_site() -> str:
    """The innermost frame outside the autograd package: where the user made the op."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    return "<unknown>"


def _remember(node: Any) -> None:
    _sites[id(node)] = (node, _creation_site())


def site_of(node: Any) -> str:
    """Where ``node`` was created, if it was created while anomaly detection was on."""
    entry = _sites.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    return "<created outside detect_anomaly>"


def _numbers(x: Any) -> Any:
    if hasattr(x, "_prev"):
        x = x.data
    return x


def _finite(x: Any) -> bool:
    x = _numbers(x)
    if x is None:
        return True
    if isinstance(x, float | int):
        return x - x == 0
    return bool(np.all(np.isfinite(x)))


def _summary(x: Any) -> str:
    x = _numbers(x)
    if x is None:
        return "None"
    if isinstance(x, float | int):
        return repr(float(x))
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return f"empty, shape {a.shape}"
    nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    finite = a[np.isfinite(a)]
    span = f"min {finite.min():.4g}, max {finite.max():.4g}" if finite.size else "no finite value"
    zeros = int((a == 0).sum())
    return f"shape {a.shape}, {span}, {zeros} zero(s), {nan} nan, {inf} inf"


def _bad_kind(x: Any) -> str:
    x = np.asarray(_numbers(x), dtype=np.float64)
    kinds = [("nan", np.isnan(x).any()), ("inf", np.isinf(x).any())]
    return "/".join(kind for kind, present in kinds if present)


def _check_forward(node: Any) -> None:
    _remember(node)
    if not _finite(node):
        inputs = "; ".join(
            f"input {i}: {_summary(a)}" for i, a in enumerate(getattr(node, "inputs", ()))
        )
        raise AnomalyError(
            f"forward of {str(node.op)!r} produced {_bad_kind(node)} (created at "
            f"{site_of(node)}). Its inputs: {inputs or 'none'}."
        )


def _check_backward(trace: Any) -> Any:
    def check(node: Any, upstream: Any, contributions: tuple[Any, ...]) -> None:
        if trace is not None:
            trace(node, upstream, contributions)
        if not _finite(upstream):
            return  # already reported where it appeared (or the seed itself was not finite)
        for i, c in enumerate(contributions):
            if c is not None and not _finite(c):
                raise AnomalyError(
                    f"backward of {str(node.op)!r} (created at {site_of(node)}) produced "
                    f"{_bad_kind(c)} in the gradient of its parent {i} from a finite upstream "
                    f"gradient ({_summary(upstream)}). Parent {i}: {_summary(node.parents[i])}; "
                    f"the op's inputs: "
                    + "; ".join(f"{_summary(a)}" for a in getattr(node, "inputs", ()))
                )

    return check


def _install() -> None:
    """Swap in the checking node constructors (Tensor) and op methods (Value)."""
    from . import tensor as tensor_module
    from .ops import REGISTRY
    from .value import Value

    plain_node = tensor_module._node

    def checked_node(*args: Any) -> Any:
        node = plain_node(*args)
        _check_forward(node)
        return node

    tensor_module._node = checked_node  # type: ignore[assignment]
    _restore.append(lambda: setattr(tensor_module, "_node", plain_node))

    for op in REGISTRY.values():
        for name, method in getattr(op, "_value_methods", {}).items():
            if getattr(Value, name, None) is not method:
                continue

            def checked(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
                out = _method(*args, **kwargs)
                if out._prev:
                    _check_forward(out)
                return out

            setattr(Value, name, checked)
            _restore.append(partial(setattr, Value, name, method))
    _core._anomaly_hook[0] = _check_backward
    _restore.append(lambda: _core._anomaly_hook.__setitem__(0, None))


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise :class:`AnomalyError` at the first op or backward rule that produces NaN or inf.

    The error names the op, summarises its inputs (shape, range, zeros, nan
    and inf counts) and gives the file and line where the op was created. Off
    by default; inside, every op is checked (slower, for debugging). Nests,
    and restores everything on exit, also when an exception escapes.
    """
    with _lock:
        if _depth[0] == 0:
            _install()
        _depth[0] += 1
    try:
        yield
    finally:
        with _lock:
            _depth[0] -= 1
            if _depth[0] == 0:
                while _restore:
                    _restore.pop()()
                _sites.clear()
