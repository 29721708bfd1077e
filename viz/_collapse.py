"""A huge graph drawn as one box per ``nn`` module (name scope), like a network diagram.

Boxes that share a parent module (the neurons of a layer, the layers of a
model) sit in a frame labelled with that module, in natural order (neuron0,
neuron1, …, neuron15, top to bottom). Connections between two frames, or
between a frame and a box, are bundled into one edge that carries the number
of graph edges it stands for: a 16-by-16 dense layer is one arrow, not 256.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._boxes import Box, NodeBoxOptions, cell, node_box
from ._dot import footer, header
from ._format import ROLE_BORDERS, ROLE_COLOURS, fmt, quoted
from ._graphdata import GraphData
from ._layout import BIG_DRAWING, NODESEP
from ._style import Style, grads_computed

__all__ = ["Grouping", "collapsed_dot", "group_nodes", "max_scope_depth"]

BUNDLE_MIN_PAIRS = 3  # box pairs between a frame and another unit drawn as one edge
LABEL_EDGES_MAX = 60  # edge labels cost Graphviz a virtual node each
FRAME_RANKSEP = 0.25  # inches; each labelled edge also takes a rank of its own


@dataclass
class Grouping:
    """``of[i]`` is node ``i``'s group; ``keys[g]`` describes group ``g``.

    Keys: ``("scope", *names)`` for a module, ``("node", i)`` for the output,
    ``("leaves", role)`` for leaves shared by several modules.
    """

    of: list[int]
    keys: list[tuple[Any, ...]]


def _scope_groups(data: GraphData, depth: int) -> tuple[list[int], list[tuple[Any, ...]]]:
    """Op nodes to the group of their scope cut at ``depth``; the output to its own group."""
    keys: list[tuple[Any, ...]] = []
    key_ids: dict[tuple[Any, ...], int] = {}
    of = [-1] * len(data.nodes)
    by_scope: dict[int, int] = {}  # id(scope tuple) -> group; nodes share scope tuples
    for i, n in enumerate(data.nodes):
        if data.roles[i] == "output":
            key: tuple[Any, ...] = ("node", i)
        elif n.parents:
            scope = getattr(n, "scope", ()) or ()
            g = by_scope.get(id(scope))
            if g is not None:
                of[i] = g
                continue
            key = ("scope", *scope[:depth])
        else:
            continue
        g = key_ids.get(key)
        if g is None:
            g = key_ids[key] = len(keys)
            keys.append(key)
        if key[0] == "scope":
            by_scope[id(n.scope or ())] = g
        of[i] = g
    return of, keys


def group_nodes(data: GraphData, depth: int) -> Grouping:
    """Group the nodes for collapsing by name scope cut at ``depth``.

    Nodes created inside ``name_scope("MLP")/("layer0")/...`` are grouped by
    the first ``depth`` names of their scope; operations made outside any
    scope form a "(top level)" box; the output keeps its own box; a leaf goes
    to the box of the module that consumes it (a neuron's weights land in
    that neuron's box), leaves shared by several modules (or used only at
    top level) to one "parameters/inputs (shared)" box per role.
    """
    of, keys = _scope_groups(data, depth)
    top = next((g for g, k in enumerate(keys) if k == ("scope",)), -3)
    consumer: dict[int, int] = {}  # leaf -> the one module group using it, or -2 for several
    for i in range(len(data.nodes)):
        g = of[i]
        if g < 0 or g == top:
            continue
        for j in data.parent_indices(i):
            if of[j] == -1:
                c = consumer.get(j)
                consumer[j] = g if c is None or c == g else -2
    for i in range(len(data.nodes)):
        if of[i] == -1:
            c = consumer.get(i, -2)
            if c < 0:
                key = ("leaves", data.roles[i])
                if key not in keys:
                    keys.append(key)
                c = keys.index(key)
            of[i] = c
    # Boxes in natural order (neuron2 before neuron10), not in the order the walk met them.
    order = sorted(range(len(keys)), key=lambda g: _natural_key(keys[g]))
    new_id = {g: k for k, g in enumerate(order)}
    return Grouping([new_id[g] for g in of], [keys[g] for g in order])


def _natural_key(key: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    """Sort key treating runs of digits as numbers: ``layer2 < layer10``."""
    return tuple(
        (0, int(piece)) if piece.isdigit() else (1, piece)
        for part in key
        for piece in re.split(r"(\d+)", str(part))
        if piece
    )


def max_scope_depth(data: GraphData) -> int:
    """Deepest name scope among the nodes (0 when no node was made inside a scope)."""
    return max((len(getattr(n, "scope", ()) or ()) for n in data.nodes), default=0)


def _frame_of(key: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The module a box belongs to (its scope minus the last name), or None."""
    return key[:-1] if key[0] == "scope" and len(key) > 2 else None


