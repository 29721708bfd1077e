"""Learning-rate schedules: micrograd's linear decay, step, exponential and cosine.

A scheduler sets ``group["lr"]`` of every parameter group of an optimizer
from the group's base rate (its ``lr`` when the scheduler was created) and
the step count ``k`` (``last_epoch``), using the closed form of the
schedule. As in ``torch.optim.lr_scheduler``, creating the scheduler sets
the rates for ``k = 0``; call ``scheduler.step()`` after each
``optimizer.step()``::

    opt = SGD(model.parameters(), lr=1.0)
    sched = LinearDecay(opt, end_lr=0.1, total_steps=100)   # micrograd's demo
    for k in range(100):
        ...; opt.step(); sched.step()

The numbers equal PyTorch's ``LinearLR``, ``StepLR``, ``ExponentialLR`` and
``CosineAnnealingLR`` (PyTorch computes most of them recursively, so the two
agree up to rounding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .optimizer import Optimizer, check_hyper, is_real

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LinearDecay", "StepLR"]


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``/``load_state_dict()``.

    Subclasses define ``lr_at(base_lr, k)``, the rate at step ``k`` of a
    group whose base rate is ``base_lr``.
    """

    _hyper: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"a scheduler needs a chainrule optimizer, got {type(optimizer).__name__}"
            )
        check_hyper(
            "last_epoch",
            last_epoch,
            isinstance(last_epoch, int) and not isinstance(last_epoch, bool) and last_epoch >= -1,
            "an integer >= -1",
        )
        self.optimizer = optimizer
        self.base_lrs: list[float] = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = list(self.base_lrs)
        self.step()

    def lr_at(self, base_lr: float, k: int) -> float:
        """The learning rate at step ``k`` for base rate ``base_lr``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set every group's ``lr``."""
        self.last_epoch += 1
        self._last_lr = [self.lr_at(base, self.last_epoch) for base in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """``last_epoch``, ``base_lrs`` and the schedule's hyper-parameters (plain numbers)."""
        out: dict[str, Any] = {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}
        out.update({name: getattr(self, name) for name in self._hyper})
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore ``state_dict()``; the keys and group count must match, else nothing changes."""
        expected = {"last_epoch", "base_lrs", *self._hyper}
        if not isinstance(state_dict, Mapping) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict)
            raise ValueError(
                f"scheduler load_state_dict expects keys {sorted(expected)}, got {got}"
            )
        base_lrs = list(state_dict["base_lrs"])
        if len(base_lrs) != len(self.base_lrs):
            raise ValueError(
                f"scheduler load_state_dict: {len(base_lrs)} base rates saved, the optimizer "
                f"has {len(self.base_lrs)} parameter groups"
            )
        for name in ("last_epoch", *self._hyper):
            value = state_dict[name]
            check_hyper(name, value, value is None or is_real(value), "a number")
        for name in self._hyper:
            setattr(self, name, state_dict[name])
        self.base_lrs = base_lrs
        self.last_epoch = int(state_dict["last_epoch"])
        self._last_lr = [self.lr_at(base, self.last_epoch) for base in self.base_lrs]

    def __repr__(self) -> str:
        hyper = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper)
        return f"{type(self).__name__}({hyper}, last_epoch={self.last_epoch})"


class LinearDecay(LRScheduler):
    """Linear decay from ``start_lr`` to ``end_lr`` over ``total_steps``, then constant.

    ``lr_k = start + (end − start)·min(k, total_steps)/total_steps``, where
    ``start`` is the group's ``lr`` unless ``start_lr`` is given.
    micrograd's demo, ``lr = 1.0 − 0.9·k/100``, is
    ``LinearDecay(opt, end_lr=0.1, total_steps=100, start_lr=1.0)``. (PyTorch's
    ``LinearLR(start_factor=1, end_factor=end/start, total_iters=total)``.)
    """

    _hyper = ("end_lr", "total_steps", "start_lr")

    def __init__(
        self,
        optimizer: Optimizer,
        end_lr: float,
        total_steps: int,
        start_lr: float | None = None,
        last_epoch: int = -1,
    ) -> None:
        check_hyper("end_lr", end_lr, is_real(end_lr) and end_lr >= 0, "a real number >= 0")
        check_hyper(
            "total_steps",
            total_steps,
            isinstance(total_steps, int) and not isinstance(total_steps, bool) and total_steps > 0,
            "a positive integer",
        )
        if start_lr is not None:
            check_hyper(
                "start_lr", start_lr, is_real(start_lr) and start_lr >= 0, "a real number >= 0"
            )
        self.end_lr = end_lr
        self.total_steps = total_steps
        self.start_lr = start_lr
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, k: int) -> float:
        start = base_lr if self.start_lr is None else self.start_lr
        return start + (self.end_lr - start) * min(k, self.total_steps) / self.total_steps


class StepLR(LRScheduler):
    """``lr_k = base_lr · gamma^⌊k / step_size⌋`` (decay by ``gamma`` every ``step_size`` steps)."""

    _hyper = ("step_size", "gamma")

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        check_hyper(
            "step_size",
            step_size,
            isinstance(step_size, int) and not isinstance(step_size, bool) and step_size > 0,
            "a positive integer",
        )
        check_hyper("gamma", gamma, is_real(gamma) and gamma >= 0, "a real number >= 0")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, k: int) -> float:
        return base_lr * self.gamma ** (k // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr_k = base_lr · gamma^k``."""

    _hyper = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        check_hyper("gamma", gamma, is_real(gamma) and gamma >= 0, "a real number >= 0")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, k: int) -> float:
        return base_lr * self.gamma**k


class CosineAnnealingLR(LRScheduler):
    """``lr_k = η_min + (base_lr − η_min)·(1 + cos(π·k/T_max))/2`` (Loshchilov & Hutter 2017).

    The rate falls from ``base_lr`` to ``eta_min`` at ``k = T_max``; after
    that it rises again along the same cosine (period ``2·T_max``), as
    PyTorch's ``CosineAnnealingLR`` does.
    """

    _hyper = ("T_max", "eta_min")

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        check_hyper(
            "T_max",
            T_max,
            isinstance(T_max, int) and not isinstance(T_max, bool) and T_max > 0,
            "a positive integer",
        )
        check_hyper("eta_min", eta_min, is_real(eta_min) and eta_min >= 0, "a real number >= 0")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, k: int) -> float:
        cosine = (1 + math.cos(math.pi * k / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine
