"""DOT source for a graph drawn node by node (micrograd style) or collapsed by module.

The text is built with plain string joins (fast enough for tens of thousands
of nodes); every user-supplied string goes through :mod:`viz._format`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._format import (
    HIGHLIGHT,
    ROLE_BORDERS,
    ROLE_COLOURS,
    array_summary,
    fmt,
    grad_colour,
    html_text,
    is_tensor_node,
    quoted,
    shape_text,
)
from ._graphdata import GraphData

NOT_REACHED: Any = object()  # grad override meaning "no gradient has arrived yet"


@dataclass
class Style:
    """What to show; see :func:`viz.draw_graph` for the meaning of each field."""

    show_data: bool = True
    show_grad: bool = True
    show_local_grad: bool = True
    rankdir: str = "LR"
    compact: bool = False
    color_by_grad: bool = False
    title: str | None = None
    # Step-through overrides:
    grads: Sequence[Any] | None = None  # per-node grad to show (NOT_REACHED allowed)
    names: dict[int, str] = field(default_factory=dict)  # extra names for unlabeled nodes
    highlight: int | None = None  # index of the current node
    highlight_edges: dict[tuple[int, int], str] = field(default_factory=dict)  # (child, slot)
    caption: str | None = None


def _header(style: Style, *, big: bool) -> list[str]:
    graph_attrs = [
        f"rankdir={style.rankdir}",
        'fontname="Helvetica"',
        "fontsize=12",
        "nodesep=0.2",
        "ranksep=0.3",
        'bgcolor="white"',
    ]
    if big:
        # Fewer crossing-minimisation passes and straight edges: layout time
        # for ~1,000 nodes drops from seconds to well under one.
        graph_attrs += ["nslimit=1", "nslimit1=1", "mclimit=0.1", "splines=line"]
    return [
        "digraph chainrule {",
        "  graph [" + ", ".join(graph_attrs) + "];",
        '  node [shape=plaintext, fontname="Helvetica", fontsize=11, margin=0];',
        '  edge [fontname="Helvetica", fontsize=9, color="#6b7280", arrowsize=0.6,'
        ' fontcolor="#374151"];',
    ]


def _grad_of(data: GraphData, style: Style, i: int) -> Any:
    if style.grads is not None:
        return style.grads[i]
    g = data.nodes[i].grad
    return NOT_REACHED if g is None else g


def grads_computed(data: GraphData, style: Style) -> bool:
    """Whether any node shows a gradient: before ``backward()`` every grad is 0 or None."""
    if style.grads is not None:
        return True
    for n in data.nodes:
        g = n.grad
        if g is None:
            continue
        if isinstance(g, np.ndarray) or g != 0:
            return True
    return False


def _scalar_cells(data: GraphData, style: Style, i: int, has_grads: bool) -> list[str]:
    node = data.nodes[i]
    cells = []
    name = data.label(i) or style.names.get(i, "")
    if style.compact and node._prev:
        cells.append(f"<td><i>{html_text(node._op or 'op')}</i></td>")
    if name:
        cells.append(f"<td><b>{html_text(name)}</b></td>")
    if style.show_data:
        cells.append(f"<td>data {fmt(node.data)}</td>")
    if style.show_grad:
        g = _grad_of(data, style, i)
        text = "grad —" if (g is NOT_REACHED or not has_grads) else f"grad {fmt(g)}"
        cells.append(f"<td>{text}</td>")
    if not cells:
        cells.append("<td>·</td>")
    return ["<tr>" + "".join(cells) + "</tr>"]


def _tensor_rows(data: GraphData, style: Style, i: int, has_grads: bool) -> list[str]:
    node = data.nodes[i]
    name = data.label(i) or style.names.get(i, "")
    arr = np.asarray(node.data)
    dtype = getattr(node, "dtype", arr.dtype)
    head = f"{shape_text(arr.shape)} {html_text(np.dtype(dtype).name)}"
    if style.compact and node._prev:
        head = f"<i>{html_text(node._op or 'op')}</i>  {head}"
    if name:
        head = f"<b>{html_text(name)}</b>  {head}"
    rows = [f"<tr><td>{head}</td></tr>"]
    if style.show_data:
        rows.append(f"<tr><td>data {array_summary(arr)}</td></tr>")
    if style.show_grad:
        g = _grad_of(data, style, i)
        if g is NOT_REACHED or not has_grads:
            rows.append("<tr><td>grad —</td></tr>")
        else:
            rows.append(f"<tr><td>grad {array_summary(np.asarray(g))}</td></tr>")
    return rows


def _fill(data: GraphData, style: Style, i: int, grad_scale: float) -> str:
    if style.color_by_grad:
        g = _grad_of(data, style, i)
        if g is NOT_REACHED:
            return "#ffffff"
        value = float(np.sum(g)) if isinstance(g, np.ndarray) else float(g)
        return grad_colour(value, grad_scale)
    return ROLE_COLOURS[data.roles[i]]


def _grad_scale(data: GraphData, style: Style) -> float:
    scale = 0.0
    for i in range(len(data.nodes)):
        g = _grad_of(data, style, i)
        if g is NOT_REACHED:
            continue
        v = abs(float(np.sum(g))) if isinstance(g, np.ndarray) else abs(float(g))
        if v == v and v != float("inf"):
            scale = max(scale, v)
    return scale


def _edge_label(data: GraphData, style: Style, child: int, slot: int) -> str | None:
    if (child, slot) in style.highlight_edges:
        return style.highlight_edges[(child, slot)]
    if not style.show_local_grad or style.compact:
        return None
    node = data.nodes[child]
    parent = node._prev[slot]
    if is_tensor_node(parent) or is_tensor_node(node):
        return shape_text(np.shape(parent.data))
    local = node._local
    if local is None or slot >= len(local):
        return None
    return f"∂ {fmt(local[slot])}"


def detailed_dot(data: GraphData, style: Style) -> str:
    """One box per node (label | data | grad) and one oval per operation (unless compact)."""
    has_grads = style.show_grad and grads_computed(data, style)
    grad_scale = _grad_scale(data, style) if style.color_by_grad else 0.0
    out = _header(style, big=len(data.nodes) > 300)
    for i, node in enumerate(data.nodes):
        role = data.roles[i]
        current = i == style.highlight
        border = HIGHLIGHT if current else ROLE_BORDERS[role]
        width = "3" if current else "2" if style.color_by_grad and role != "intermediate" else "0"
        fill = _fill(data, style, i, grad_scale)
        if is_tensor_node(node):
            rows = _tensor_rows(data, style, i, has_grads)
            table = (
                f'<table border="{width if width != "0" else "1"}" cellborder="0" '
                f'cellspacing="0" cellpadding="3" '
                f'bgcolor="{fill}" color="{border}">' + "".join(rows) + "</table>"
            )
        else:
            rows = _scalar_cells(data, style, i, has_grads)
            table = (
                f'<table border="{width}" cellborder="1" cellspacing="0" cellpadding="4" '
                f'bgcolor="{fill}" color="{border}">' + "".join(rows) + "</table>"
            )
        out.append(f'  n{i} [label=<{table}>, tooltip="{role}"];')
        prev = node._prev
        if not prev:
            continue
        if style.compact:
            target = f"n{i}"
        else:
            target = f"n{i}o"
            op_colour = HIGHLIGHT if current else "#6b7280"
            op_width = "2.5" if current else "1"
            out.append(
                f"  n{i}o [label=<{html_text(node._op or 'op')}>, shape=ellipse, "
                f'style=filled, fillcolor="#f9fafb", color="{op_colour}", '
                f'penwidth={op_width}, margin="0.04,0.02", height=0.3, fontsize=10];'
            )
            out.append(f"  n{i}o -> n{i};")
        for slot, parent in enumerate(prev):
            attrs = []
            label = _edge_label(data, style, i, slot)
            if label is not None:
                attrs.append(f"label={quoted(label)}")
            if (i, slot) in style.highlight_edges:
                attrs.append(f'color="{HIGHLIGHT}", fontcolor="{HIGHLIGHT}", penwidth=2.5')
            attr_text = f" [{', '.join(attrs)}]" if attrs else ""
            out.append(f"  n{data.index[id(parent)]} -> {target}{attr_text};")
    _footer(out, style, has_grads)
    return "\n".join(out)


def _footer(out: list[str], style: Style, has_grads: bool) -> None:
    notes = []
    if style.title:
        notes.append(style.title)
    if style.caption:
        notes.append(style.caption)
    if style.show_grad and not has_grads:
        notes.append("grad —: not computed yet (call backward() first)")
    if notes:
        text = "".join(
            html_text(n).replace("<br/>", '<br align="left"/>') + '<br align="left"/>'
            for n in notes
        )
        out.append(f"  graph [label=<{text}>, labelloc=b, labeljust=l];")
    out.append("}")


# --------------------------------------------------------------------------
# Collapsed by module (name scope)
# --------------------------------------------------------------------------


@dataclass
class Grouping:
    """``of[i]`` is node ``i``'s group; ``keys[g]`` describes group ``g``."""

    of: list[int]
    keys: list[tuple[Any, ...]]