def _box_title(key: tuple[Any, ...], framed: bool) -> str:
    if key[0] == "scope":
        if len(key) == 1:
            return "(top level)"
        return str(key[-1]) if framed else "/".join(str(k) for k in key[1:])
    role = key[1]
    return {"parameter": "parameters", "input": "inputs"}.get(role, role) + " (shared)"


def _count_rows(roles: Counter, n_members: int, framed: bool) -> list[str]:
    """``503 nodes · 3 params`` (one line; two, shorter, inside a frame); a leaf box its count."""
    parts = [f"{n:,} {name}" for role, name in (("parameter", "params"), ("input", "inputs"))
             if (n := roles.get(role, 0))]
    if sum(roles.get(r, 0) for r in ("parameter", "input")) == n_members:
        return [" · ".join(parts)]  # a box of leaves only: "200 inputs"
    nodes = f"{n_members:,} node{'s' if n_members != 1 else ''}"
    return [*parts, nodes] if framed else [" · ".join([nodes, *parts])]


def _params_grad_norm(data: GraphData, members: list[int]) -> float:
    """√Σ grad² over the parameters among ``members``."""
    sq = 0.0
    for i in members:
        grad = data.nodes[i].grad
        if data.roles[i] == "parameter" and grad is not None:
            sq += float(np.sum(np.square(getattr(grad, "data", grad))))
    return sq**0.5


def _group_box(data: GraphData, key: tuple[Any, ...], members: list[int], has_grads: bool,
               framed: bool) -> Box:
    """A module's box: its name, its node/parameter/input counts, top ops, ‖grad params‖.

    Inside a frame (a layer's neurons, which are alike) the lines are shorter
    and the op list is left out, so that a frame stays narrow.
    """
    roles = Counter(data.roles[i] for i in members)
    rows = [[cell((_box_title(key, framed), "b"))]]
    rows += [[cell(line)] for line in _count_rows(roles, len(members), framed)]
    ops = Counter(data.nodes[i].op for i in members if data.nodes[i].parents)
    if ops and not framed:
        rows.append([cell(", ".join(f"{op or 'op'} ×{c:,}" for op, c in ops.most_common(3)))])
    if has_grads and roles.get("parameter", 0):
        name = "‖grad‖" if framed else "‖grad params‖"
        rows.append([cell(f"{name} {fmt(_params_grad_norm(data, members))}")])
    role = "group" if key[0] != "leaves" else ("parameter" if key[1] == "parameter" else "input")
    return Box(rows, ROLE_COLOURS[role], ROLE_BORDERS.get(role, "#374151"))


