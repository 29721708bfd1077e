"""Losses as modules: thin wrappers around :mod:`nn.functional` holding ``reduction``.

Calling one opens a name scope (``"CrossEntropyLoss"``) so the loss shows as
one box in a collapsed graph.
"""

from __future__ import annotations

from typing import Any

from . import functional as F  # noqa: N812
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyFromProbsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "MSELoss",
]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        F._check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """:func:`nn.functional.mse`: mean ``(y − ŷ)²`` by default; ``half=True``: ``½(y − ŷ)²``."""

    def __init__(self, reduction: str = "mean", half: bool = False) -> None:
        super().__init__(reduction)
        self.half = bool(half)

    def forward(self, pred: Any, target: Any) -> Any:
        return F.mse(pred, target, self.reduction, half=self.half)


class CrossEntropyLoss(_Loss):
    """:func:`nn.functional.cross_entropy` from logits (stable, fused log-softmax)."""

    def forward(self, logits: Any, target: Any) -> Any:
        return F.cross_entropy(logits, target, self.reduction)


class CrossEntropyFromProbsLoss(_Loss):
    """:func:`nn.functional.cross_entropy_from_probs`: the lecture's ``−Σ y log ŷ``."""

    def forward(self, probs: Any, target: Any) -> Any:
        return F.cross_entropy_from_probs(probs, target, self.reduction)


class BCELoss(_Loss):
    """:func:`nn.functional.binary_cross_entropy` on probabilities (logs clamped at −100)."""

    def forward(self, probs: Any, target: Any) -> Any:
        return F.binary_cross_entropy(probs, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """:func:`nn.functional.binary_cross_entropy_with_logits` (stable)."""

    def forward(self, logits: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(logits, target, self.reduction)


class HingeLoss(_Loss):
    """:func:`nn.functional.hinge`: ``max(0, 1 − y·s)``, labels ±1 (micrograd's demo loss)."""

    def forward(self, scores: Any, target: Any) -> Any:
        return F.hinge(scores, target, self.reduction)