def group_nodes(data: GraphData, depth: int) -> Grouping:
    """Group the nodes for collapsing by name scope cut at ``depth``.

    Nodes created inside ``name_scope("MLP")/("layer0")/...`` are grouped by
    the first ``depth`` names of their scope; operations made outside any
    scope form a "(top level)" box; the output keeps its own box; a leaf goes
    to the box of the module that consumes it (a neuron's weights land in
    that neuron's box), leaves shared by several modules (or used only at
    top level) to one "parameters/inputs (shared)" box per role.
    """
    nodes, roles, index = data.nodes, data.roles, data.index
    keys: list[tuple[Any, ...]] = []
    key_ids: dict[tuple[Any, ...], int] = {}

    def group(key: tuple[Any, ...]) -> int:
        g = key_ids.get(key)
        if g is None:
            g = key_ids[key] = len(keys)
            keys.append(key)
        return g

    of = [-1] * len(nodes)
    by_scope: dict[int, int] = {}  # id(scope tuple) -> group; nodes share scope tuples
    for i, n in enumerate(nodes):
        if roles[i] == "output":
            of[i] = group(("node", i))
        elif n._prev:
            scope = getattr(n, "_scope", ()) or ()
            g = by_scope.get(id(scope))
            if g is None:
                g = by_scope[id(scope)] = group(("scope", *scope[:depth]))
            of[i] = g
    top = key_ids.get(("scope",), -3)
    consumer: dict[int, int] = {}  # leaf -> the one module group using it, or -2 for several
    for i, n in enumerate(nodes):
        g = of[i]
        if g == top or not n._prev:
            continue
        for p in n._prev:
            j = index[id(p)]
            if of[j] == -1:
                c = consumer.get(j)
                if c is None:
                    consumer[j] = g
                elif c != g:
                    consumer[j] = -2
    for i in range(len(nodes)):
        if of[i] == -1:
            c = consumer.get(i, -2)
            of[i] = c if c >= 0 else group(("leaves", roles[i]))
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
    return max((len(getattr(n, "_scope", ()) or ()) for n in data.nodes), default=0)


