"""Activation functions as modules (for :class:`~nn.layers.Sequential` and ``MLP``).

Each module calls the function of the same name in :mod:`nn.functional`, so
it works on a ``Value``, a list of Values and a ``Tensor``; see there for the
formula and what the lecture says of it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from autograd.ops import REGISTRY

from . import functional as F  # noqa: N812
from .module import Module

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Identity",
    "LeakyReLU",
    "LogSoftmax",
    "Mish",
    "ReLU",
    "Sigmoid",
    "Sign",
    "Softmax",
    "Softplus",
    "Tanh",
    "activation",
]


class Activation(Module):
    """Any one-input op of the registry as a module: ``Activation("softplus")``.

    The named modules below are this with a fixed name; an op you define with
    ``autograd.define_op(..., activation=True)`` works here (and in
    ``nn.activation``, ``MLP(activation=...)``) with no further code.
    """

    def __init__(self, name: str, **params: Any) -> None:
        F.op_params(name, params)  # validates the name and the parameters now
        self.name = name
        self.params = params

    def forward(self, x: Any) -> Any:
        return F.apply_op(self.name, x, **self.params)

    def extra_repr(self) -> str:
        return ", ".join([repr(self.name), *(f"{k}={v!r}" for k, v in self.params.items())])


class Identity(Module):
    """``f(x) = x`` (no activation)."""

    def forward(self, x: Any) -> Any:
        return x


class Sign(Module):
    """``sign(x)``: the classic perceptron's step; gradient 0 (see :func:`nn.functional.sign`)."""

    def forward(self, x: Any) -> Any:
        return F.sign(x)


class Sigmoid(Module):
    """``1/(1+e^−x)``: vanishing gradient, not zero-centred (see :func:`nn.functional.sigmoid`)."""

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class Tanh(Module):
    """``tanh(x)``: zero-centred, still saturates (see :func:`nn.functional.tanh`)."""

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class ReLU(Module):
    """``max(0, x)``: fast; may die for x < 0 (see :func:`nn.functional.relu`)."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class LeakyReLU(Module):
    """``max(negative_slope·x, x)``, slope 0.01 by default: fixes dying ReLU."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softplus(Module):
    """``ln(1 + e^x)``, a smooth ReLU (see :func:`nn.functional.softplus`)."""

    def forward(self, x: Any) -> Any:
        return F.softplus(x)


class Mish(Module):
    """``x·tanh(ln(1 + e^x))``, used in YOLO-style models (see :func:`nn.functional.mish`)."""

    def forward(self, x: Any) -> Any:
        return F.mish(x)


class Softmax(Module):
    """``e^{x_i}/Σ e^{x_j}`` along ``axis``: multi-class output layer (predict the argmax)."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = int(axis)

    def forward(self, x: Any) -> Any:
        return F.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """``x_i − log Σ e^{x_j}`` along ``axis``, computed stably."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = int(axis)

    def forward(self, x: Any) -> Any:
        return F.log_softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


_NAMED: dict[str, type[Module]] = {
    "sign": Sign,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softplus": Softplus,
    "mish": Mish,
}


def _activations() -> dict[str, Callable[[], Module]]:
    """identity, every activation op of the registry (in its order), softmax, log_softmax."""
    table: dict[str, Callable[[], Module]] = {"identity": Identity}
    for op in REGISTRY.values():
        if op.activation:
            table[op.name] = _NAMED.get(op.name) or partial(Activation, op.name)
    table["softmax"] = Softmax
    table["log_softmax"] = LogSoftmax
    return table


ACTIVATIONS: dict[str, Callable[[], Module]] = _activations()
"""Name → module factory; read from the op registry (plus identity and the softmaxes)."""


def activation(spec: str | Module | type[Module] | None) -> Module:
    """Make an activation module from a name (``"relu"``), a class, an instance or ``None``."""
    if spec is None:
        return Identity()
    if isinstance(spec, Module):
        return spec
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, str):
        table = _activations()  # ops defined after import count too
        if spec.lower() in table:
            return table[spec.lower()]()
    raise ValueError(f"unknown activation {spec!r}; choose one of {sorted(_activations())}")
