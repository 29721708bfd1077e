"""DOT source for a graph drawn node by node (micrograd style).

Each value is a box, each operation an oval between its operands and its
result (``style.compact`` folds the op into the result's box). Operands that
need no gradient (data, targets, numbers) are small grey boxes inside their
op, on the side they are written (``[0.5] *``, ``- [1]``, ``[xbatch (8, 2)] @``;
see :func:`viz._boxes.op_cell`): no node, edge or rank of their own.
The text is built with plain string joins (fast enough for tens of thousands
of nodes); every user-supplied string goes through :mod:`viz._format`.
"""

from __future__ import annotations

import numpy as np

from ._boxes import OVAL_FONT_SIZE, NodeBoxOptions, grad_scale, node_box, op_label
from ._format import HIGHLIGHT, fmt, html_text, quoted, shape_text
from ._graphdata import GraphData, Operand
from ._layout import Layout, box_id, copy_id, oval_id, plan_layout
from ._style import Style, grads_computed

__all__ = ["detailed_dot", "footer", "header"]

SPINE_WEIGHT = 3  # the root's main chain pulls harder: it stays one straight line


def header(graph_attrs: list[str]) -> list[str]:
    """The opening lines: graph, node and edge defaults."""
    return [
        "digraph chainrule {",
        "  graph [" + ", ".join(graph_attrs) + "];",
        '  node [shape=plaintext, fontname="Helvetica", fontsize=11, margin=0];',
        '  edge [fontname="Helvetica", fontsize=9, color="#6b7280", arrowsize=0.6,'
        ' fontcolor="#374151"];',
    ]


def footer(out: list[str], style: Style, has_grads: bool) -> None:
    """The title, caption and "not computed yet" note under the picture, and the closing brace."""
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


def _edge_label(data: GraphData, style: Style, child: int, slot: int) -> str | None:
    """``∂ <local derivative>`` (Value) or the operand's shape (Tensor) on an operand's edge."""
    if (child, slot) in style.highlight_edges:
        return style.highlight_edges[(child, slot)]
    if not style.show_local_grad or style.compact:
        return None
    node = data.nodes[child]
    local = getattr(node, "local_grads", None)
    if local is not None and slot < len(local):
        return f"∂ {fmt(local[slot])}"
    parent = node.parents[slot]
    if isinstance(getattr(parent, "data", None), np.ndarray):
        return shape_text(parent.data.shape)
    return None


class _Writer:
    """Builds the statements of one detailed drawing."""

    def __init__(self, data: GraphData, style: Style, layout: Layout) -> None:
        self.data, self.style, self.layout = data, style, layout
        self.has_grads = style.show_grad and grads_computed(data, style)
        self.opts = NodeBoxOptions(
            stacked=layout.stacked,
            show_op=style.compact,
            has_grads=self.has_grads,
            grad_scale=grad_scale(data, style),
        )
        attrs = layout.graph_attrs
        if style.graph_id:
            attrs = [*attrs, f"id={quoted(style.graph_id)}"]
        self.out = header(attrs)

    def box(self, i: int, name: str, uses: int = 0) -> None:
        opts = self.opts
        if uses:
            opts = NodeBoxOptions(opts.stacked, opts.show_op, opts.has_grads, opts.grad_scale, uses)
        label = node_box(self.data, self.style, i, opts).html()
        extra = ', class="current"' if i == self.style.highlight else ""
        self.out.append(f'  {name} [label=<{label}>, tooltip="{self.data.roles[i]}"{extra}];')

    def edge(self, tail: str, head: str, attrs: list[str]) -> None:
        attr_text = f" [{', '.join(attrs)}]" if attrs else ""
        self.out.append(f"  {tail} -> {head}{attr_text};")

    def oval(self, i: int) -> str:
        """The op oval of node ``i`` (or, compact, its box); returns the id edges go into."""
        if self.style.compact:
            return box_id(i)
        current = i == self.style.highlight
        colour, width = (HIGHLIGHT, "2.5") if current else ("#6b7280", "1")
        extra = ', class="current"' if current else ""
        self.out.append(
            f"  {oval_id(i)} [label=<{op_label(self.data, i)}>, "
            f'shape=ellipse, style=filled, fillcolor="#f9fafb", color="{colour}", '
            f'penwidth={width}, margin="0.04,0.02", height=0.3, '
            f"fontsize={OVAL_FONT_SIZE:g}{extra}];"
        )
        heavy = [f"weight={SPINE_WEIGHT}"] if i in self.layout.spine else []
        self.edge(oval_id(i), box_id(i), heavy)
        return oval_id(i)

    def operand_edge(self, i: int, operand: Operand, target: str) -> None:
        """The edge from a node operand (or its shared-leaf copy) into the op."""
        j, slot = operand.node, operand.slot
        source = box_id(j)
        if j in self.layout.shared:
            source = copy_id(j, i, slot)
            self.box(j, source, uses=self.layout.shared[j])
        spine = i in self.layout.spine and self.layout.main_operand.get(i) == j
        attrs = [f"weight={SPINE_WEIGHT}"] if spine and self.data.nodes[j].parents else []
        label = _edge_label(self.data, self.style, i, slot)
        if label is not None:
            attrs.append(f"label={quoted(label)}")
        if (i, slot) in self.style.highlight_edges:
            attrs.append(f'color="{HIGHLIGHT}", fontcolor="{HIGHLIGHT}", penwidth=2.5')
        self.edge(source, target, attrs)

    def node(self, i: int) -> None:
        if i not in self.layout.shared:
            self.box(i, box_id(i))
        if not self.data.nodes[i].parents:
            return
        target = self.oval(i)
        for operand in self.data.operands(i):  # constants are drawn inside the op
            if operand.node >= 0:
                self.operand_edge(i, operand, target)


def detailed_dot(data: GraphData, style: Style, layout: Layout | None = None) -> str:
    """DOT text with one box per value (or per use, for shared leaves) and one oval per op."""
    layout = plan_layout(data, style) if layout is None else layout
    writer = _Writer(data, style, layout)
    for i in range(len(data.nodes)):
        writer.node(i)
    footer(writer.out, style, writer.has_grads)
    return "\n".join(writer.out)


