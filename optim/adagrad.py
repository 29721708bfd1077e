"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamGroup, State, check_nonneg

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al. 2011), as ``torch.optim.Adagrad``.

    With ``g_t = ∇f(x_{t−1}) + weight_decay·x_{t−1}``::

        G_t = G_{t−1} + g_t²                      (G_0 = initial_accumulator_value)
        α_t = lr / (1 + (t − 1)·lr_decay)
        x_t = x_{t−1} − α_t · g_t / (√G_t + ε)

    **Where ε sits.** chainrule follows PyTorch: ε is added *outside* the
    square root, ``√G_t + ε``. The lecture writes it inside,
    ``x_t = x_{t−1} − α/√(G_t + ε) · ∇f``; the two differ only while
    ``G_t`` is of the order of ε (ε = 1e-10 here), i.e. for gradients that
    are essentially zero.

    Each coordinate gets its own rate ``α/√G_t``; as ``G_t`` only grows, the
    rate goes to 0 (the problem RMSProp fixes).

    Args:
        lr: ``α`` (default 1e-2). lr_decay: ``α_t``'s decay (default 0).
        weight_decay: L2 coefficient (default 0).
        initial_accumulator_value: ``G_0`` (default 0). eps: ε (default 1e-10).
    """

    _nonnegative_state = ("sum",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_nonneg(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _state_keys(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("step", "sum")

    def _new_state(self, name: str, like: np.ndarray, group: Mapping[str, Any]) -> np.ndarray:
        return np.full_like(like, group["initial_accumulator_value"])

    def _update(self, x: np.ndarray, g: np.ndarray, state: State, group: ParamGroup) -> Any:
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * x
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"] = state["sum"] + g * g
        return clr * g / (np.sqrt(total) + group["eps"])
