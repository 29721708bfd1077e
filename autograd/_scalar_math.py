"""IEEE-754 scalar math with PyTorch's results at the edges of each domain.

Python's ``math`` module raises where PyTorch returns a number: ``1 / 0``
raises ``ZeroDivisionError`` (PyTorch: ``inf``), ``math.log(0)`` raises
``ValueError`` (PyTorch: ``-inf``), ``math.exp(1000)`` raises
``OverflowError`` (PyTorch: ``inf``) and ``(-8) ** (1/3)`` is a complex number
(PyTorch: ``nan``). These helpers return what PyTorch (and numpy) return, so a
:class:`~autograd.Value` never raises mid-graph and never turns complex.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan


def div(x: float, y: float) -> float:
    """``x / y`` with IEEE results for a zero divisor (``±inf`` or ``nan``)."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def power(x: float, y: float) -> float:
    """``x ** y`` as ``torch.pow``: a negative base with a non-integer exponent is ``nan``."""
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0.0 and float(y).is_integer() and int(y) % 2 == 1:
            return -INF
        return INF
    except ValueError:
        if x == 0.0:  # zero to a negative power
            odd = float(y).is_integer() and int(y) % 2 == 1
            return math.copysign(INF, x) if odd else INF
        return NAN


def exp(x: float) -> float:
    """``e ** x``, ``inf`` on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural log: ``-inf`` at 0, ``nan`` for a negative argument."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN


def sqrt(x: float) -> float:
    """Square root: ``nan`` for a negative argument."""
    if x >= 0.0:
        return math.sqrt(x)
    return NAN


def sigmoid(x: float) -> float:
    """Stable logistic function: ``1/(1+e^-x)`` for x ≥ 0, ``e^x/(1+e^x)`` below."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    z = math.exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    """Stable ``log(1 + e^x) = max(x, 0) + log1p(e^-|x|)``."""
    if x != x:
        return NAN
    if x == INF:
        return INF
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sin(x: float) -> float:
    """Sine; ``nan`` for an infinite argument."""
    try:
        return math.sin(x)
    except ValueError:
        return NAN


def cos(x: float) -> float:
    """Cosine; ``nan`` for an infinite argument."""
    try:
        return math.cos(x)
    except ValueError:
        return NAN


def sign(x: float) -> float:
    """``-1.0``, ``0.0`` or ``1.0`` (``nan`` stays ``nan``)."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x  # 0.0, -0.0 or nan