class _Collapsed:
    """Builds the DOT text of a collapsed drawing."""

    def __init__(self, data: GraphData, style: Style, grouping: Grouping) -> None:
        self.data, self.style, self.grouping = data, style, grouping
        self.has_grads = style.show_grad and grads_computed(data, style)
        self.members: list[list[int]] = [[] for _ in grouping.keys]
        for i, g in enumerate(grouping.of):
            self.members[g].append(i)
        frames: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for g, key in enumerate(grouping.keys):
            frame = _frame_of(key)
            if frame is not None:
                frames[frame].append(g)
        self.frames = {f: gs for f, gs in frames.items() if len(gs) > 1}
        self.frame_of = {g: f for f, gs in self.frames.items() for g in gs}
        self.links = self._links()

    def _links(self) -> Counter[tuple[int, int]]:
        """Graph edges between boxes: ``(from box, to box) -> count``."""
        of = self.grouping.of
        links: Counter[tuple[int, int]] = Counter()
        for i in range(len(self.data.nodes)):
            gi = of[i]
            for j in self.data.parent_indices(i):
                gj = of[j]
                if gj != gi:
                    links[(gj, gi)] += 1
        return links

    def box(self, g: int) -> str:
        key = self.grouping.keys[g]
        if key[0] == "node":  # the output keeps its own (value) box
            i = key[1]
            style = self.style
            if not self.data.label(i):
                style = Style(**{**vars(style), "names": {**style.names, i: "output"}})
            label = node_box(self.data, style, i, NodeBoxOptions(
                stacked=True, has_grads=self.has_grads)).html()
        else:
            label = _group_box(self.data, key, self.members[g], self.has_grads,
                               g in self.frame_of).html()
        return f"g{g} [label=<{label}>]"

    def frame(self, index: int, frame: tuple[Any, ...], boxes: list[int]) -> list[str]:
        """A module's frame around its boxes, kept in natural order when they form one rank."""
        out = [
            f"  subgraph cluster_{index} {{",
            f"    graph [label={quoted('/'.join(str(k) for k in frame[1:]))}, style=rounded, "
            'color="#9ca3af", fontsize=11, labeljust=l];',
        ]
        out += [f"    {self.box(g)};" for g in boxes]
        members = set(boxes)
        connected = any(a in members and b in members for a, b in self.links)
        if not connected:
            # Flat invisible edges fix the order inside the rank; in a left-to-right
            # drawing a rank runs bottom to top, so the chain is listed in reverse.
            chain = boxes[::-1] if self.style.rankdir in (None, "LR", "RL") else boxes
            out.append(
                "    { rank=same; " + " -> ".join(f"g{g}" for g in chain) + " [style=invis]; }"
            )
        out.append("  }")
        return out

    def edges(self) -> list[str]:
        """One edge per pair of units (a frame or a lone box), or per pair of boxes when few."""
        unit = {g: ("frame", self.frame_of[g]) if g in self.frame_of else ("box", g)
                for g in range(len(self.grouping.keys))}
        bundles: dict[tuple[Any, Any], list[tuple[int, int, int]]] = defaultdict(list)
        for (a, b), count in self.links.items():
            bundles[(unit[a], unit[b])].append((a, b, count))
        lines = []
        for (ua, ub), pairs in bundles.items():
            framed = ua[0] == "frame" or ub[0] == "frame"
            if framed and ua != ub and len(pairs) >= BUNDLE_MIN_PAIRS:
                lines.append(self._bundle(ua, ub, pairs))
            else:
                lines += [(f"g{a}", f"g{b}", count, "") for a, b, count in pairs]
        labelled = len(lines) <= LABEL_EDGES_MAX
        out = []
        for tail, head, count, extra in lines:
            width = min(4.0, 0.8 + 0.4 * np.log10(count))
            text = quoted(f"×{count:,}")
            attr = f"label={text}" if labelled else f"tooltip={text}"
            out.append(f"  {tail} -> {head} [{attr}, penwidth={width:.2f}{extra}];")
        return out

    def _bundle(self, ua: tuple, ub: tuple, pairs: list) -> tuple[str, str, int, str]:
        def end(u: tuple, attr: str) -> tuple[str, str]:
            if u[0] == "box":
                return f"g{u[1]}", ""
            boxes = self.frames[u[1]]
            index = list(self.frames).index(u[1])
            return f"g{boxes[len(boxes) // 2]}", f", {attr}=cluster_{index}"

        tail, tail_attr = end(ua, "ltail")
        head, head_attr = end(ub, "lhead")
        return tail, head, sum(c for _, _, c in pairs), tail_attr + head_attr

    def dot(self) -> str:
        rankdir = self.style.rankdir or "LR"
        attrs = [f"rankdir={rankdir}", 'fontname="Helvetica"', "fontsize=12",
                 f"nodesep={NODESEP}", f"ranksep={FRAME_RANKSEP}", 'bgcolor="white"',
                 "compound=true", "newrank=true"]
        if len(self.grouping.keys) > BIG_DRAWING:
            attrs += ["nslimit=1", "nslimit1=1", "mclimit=0.1", "splines=line"]
        out = header(attrs)
        for index, (frame, boxes) in enumerate(self.frames.items()):
            out += self.frame(index, frame, boxes)
        out += [f"  {self.box(g)};" for g in range(len(self.grouping.keys))
                if g not in self.frame_of]
        out += self.edges()
        footer(out, self.style, self.has_grads)
        return "\n".join(out)


def collapsed_dot(data: GraphData, style: Style, grouping: Grouping) -> str:
    """One box per group (see :func:`group_nodes`) in module frames, with bundled edges."""
    return _Collapsed(data, style, grouping).dot()
