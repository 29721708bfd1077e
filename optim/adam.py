"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamGroup, State, check_hyper, check_nonneg, is_real, lerp

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, bias-corrected as in Kingma & Ba (2015), as ``torch.optim.Adam``.

    With ``g_t = ∇f(x_{t−1}) + weight_decay·x_{t−1}`` (L2 in the gradient)::

        m_t = β1·m_{t−1} + (1 − β1)·g_t          (m_0 = 0)
        v_t = β2·v_{t−1} + (1 − β2)·g_t²         (v_0 = 0)
        m̂_t = m_t / (1 − β1^t),   v̂_t = v_t / (1 − β2^t)
        x_t = x_{t−1} − α · m̂_t / (√v̂_t + ε)

    ε sits *outside* the square root, as in the paper and in PyTorch.
    With ``amsgrad=True`` the running maximum ``v_t^max = max(v_{t−1}^max, v_t)``
    replaces ``v_t`` in the denominator (Reddi et al. 2018).

    **The lecture's slide** (with ``g_t`` for the second moment) defines the
    corrected ``ĝ_t = g_t/(1 − β2^t)`` but its update line divides by the
    uncorrected one: ``x_t = x_{t−1} − α·m̂_t/(√g_t + ε)``. chainrule follows
    the paper: since ``v_0 = 0``, the uncorrected ``v_t`` is biased towards 0
    early on (``v_1 = (1−β2)·g_1²``, a thousandth of ``g_1²``), and dividing by
    its root makes the first steps about ``√(1/(1−β2)) ≈ 31.6×`` too large
    (``x_1 = x_0 − α·sign(g_1)·31.6`` instead of ``α·sign(g_1)``). With both
    moments corrected the first step has size ≈ α, the step-size bound the
    paper's analysis relies on, and trajectories match ``torch.optim.Adam``.

    Args:
        lr: α, default 1e-3. betas: (β1, β2), default (0.9, 0.999), each in [0, 1).
        eps: default 1e-8. weight_decay: default 0. amsgrad: default False.
    """

    _decoupled = False
    _nonnegative_state = ("exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list | tuple) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_nonneg(group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        check_hyper(
            "betas",
            betas,
            isinstance(betas, tuple | list) and len(betas) == 2,
            "a pair (beta1, beta2)",
        )
        for i, beta in enumerate(betas):
            check_hyper(f"beta{i + 1}", beta, is_real(beta) and 0 <= beta < 1, "in [0, 1)")
        amsgrad = group["amsgrad"]
        check_hyper("amsgrad", amsgrad, isinstance(amsgrad, bool), "True or False")

    def _state_keys(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        keys = ("step", "exp_avg", "exp_avg_sq")
        return (*keys, "max_exp_avg_sq") if group["amsgrad"] else keys

    def _update(self, x: np.ndarray, g: np.ndarray, state: State, group: ParamGroup) -> Any:
        beta1, beta2 = group["betas"]
        if group["weight_decay"] != 0 and not self._decoupled:
            g = g + group["weight_decay"] * x
        exp_avg = state["exp_avg"] = lerp(state["exp_avg"], g, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        step = state["step"]
        step_size = group["lr"] / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            exp_avg_sq = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], exp_avg_sq)
        denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + group["eps"]
        return step_size * exp_avg / denom


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    The parameter first shrinks, ``x ← x·(1 − α·λ)`` with ``λ = weight_decay``,
    then takes Adam's step computed from the plain gradient (no ``λ·x``
    added to it): the decay is not rescaled by ``√v̂_t``. Default
    ``weight_decay=1e-2``; the other arguments are Adam's.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def _decay_factor(self, group: ParamGroup) -> float:
        return 1 - group["lr"] * group["weight_decay"]
