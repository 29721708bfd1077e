"""micrograd-compatible scalar modules on :class:`autograd.Value`.

Same classes and signatures as micrograd's ``nn.py`` — ``Neuron(nin,
nonlin=True)``, ``Layer(nin, nout, **kwargs)``, ``MLP(nin, nouts)`` with
``parameters()`` and ``zero_grad()`` — so micrograd code runs after changing
its imports. Weights are drawn from ``uniform(-1, 1)`` with Python's
``random`` module (as micrograd does; seed it for reproducible runs), biases
start at 0.

Each module records a name scope on the nodes it creates (``MLP/layer0/
neuron3``), which :func:`viz.draw_graph` uses to collapse a 65,818-node
training step into a few boxes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from autograd import Value

from .module import Module

__all__ = ["MLP", "Layer", "Module", "Neuron"]


class Neuron(Module):
    """``act(w·x + b)`` with ``act`` = ReLU when ``nonlin`` else identity."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron needs nin >= 1 inputs, got {nin!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def forward(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs."""

    def __init__(self, nin: int, nout: int, **kwargs: bool) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer needs nout >= 1 neurons, got {nout!r}")
        neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        for i, n in enumerate(neurons):
            n.scope_name = f"neuron{i}"
        self.neurons = neurons

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nin → nouts[0] → … → nouts[-1]``, ReLU on all but the last."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sz = [nin, *nouts]
        layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]
        for i, layer in enumerate(layers):
            layer.scope_name = f"layer{i}"
        self.layers = layers
        self.scope_name = "MLP"

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out: Any = x
        for layer in self.layers:
            out = layer(out)
        return out

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    def _architecture(self) -> dict[str, Any] | None:
        """Layer sizes read from the neurons (ReLU on all layers but the last), or ``None``.

        ``None`` for a subclass or layers changed into something ``MLP(nin,
        nouts)`` does not build.
        """
        if type(self) is not MLP or not isinstance(self.layers, list) or not self.layers:
            return None
        sizes: list[int] = []
        for i, layer in enumerate(self.layers):
            neurons = getattr(layer, "neurons", None)
            if type(layer) is not Layer or not isinstance(neurons, list) or not neurons:
                return None
            last = i == len(self.layers) - 1
            if any(type(n) is not Neuron or bool(n.nonlin) == last for n in neurons):
                return None
            n_in = {len(n.w) for n in neurons}
            if len(n_in) != 1:
                return None
            (width,) = n_in
            if sizes and width != sizes[-1]:
                return None
            if not sizes:
                sizes.append(width)
            sizes.append(len(neurons))
        return {"model": "nn.scalar.MLP", "engine": "value", "layer_sizes": sizes,
                "activation": "relu"}
