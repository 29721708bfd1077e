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

from autograd import Value, name_scope

__all__ = ["MLP", "Layer", "Module", "Neuron"]


class Module:
    """micrograd's base: ``parameters()`` and ``zero_grad()``."""

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """Return the trainable Values, in a fixed order."""
        return []


class Neuron(Module):
    """``act(w·x + b)`` with ``act`` = ReLU when ``nonlin`` else identity."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron needs nin >= 1 inputs, got {nin!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs."""

    def __init__(self, nin: int, nout: int, **kwargs: bool) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer needs nout >= 1 neurons, got {nout!r}")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = []
        for i, n in enumerate(self.neurons):
            with name_scope(f"neuron{i}"):
                out.append(n(x))
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nin → nouts[0] → … → nouts[-1]``, ReLU on all but the last."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sz = [nin, *nouts]
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        with name_scope("MLP"):
            for i, layer in enumerate(self.layers):
                with name_scope(f"layer{i}"):
                    x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
