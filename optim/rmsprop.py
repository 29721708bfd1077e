"""RMSProp: Adagrad with an exponential moving average of the squared gradients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamGroup, State, check_hyper, check_nonneg, lerp

__all__ = ["RMSProp", "RMSprop"]


class RMSProp(Optimizer):
    r"""RMSProp (Hinton's lecture 6e), as ``torch.optim.RMSprop`` (also exported as ``RMSprop``).

    With ``g_t = ∇f(x_{t−1}) + weight_decay·x_{t−1}`` and ``γ = alpha``::

        S_t = γ·S_{t−1} + (1 − γ)·g_t²                   (S_0 = 0)
        x_t = x_{t−1} − lr · g_t / (√S_t + ε)

    The lecture writes the same average, ``g_t = γ g_{t−1} + (1−γ)(∇f)²``,
    with ε inside the root, ``α/√(g_t + ε)``; chainrule follows PyTorch and
    adds ε *outside* the square root, ``√S_t + ε``. Unlike Adagrad's sum the
    average does not grow without bound, so the step does not die out.

    Options (PyTorch's): ``centered`` divides by the estimated standard
    deviation ``√(S_t − ḡ_t²) + ε`` with ``ḡ_t = γ·ḡ_{t−1} + (1 − γ)·g_t``;
    ``momentum`` μ > 0 keeps a buffer ``b_t = μ·b_{t−1} + g_t/(√S_t + ε)``
    and steps ``x_t = x_{t−1} − lr·b_t``.

    Args:
        lr: default 1e-2. alpha: γ, default 0.99. eps: default 1e-8.
        weight_decay: default 0. momentum: default 0. centered: default False.
    """

    _nonnegative_state = ("square_avg",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_nonneg(group, "lr", "alpha", "eps", "weight_decay", "momentum")
        check_hyper("alpha", group["alpha"], group["alpha"] <= 1, "in [0, 1]")
        centered = group["centered"]
        check_hyper("centered", centered, isinstance(centered, bool), "True or False")

    def _state_keys(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        keys: tuple[str, ...] = ("step", "square_avg")
        if group["momentum"] > 0:
            keys += ("momentum_buffer",)
        if group["centered"]:
            keys += ("grad_avg",)
        return keys

    def _update(self, x: np.ndarray, g: np.ndarray, state: State, group: ParamGroup) -> Any:
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * x
        square_avg = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            grad_avg = state["grad_avg"] = lerp(state["grad_avg"], g, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg = avg + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + g / avg
            return group["lr"] * buf
        return group["lr"] * g / avg


RMSprop = RMSProp