def _group_title(key: tuple, roles: Counter) -> str:
    if key[0] == "scope":
        return "/".join(key[1:]) if len(key) > 1 else "(top level)"
    role = key[1]
    return {"parameter": "parameters", "input": "inputs"}.get(role, role) + " (shared)"


def collapsed_dot(data: GraphData, style: Style, grouping: Grouping) -> str:
    """One box per group (see :func:`group_nodes`), with edge counts between boxes."""
    has_grads = style.show_grad and grads_computed(data, style)
    of, index = grouping.of, data.index
    members: list[list[int]] = [[] for _ in grouping.keys]
    for i, g in enumerate(of):
        members[g].append(i)
    edges: Counter = Counter()
    for i, n in enumerate(data.nodes):
        gi = of[i]
        for p in n._prev:
            gp = of[index[id(p)]]
            if gp != gi:
                edges[(gp, gi)] += 1
    out = _header(style, big=len(members) > 300)
    for box, (key, idx) in enumerate(zip(grouping.keys, members)):
        if key[0] == "node":
            i = key[1]
            rows = (
                _tensor_rows(data, style, i, has_grads)
                if is_tensor_node(data.nodes[i])
                else _scalar_cells(data, style, i, has_grads)
            )
            table = (
                f'<table border="1" cellborder="0" cellspacing="0" cellpadding="3" '
                f'bgcolor="{ROLE_COLOURS["output"]}" color="{ROLE_BORDERS["output"]}">'
                + "".join(rows)
                + "</table>"
            )
            out.append(f"  g{box} [label=<{table}>];")
            continue
        roles = Counter(data.roles[i] for i in idx)
        ops = Counter(data.nodes[i]._op for i in idx if data.nodes[i]._prev)
        n_params = roles.get("parameter", 0)
        n_inputs = roles.get("input", 0)
        counts = f"{len(idx):,} node{'s' if len(idx) != 1 else ''}"
        if n_params:
            counts += f" · {n_params:,} params"
        if n_inputs:
            counts += f" · {n_inputs:,} inputs"
        rows = [
            f"<tr><td><b>{html_text(_group_title(key, roles))}</b></td></tr>",
            f"<tr><td>{counts}</td></tr>",
        ]
        if ops:
            top = ", ".join(f"{html_text(op or 'op')} ×{c:,}" for op, c in ops.most_common(3))
            rows.append(f"<tr><td>{top}</td></tr>")
        if has_grads and n_params:
            sq = 0.0
            for i in idx:
                if data.roles[i] == "parameter":
                    grad = data.nodes[i].grad
                    if grad is not None:
                        sq += float(np.sum(np.square(grad)))
            rows.append(f"<tr><td>‖grad params‖ {fmt(sq**0.5)}</td></tr>")
        role = (
            "parameter"
            if key[0] == "leaves" and key[1] == "parameter"
            else "input"
            if key[0] == "leaves"
            else "group"
        )
        table = (
            f'<table border="1" cellborder="0" cellspacing="0" cellpadding="3" '
            f'bgcolor="{ROLE_COLOURS[role]}" color="{ROLE_BORDERS.get(role, "#374151")}">'
            + "".join(rows)
            + "</table>"
        )
        out.append(f"  g{box} [label=<{table}>];")
    # Edge labels cost Graphviz a virtual node each: only label a sparse picture.
    label_edges = len(edges) <= 60
    for (gp, gi), count in edges.items():
        width = min(4.0, 0.8 + 0.4 * np.log10(count))
        text = quoted(f"×{count:,}")
        attr = f"label={text}" if label_edges else f"tooltip={text}"
        out.append(f"  g{gp} -> g{gi} [{attr}, penwidth={width:.2f}];")
    _footer(out, style, has_grads)
    return "\n".join(out)
