"""Gather the nodes of a graph (iteratively) and decide each node's role."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._format import is_tensor_node

__all__ = ["GraphData", "gather"]


@dataclass
class GraphData:
    """Every node reachable from ``roots`` with an integer index and a role.

    ``nodes`` lists every node once (leaves towards the front); ``index``
    maps ``id(node)`` to its position;
    ``roles[i]`` is ``"output"``, ``"parameter"``, ``"input"`` or
    ``"intermediate"``; ``names`` holds labels taken from a ``params``
    mapping for nodes that have no label of their own.
    """

    nodes: list[Any]
    index: dict[int, int]
    roots: tuple[Any, ...]
    roles: list[str]
    names: dict[int, str]

    def label(self, i: int) -> str:
        """The node's own label, else the name it has in ``params``, else ``""``."""
        own = getattr(self.nodes[i], "label", "") or ""
        return str(own) if own else self.names.get(i, "")


def as_roots(root: Any) -> tuple[Any, ...]:
    """Accept one node or an iterable of nodes; reject anything else with a clear message."""
    if hasattr(root, "_prev"):
        return (root,)
    if isinstance(root, Iterable) and not isinstance(root, str | bytes):
        roots = tuple(root)
        if roots and all(hasattr(r, "_prev") for r in roots):
            return roots
    raise TypeError(
        "expected an autograd node (a Value or Tensor, e.g. the loss) or a list of them, "
        f"got {type(root).__name__} {root!r:.60}"
    )


def _param_ids(params: Any) -> tuple[set[int], dict[int, str]]:
    """Ids (and names, for a mapping) of the parameter collection ``params``."""
    if params is None:
        return set(), {}
    if isinstance(params, Mapping):
        return {id(p) for p in params.values()}, {id(p): str(k) for k, p in params.items()}
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if hasattr(params, "_prev"):
        params = (params,)
    return {id(p) for p in params}, {}


def gather(root: Any, params: Any = None) -> GraphData:
    """Collect every node reachable from ``root`` without recursion and assign roles.

    Leaves are ``"parameter"`` when they are in ``params`` (a collection, a
    ``{name: param}`` mapping, or a module with ``parameters()``). Without
    ``params``, a Tensor leaf that requires grad is a parameter and one that
    does not is an input; a ``Value`` leaf is an input (scalars carry no such
    flag).
    """
    roots = as_roots(root)
    # Breadth-first from the roots (iterative, one dict lookup per edge; the
    # engine's topological sort is not needed since DOT order is free), then
    # reversed so that leaves come first, roughly in the order of the math.
    nodes: list[Any] = []
    seen: set[int] = set()
    for r in roots:
        if id(r) not in seen:
            seen.add(id(r))
            nodes.append(r)
    k = 0
    while k < len(nodes):
        for p in nodes[k]._prev:
            if id(p) not in seen:
                seen.add(id(p))
                nodes.append(p)
        k += 1
    nodes.reverse()
    index = {id(n): i for i, n in enumerate(nodes)}

    pids, pnames = _param_ids(params)
    root_ids = {id(r) for r in roots}
    roles = []
    for n in nodes:
        if id(n) in root_ids:
            roles.append("output")
        elif n._prev:
            roles.append("intermediate")
        elif pids:
            roles.append("parameter" if id(n) in pids else "input")
        elif is_tensor_node(n) and getattr(n, "_requires_grad", False):
            roles.append("parameter")
        else:
            roles.append("input")
    names = {index[i]: name for i, name in pnames.items() if i in index}
    return GraphData(nodes, index, roots, roles, names)
