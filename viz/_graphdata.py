"""Gather the nodes of a graph (iteratively), decide each node's role, list each op's operands.

Only the public node attributes are read: ``op``, ``parents``, ``inputs``,
``scope``, ``data``, ``grad``, ``label`` (and ``local_grads`` by the edge
labels, ``requires_grad`` for Tensor leaves).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from autograd import Tensor, Value, topological_order

from ._format import is_tensor_node

__all__ = ["GraphData", "Operand", "gather", "is_node"]


class Operand(NamedTuple):
    """One operand of an op, in the order of ``node.inputs``.

    A node operand has ``node`` (its index in :attr:`GraphData.nodes`) and
    ``slot`` (its position in ``parents``, which ``local_grads`` follows);
    a constant (a number, an array, a Tensor that needs no gradient) has
    ``node == slot == -1`` and the object itself in ``value``.
    """

    node: int
    slot: int
    value: Any


@dataclass
class GraphData:
    """Every node reachable from ``roots`` with an integer index and a role.

    ``nodes`` lists every node once, operands before results; ``index`` maps
    ``id(node)`` to its position; ``roles[i]`` is ``"output"``,
    ``"parameter"``, ``"input"`` or ``"intermediate"``; ``names`` holds labels
    taken from a ``params`` mapping for nodes that have no label of their own.
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

    def parent_indices(self, i: int) -> list[int]:
        """Indices of node ``i``'s parents, in order (repeated when an operand is reused)."""
        index = self.index
        return [index[id(p)] for p in self.nodes[i].parents]

    def operands(self, i: int) -> list[Operand]:
        """Node ``i``'s operands in ``inputs`` order; those not in ``parents`` are constants."""
        node = self.nodes[i]
        parents = tuple(node.parents)
        inputs = tuple(getattr(node, "inputs", parents))
        out: list[Operand] = []
        slot = 0
        for operand in inputs:
            if slot < len(parents) and operand is parents[slot]:
                out.append(Operand(self.index[id(operand)], slot, None))
                slot += 1
            else:
                out.append(Operand(-1, -1, operand))
        # ``inputs`` should hold every parent; if it does not, draw the rest anyway.
        out.extend(Operand(self.index[id(p)], k, None) for k, p in enumerate(parents[slot:], slot))
        return out


def is_node(obj: Any) -> bool:
    """Whether ``obj`` is a graph node: it has ``parents`` and ``data`` (a Value, a Tensor…)."""
    return hasattr(obj, "parents") and hasattr(obj, "data") and not isinstance(obj, type)


def as_roots(root: Any) -> tuple[Any, ...]:
    """Accept one node or an iterable of nodes; reject anything else with a clear message."""
    if is_node(root):
        return (root,)
    if isinstance(root, Iterable) and not isinstance(root, str | bytes):
        roots = tuple(root)
        if roots and all(is_node(r) for r in roots):
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
    if is_node(params):
        params = (params,)
    return {id(p) for p in params}, {}


def _walk(roots: tuple[Any, ...]) -> list[Any]:
    """Every node reachable through ``parents``, operands first (iterative post-order)."""
    order: list[Any] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _ordered_nodes(roots: tuple[Any, ...]) -> list[Any]:
    """The engine's topological order for Values and Tensors; a plain walk for other nodes."""
    if not all(isinstance(r, Value | Tensor) for r in roots):
        return _walk(roots)
    order = topological_order(roots)
    # topological_order leaves out roots that need no gradient (a graph built
    # under no_grad is a single node): draw those too.
    found = {id(n) for n in order}
    missing = [r for r in dict.fromkeys(roots) if id(r) not in found]
    return missing + order


def _role(node: Any, is_root: bool, pids: set[int]) -> str:
    if is_root:
        return "output"
    if node.parents:
        return "intermediate"
    if pids:
        return "parameter" if id(node) in pids else "input"
    if is_tensor_node(node) and getattr(node, "requires_grad", False):
        return "parameter"
    return "input"


def gather(root: Any, params: Any = None) -> GraphData:
    """Collect every node reachable from ``root`` without recursion and assign roles.

    Leaves are ``"parameter"`` when they are in ``params`` (a collection, a
    ``{name: param}`` mapping, or a module with ``parameters()``). Without
    ``params``, a Tensor leaf that requires grad is a parameter and one that
    does not is an input; a ``Value`` leaf is an input (scalars carry no such
    flag).
    """
    roots = as_roots(root)
    nodes = _ordered_nodes(roots)
    index = {id(n): i for i, n in enumerate(nodes)}
    pids, pnames = _param_ids(params)
    root_ids = {id(r) for r in roots}
    roles = [_role(n, id(n) in root_ids, pids) for n in nodes]
    names = {index[i]: name for i, name in pnames.items() if i in index}
    return GraphData(nodes, index, roots, roles, names)
