"""Losses that need care beyond their formula (Tensor only)."""

from __future__ import annotations

from typing import Any

from ._record import OpChecks, define_op

LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps each log here


def _bce(m: Any, p: Any, *, target: Any) -> Any:
    return -(
        target * m.maximum(m.log(p), LOG_FLOOR)
        + (1 - target) * m.maximum(m.log1p(-p), LOG_FLOOR)
    )


def _bce_derivative(m: Any, p: Any, target: Any) -> Any:
    # ∂/∂p = −y/p + (1 − y)/(1 − p), each term 0 where its log is clamped. Computed in
    # float64 (m.widen): for p = σ(−90) in float32, 1/p = 1.2e39 does not fit float32,
    # yet its product with σ'(−90) = 8e−40 on the way to the logit is an ordinary −1.
    pw = m.widen(p)
    return m.where(m.log(pw) > LOG_FLOOR, -target / pw, 0.0) + m.where(
        m.log1p(-pw) > LOG_FLOOR, (1 - target) / (1 - pw), 0.0
    )


BINARY_CROSS_ENTROPY = define_op(
    "binary_cross_entropy",
    forward=_bce,
    derivative=_bce_derivative,
    label="bce",
    value=False,
    kind="loss",
    doc="``−y·log p − (1 − y)·log(1 − p)`` per element, each log clamped at −100 (as "
    "PyTorch); derivative ``−y/p + (1 − y)/(1 − p)``, 0 where clamped, computed in float64 "
    "so that float32 ``binary_cross_entropy(x.sigmoid(), 1)`` keeps a finite gradient at "
    "x = −90.",
    checks=OpChecks(
        domain=((0.05, 0.95),),
        params={"target": 0.3},
        torch=lambda torch, p, target: torch.nn.functional.binary_cross_entropy(
            p, torch.full_like(p, target), reduction="none"
        ),
    ),
)
