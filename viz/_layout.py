"""Layout choices made before Graphviz runs: direction, box shape, shared leaves, dot settings.

Graphviz ``dot`` spends its time on long edges: an edge spanning k ranks
becomes k virtual nodes that crossing minimisation and positioning must place
(and twice as many when edges carry labels). A weight shared by every step of
an RNN has one edge into every step; drawn as one box it made a 123-node
graph take minutes. So a leaf used at least :data:`SHARED_MIN_USES` times at
levels at least :data:`SHARED_MIN_SPAN` apart is drawn once per use, next to
each use, marked "shared ×N".

Width: a notebook is about 1,000 pt wide. Left to right suits short chains;
deeper graphs are drawn top to bottom with each value's cells stacked, which
keeps the lecture's graphs (up to about 60 boxes) within that width. The
widths are estimated from the text of the boxes (Helvetica metrics), without
running Graphviz, so ``Graph.source`` needs no Graphviz. The root's main
chain (its deepest operand, that one's deepest operand, …) gets heavier
edges so that it is drawn as one straight line instead of drifting sideways
a little at every step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ._boxes import NodeBoxOptions, node_box, op_width
from ._graphdata import GraphData
from ._style import Style

__all__ = [
    "NOTEBOOK_WIDTH",
    "Drawn",
    "Layout",
    "drawn_graph",
    "estimate_width",
    "levels_and_uses",
    "plan_layout",
    "shared_leaves",
]

NOTEBOOK_WIDTH = 1000.0  # points: what a notebook shows without scrolling
SHARED_MIN_USES = 3
SHARED_MIN_SPAN = 3  # levels between a leaf's nearest and farthest use
AUTO_DIRECTION_MAX_NODES = 5000  # above, left to right without estimating
NODESEP = 0.2  # inches between boxes in a rank (left to right: rows)
TALL_NODESEP = 0.15  # top to bottom, where the width is what runs out
RANKSEP = 0.3  # inches between ranks
BIG_DRAWING = 300  # DOT nodes; above, Graphviz is told to search less
_EDGE_LABEL_WIDTH = 52.0  # "∂ -0.1234" at 9 pt, with its margin


@dataclass
class Layout:
    """Decisions for one drawing (see the module docstring)."""

    rankdir: str
    stacked: bool  # a Value's label, data and grad one below the other
    shared: dict[int, int] = field(default_factory=dict)  # leaf index -> uses, one box per use
    graph_attrs: list[str] = field(default_factory=list)
    estimated_width: float = 0.0  # points, 0 when not estimated
    main_operand: dict[int, int] = field(default_factory=dict)  # op node -> its deepest operand
    spine: set[int] = field(default_factory=set)  # the root's main chain, drawn in one line


def levels_and_uses(data: GraphData) -> tuple[list[int], dict[int, tuple[int, int, int]]]:
    """Each node's level (longest path down to a root, in ops) and each leaf's uses.

    ``uses[j] = (count, nearest level, farthest level)`` over the ops that
    consume leaf ``j``. One pass over the nodes in reverse topological order.
    """
    n = len(data.nodes)
    level = [0] * n
    uses: dict[int, tuple[int, int, int]] = {}
    for i in range(n - 1, -1, -1):
        li = level[i] + 1
        for j in data.parent_indices(i):
            if level[j] < li:
                level[j] = li
            if not data.nodes[j].parents:
                count, near, far = uses.get(j, (0, li, li))
                uses[j] = (count + 1, min(near, li - 1), max(far, li - 1))
    return level, uses


def main_operands(data: GraphData) -> dict[int, int]:
    """For each op node, the operand with the longest chain of ops behind it.

    Its edge is drawn heavier, so that the main chain of a deep graph (an
    RNN's hidden state, a running sum) stays straight instead of drifting
    sideways one step at a time.
    """
    height = [0] * len(data.nodes)
    main: dict[int, int] = {}
    for i in range(len(data.nodes)):
        parents = data.parent_indices(i)
        if parents:
            j = max(parents, key=lambda p: height[p])
            height[i] = height[j] + 1
            main[i] = j
    return main


def spine_of(data: GraphData, main: dict[int, int]) -> set[int]:
    """The first root and its main operand, that one's main operand, … down to a leaf."""
    i = data.index[id(data.roots[0])]
    spine = {i}
    while i in main:
        i = main[i]
        spine.add(i)
    return spine


def shared_leaves(uses: dict[int, tuple[int, int, int]]) -> dict[int, int]:
    """Leaves used often and far apart (see the module docstring): index -> number of uses."""
    return {
        j: count
        for j, (count, near, far) in uses.items()
        if count >= SHARED_MIN_USES and far - near >= SHARED_MIN_SPAN
    }


def box_id(i: int) -> str:
    """DOT id of node ``i``'s box."""
    return f"n{i}"


def oval_id(i: int) -> str:
    """DOT id of node ``i``'s op oval."""
    return f"n{i}o"


def copy_id(j: int, i: int, slot: int) -> str:
    """DOT id of shared leaf ``j``'s box at its use as operand ``slot`` of node ``i``."""
    return f"n{j}_{i}_{slot}"


@dataclass
class Drawn:
    """The DOT nodes of a detailed drawing (boxes, ovals, copies) and their edges.

    ``labelled[k]`` is the total width of the edge labels below DOT node ``k``
    (its out-edges'), ``succ[k]`` the DOT nodes it points to. Constants are
    part of their op's oval (see :func:`viz._boxes.op_cell`).
    """

    ids: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    labelled: list[float] = field(default_factory=list)
    succ: list[list[int]] = field(default_factory=list)

    def add(self, node_id: str, width: float) -> int:
        """Append a DOT node; return its index."""
        self.ids.append(node_id)
        self.widths.append(width)
        self.labelled.append(0.0)
        self.succ.append([])
        return len(self.ids) - 1


def drawn_graph(data: GraphData, style: Style, shared: dict[int, int], stacked: bool) -> Drawn:
    """What :func:`viz._dot.detailed_dot` will draw, with estimated widths (same ids)."""
    drawn, where = Drawn(), {}
    opts = NodeBoxOptions(stacked=stacked, show_op=style.compact)
    labels = style.show_local_grad and not style.compact
    for i, node in enumerate(data.nodes):
        if i not in shared:
            where[i] = drawn.add(box_id(i), node_box(data, style, i, opts).width())
        if not node.parents:
            continue
        target = where[i]
        if not style.compact:
            target = drawn.add(oval_id(i), op_width(data, i))
            drawn.succ[target].append(where[i])
        for operand in data.operands(i):
            j = operand.node
            if j < 0:
                continue  # a constant: drawn inside the op
            if j in shared:
                k = drawn.add(copy_id(j, i, operand.slot), node_box(data, style, j, opts).width())
            else:
                k = where[j]
            drawn.succ[k].append(target)
            if labels:
                drawn.labelled[k] += _EDGE_LABEL_WIDTH
    return drawn


def _reverse_topological(drawn: Drawn) -> list[int]:
    """DOT nodes with every node after all the nodes it points to (Kahn's algorithm)."""
    remaining = [len(s) for s in drawn.succ]
    preds: list[list[int]] = [[] for _ in drawn.ids]
    for k, succ in enumerate(drawn.succ):
        for t in succ:
            preds[t].append(k)
    ready = [k for k, r in enumerate(remaining) if r == 0]
    order = []
    while ready:
        k = ready.pop()
        order.append(k)
        for p in preds[k]:
            remaining[p] -= 1
            if remaining[p] == 0:
                ready.append(p)
    return order


def assign_levels(drawn: Drawn) -> tuple[list[int], dict[int, float]]:
    """Each DOT node's level above the bottom (the root is 0) and each level's estimated width.

    A node sits just above the highest node it points to, so leaves sit next
    to their use, as dot's ranking puts them.
    """
    sep = TALL_NODESEP * 72
    level = [0] * len(drawn.ids)
    load: dict[int, float] = defaultdict(float)
    for k in _reverse_topological(drawn):
        lv = max((level[t] + 1 for t in drawn.succ[k]), default=0)
        level[k] = lv
        load[lv] += max(drawn.widths[k], drawn.labelled[k]) + sep
    return level, load


def estimate_width(drawn: Drawn, rankdir: str, labels: bool) -> float:
    """The drawing's estimated width in points: top to bottom, the widest level; left to
    right, the sum of each level's widest box and the gaps (with room for edge labels)."""
    level, load = assign_levels(drawn)
    if rankdir in ("TB", "BT"):
        return max(load.values(), default=0.0) + 8
    widest: dict[int, float] = defaultdict(float)
    for k, lv in enumerate(level):
        widest[lv] = max(widest[lv], drawn.widths[k])
    gap = RANKSEP * 72 + (_EDGE_LABEL_WIDTH if labels else 0.0)
    return sum(widest.values()) + gap * (len(widest) - 1) + 8


def _graph_attrs(rankdir: str, n_dot_nodes: int) -> list[str]:
    attrs = [
        f"rankdir={rankdir}",
        'fontname="Helvetica"',
        "fontsize=12",
        f"nodesep={TALL_NODESEP if rankdir in ('TB', 'BT') else NODESEP}",
        f"ranksep={RANKSEP}",
        'bgcolor="white"',
    ]
    if n_dot_nodes <= BIG_DRAWING:
        attrs.append("mclimit=2")  # twice the crossing-minimisation effort: fewer, narrower
    else:
        # Fewer network-simplex and crossing-minimisation passes, straight edges:
        # layout time for ~1,000 nodes drops from seconds to well under one.
        attrs += ["nslimit=1", "nslimit1=1", "mclimit=0.1", "searchsize=10", "splines=line"]
    return attrs


def _choose_direction(
    data: GraphData, style: Style, shared: dict[int, int]
) -> tuple[str, float]:
    """Left to right if it fits, else top to bottom when that is narrower."""
    labels = style.show_local_grad and not style.compact
    wide = estimate_width(drawn_graph(data, style, shared, stacked=False), "LR", labels)
    if wide <= NOTEBOOK_WIDTH:
        return "LR", wide
    tall = estimate_width(drawn_graph(data, style, shared, stacked=True), "TB", labels)
    return ("TB", tall) if tall < wide else ("LR", wide)


def plan_layout(data: GraphData, style: Style) -> Layout:
    """Choose direction, box shape, shared-leaf copies and dot settings for a detailed drawing.

    ``style.rankdir`` wins when given. Otherwise left to right when the
    estimated width fits :data:`NOTEBOOK_WIDTH`, else top to bottom with
    stacked boxes when that is narrower (a notebook scrolls down, not across).
    """
    _, uses = levels_and_uses(data)
    shared = shared_leaves(uses)
    main = main_operands(data)
    rankdir, estimated = style.rankdir, 0.0
    if rankdir is None:
        rankdir = "LR"
        if len(data.nodes) <= AUTO_DIRECTION_MAX_NODES:
            rankdir, estimated = _choose_direction(data, style, shared)
    ops = sum(1 for node in data.nodes if node.parents)
    n_dot_nodes = len(data.nodes) + sum(shared.values()) - len(shared)
    n_dot_nodes += 0 if style.compact else ops
    return Layout(
        rankdir=rankdir,
        stacked=rankdir in ("TB", "BT"),
        shared=shared,
        graph_attrs=_graph_attrs(rankdir, n_dot_nodes),
        estimated_width=estimated,
        main_operand=main,
        spine=spine_of(data, main),
    )
