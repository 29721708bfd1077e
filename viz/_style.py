"""What a drawing shows (:class:`Style`) and the per-node gradient it shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._graphdata import GraphData, is_node

__all__ = ["NOT_REACHED", "Style", "grad_of", "grads_computed"]

NOT_REACHED: Any = object()  # grad override meaning "no gradient has arrived yet"


@dataclass
class Style:
    """What to show; see :func:`viz.draw_graph` for the meaning of each field."""

    show_data: bool = True
    show_grad: bool = True
    show_local_grad: bool = True
    rankdir: str | None = None  # None: chosen by the layout (LR when it fits, else TB)
    compact: bool = False
    color_by_grad: bool = False
    title: str | None = None
    # Step-through overrides:
    grads: Sequence[Any] | None = None  # per-node grad to show (NOT_REACHED allowed)
    names: dict[int, str] = field(default_factory=dict)  # extra names for unlabeled nodes
    highlight: int | None = None  # index of the current node
    highlight_edges: dict[tuple[int, int], str] = field(default_factory=dict)  # (child, slot)
    caption: str | None = None
    graph_id: str | None = None  # SVG id prefix (several drawings on one HTML page)


def grad_of(data: GraphData, style: Style, i: int) -> Any:
    """The gradient node ``i`` shows: the step-through override, else ``.grad``."""
    if style.grads is not None:
        return style.grads[i]
    g = data.nodes[i].grad
    if g is None:
        return NOT_REACHED
    return g.data if is_node(g) else g  # a grad recorded with create_graph=True


def grads_computed(data: GraphData, style: Style) -> bool:
    """Whether any node shows a gradient: before ``backward()`` every grad is 0 or None."""
    if style.grads is not None:
        return True
    for n in data.nodes:
        g = n.grad
        if g is None:
            continue
        if is_node(g):
            return True
        if isinstance(g, np.ndarray) or g != 0:
            return True
    return False
