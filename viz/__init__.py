"""Pictures of the engine at work: computation graphs, step-through backprop, training plots.

* :func:`draw_graph` — the graph behind a ``Value``/``Tensor`` as DOT/SVG/PNG/PDF,
  inline in Jupyter; collapses huge graphs by ``nn`` module.
* :func:`backprop_steps` — backward as a list of steps taken from the engine's
  own trace, each rendered with the chain-rule product written out.
* :mod:`viz.plots` — activations and their derivatives, loss curves, decision
  boundaries, optimizer paths (matplotlib; every function returns the Figure).
* :class:`TrainingMovie` — an ``nn.fit`` callback that writes the decision
  boundary and the loss curve over the epochs as an animated GIF.
"""

from .animate import TrainingMovie
from .graph import (
    Graph,
    GraphvizError,
    GraphvizNotFoundError,
    GraphvizTimeoutError,
    draw_graph,
    render_dot,
)
from .plots import (
    plot_activation,
    plot_activations,
    plot_batch_modes,
    plot_decision_boundary,
    plot_loss_curves,
    plot_optimizer_paths,
)
from .steps import BackpropSteps, ChainFactor, ChainPath, Step, backprop_steps

__all__ = [
    "BackpropSteps",
    "ChainFactor",
    "ChainPath",
    "Graph",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "Step",
    "TrainingMovie",
    "backprop_steps",
    "draw_graph",
    "plot_activation",
    "plot_activations",
    "plot_batch_modes",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_optimizer_paths",
    "render_dot",
]
