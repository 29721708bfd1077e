"""Activation functions as modules (for :class:`~nn.layers.Sequential` and ``MLP``).

Each module calls the function of the same name in :mod:`nn.functional`, so
it works on a ``Value``, a list of Values and a ``Tensor``; see there for the
formula and what the lecture says of it.
"""

from __future__ import annotations

import math
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
    "activation_from_description",
    "describe_activation",
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


_NAMES: dict[type[Module], str] = {
    cls: name for name, cls in ACTIVATIONS.items() if isinstance(cls, type)
}


def _options(module: Module) -> dict[str, Any] | None:
    """The module's public settings if all are plain JSON numbers, bools or strings."""
    out: dict[str, Any] = {}
    for key, value in vars(module).items():
        if key.startswith("_") or key == "training":
            continue
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if not isinstance(value, bool | int | float | str):
            return None
        out[key] = value
    return out


def describe_activation(module: Module) -> str | dict[str, Any] | None:
    """A JSON description of an activation module, or ``None`` if it has none.

    The name in :data:`ACTIVATIONS` (``"tanh"``) when its settings are the
    defaults, else ``{"name": ..., <setting>: <value>}`` (``{"name":
    "leaky_relu", "negative_slope": 0.2}``); ``None`` for a module that is not
    one of :data:`ACTIVATIONS` (a custom activation cannot be rebuilt by name).
    """
    if type(module) is Activation:  # any registry op, by name
        plain = all(isinstance(v, bool | int | float) for v in module.params.values())
        if not plain:
            return None
        return {"name": module.name, **module.params} if module.params else module.name
    name = _NAMES.get(type(module))
    options = None if name is None else _options(module)
    if name is None or options is None:
        return None
    if options == _options(type(module)()):
        return name
    return {"name": name, **options}


def activation_from_description(description: Any) -> Module:
    """Rebuild an activation module from :func:`describe_activation`'s output.

    Raises ``ValueError`` naming the problem for an unknown name, an unknown
    setting or a setting of the wrong type.
    """
    if isinstance(description, str):
        name, options = description, {}
    elif isinstance(description, dict) and isinstance(description.get("name"), str):
        name = description["name"]
        options = {k: v for k, v in description.items() if k != "name"}
    else:
        raise ValueError(
            f"an activation is described by a name or {{'name': ..., ...}}, got {description!r}"
        )
    table = _activations()
    cls = table.get(name)
    if cls is None:
        raise ValueError(f"unknown activation {name!r}; known: {sorted(table)}")
    if not isinstance(cls, type):  # an op of the registry without a named module
        try:
            return Activation(name, **options)
        except TypeError as error:
            raise ValueError(f"activation {name!r}: {error}") from None
    defaults = _options(cls()) or {}
    for key, value in options.items():
        if key not in defaults:
            raise ValueError(f"activation {name!r} has no setting {key!r}")
        want = type(defaults[key])
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if want is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(
                f"activation {name!r}: setting {key!r} must be a finite {want.__name__}, "
                f"got {value!r}"
            )
    return cls(**options)
