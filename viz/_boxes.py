"""The HTML-like labels of the boxes, and an estimate of their width for layout choices.

A box is a table of rows of cells; a cell is a sequence of runs ``(text, kind)``
with ``kind`` ``"b"`` (bold), ``"i"`` (italic), ``""``, ``"c"`` (grey text) or
``"k"``: a constant operand (a number, a data batch, a target) drawn as a
small grey box inside the cell, next to its op. Texts are escaped here, once,
with :func:`viz._format.html_text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._format import (
    HIGHLIGHT,
    ROLE_BORDERS,
    ROLE_COLOURS,
    array_summary,
    constant_text,
    fmt,
    grad_colour,
    html_text,
    is_tensor_node,
    shape_text,
    text_width,
)
from ._graphdata import GraphData
from ._style import NOT_REACHED, Style, grad_of

__all__ = [
    "Box",
    "Cell",
    "NodeBoxOptions",
    "cell",
    "cell_html",
    "cell_width",
    "grad_scale",
    "node_box",
    "op_cell",
    "op_label",
    "op_width",
    "summary_rows",
]

Cell = tuple[tuple[str, str], ...]
FONT_SIZE = 11.0
CONSTANT_FONT_SIZE = 9.0
CONSTANT_FILL, CONSTANT_BORDER, CONSTANT_TEXT = "#f3f4f6", "#9ca3af", "#6b7280"
OVAL_MIN_WIDTH = 54.0  # points: Graphviz's minimum ellipse width (0.75 in)
OVAL_FONT_SIZE = 10.0


def cell(*runs: tuple[str, str] | str) -> Cell:
    """A cell from runs; a bare string is plain text."""
    return tuple((r, "") if isinstance(r, str) else r for r in runs)


_CHIP = (
    f'<td bgcolor="{CONSTANT_FILL}" color="{CONSTANT_BORDER}" border="1" cellpadding="1">'
    f'<font point-size="{CONSTANT_FONT_SIZE:g}">{{}}</font></td>'
)
_CHIP_PAD = 8.0  # points around a chip's text: padding, border, spacing
_CHIP_ROW = '<table border="0" cellborder="0" cellspacing="3" cellpadding="0"><tr>{}</tr></table>'


def _run_html(text: str, kind: str) -> str:
    escaped = html_text(text)
    if kind == "c":
        return f'<font color="{CONSTANT_TEXT}">{escaped}</font>'
    return f"<{kind}>{escaped}</{kind}>" if kind else escaped


def cell_html(c: Cell) -> str:
    """A cell's label text; with constant chips (kind ``"k"``) a one-row table of its runs."""
    if not any(kind == "k" for _, kind in c):
        return "".join(_run_html(text, kind) for text, kind in c)
    return _CHIP_ROW.format(
        "".join(
            _CHIP.format(html_text(text)) if kind == "k" else f"<td>{_run_html(text, kind)}</td>"
            for text, kind in c
        )
    )


def cell_width(c: Cell, size: float) -> float:
    """Estimated width in points of a cell's runs set at ``size`` (chips at 9 pt)."""
    return sum(
        text_width(text, CONSTANT_FONT_SIZE) + _CHIP_PAD
        if kind == "k"
        else text_width(text, size, bold=kind == "b")
        for text, kind in c
    )


@dataclass
class Box:
    """A table: ``rows`` of cells, with colours; ``html()`` is the label, ``width()`` its size."""

    rows: list[list[Cell]]
    fill: str
    border: str
    border_width: int = 1
    cell_borders: bool = False
    padding: int = 3
    font_size: float = FONT_SIZE

    def html(self) -> str:
        """The ``<table>`` label text."""
        cells = "1" if self.cell_borders else "0"
        rows = "".join(
            "<tr>" + "".join(f"<td>{cell_html(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        if self.font_size != FONT_SIZE:
            rows = rows.replace("<td>", f'<td><font point-size="{self.font_size:g}">').replace(
                "</td>", "</font></td>"
            )
        return (
            f'<table border="{self.border_width}" cellborder="{cells}" cellspacing="0" '
            f'cellpadding="{self.padding}" bgcolor="{self.fill}" color="{self.border}">'
            f"{rows}</table>"
        )

    def width(self) -> float:
        """Estimated width in points (Helvetica metrics, padding and borders included)."""
        pad = 2 * self.padding + (2 if self.cell_borders else 0)
        widest = max(
            (sum(cell_width(c, self.font_size) + pad for c in row) for row in self.rows),
            default=0.0,
        )
        return widest + 2 * self.border_width


def summary_rows(prefix: str, a: np.ndarray) -> list[list[Cell]]:
    """An array's numbers (≤ 4 elements) or μ σ / min max, as one or two rows."""
    text = array_summary(a)
    lines = text.split("<br/>")
    return [[cell(f"{prefix} {lines[0]}")], *([[cell(line)] for line in lines[1:]])]


def tensor_head(name: str, op: Cell, arr: np.ndarray, dtype: Any) -> Cell:
    """``name  op  (3, 4) float32`` with the name bold and the op (a cell's runs) italic."""
    runs: list[tuple[str, str]] = []
    if name:
        runs += [(name, "b"), ("  ", "")]
    if op:
        runs += [*op, ("  ", "")]
    runs.append((f"{shape_text(arr.shape)} {np.dtype(dtype).name}", ""))
    return tuple(runs)


def op_cell(data: GraphData, i: int, op_kind: str = "", chips: bool = True) -> Cell:
    """Node ``i``'s op with its constant operands, in reading order.

    A binary op reads as written: ``0.5 * x`` gives ``[0.5] *``, ``y - 1``
    gives ``- [1]``, ``xbatch @ W`` gives ``[xbatch (8, 2)] @``; any other op
    puts its constants after its name. With ``chips`` each constant is a
    small grey box (kind ``"k"``), else grey text (compact drawings: a
    nested table would be stretched to the width of the box). Constants live
    inside their op rather than in boxes of their own: a graph full of them
    (a long sum of ``+ 1``, a data batch used by every step) gets no extra
    node, edge or width, and each constant is always on its side of the op.
    """
    op = (str(data.nodes[i].op or "op"), op_kind)
    operands = data.operands(i)
    consts = [(pos, constant_text(o.value)) for pos, o in enumerate(operands) if o.node < 0]
    if len(operands) == 2 and len(consts) == 1 and consts[0][0] == 0:
        before, after = [consts[0][1]], []
    else:
        before, after = [], [text for _, text in consts]
    if chips:
        return (*((t, "k") for t in before), op, *((t, "k") for t in after))
    return (*((f"{t} ", "c") for t in before), op, *((f" {t}", "c") for t in after))


def op_label(data: GraphData, i: int) -> str:
    """The op oval's HTML-like label: its name, with its constants as small grey boxes."""
    return cell_html(op_cell(data, i))


def op_width(data: GraphData, i: int) -> float:
    """Estimated width in points of node ``i``'s op oval (an ellipse around its label)."""
    c = op_cell(data, i)
    if len(c) == 1:
        return max(OVAL_MIN_WIDTH, text_width(c[0][0], OVAL_FONT_SIZE) + 24)
    inner = cell_width(c, OVAL_FONT_SIZE) + 3 * (len(c) + 1)
    return max(OVAL_MIN_WIDTH, 1.42 * inner + 12)  # an ellipse is √2 wider than its label


def grad_text(g: Any, shown: bool) -> str:
    """``grad 0.1234``, or ``grad —`` when no gradient is shown yet."""
    return f"grad {fmt(g)}" if shown else "grad —"


def _fill_and_border(data: GraphData, style: Style, i: int, grad_scale: float) -> tuple[str, str]:
    role = data.roles[i]
    if style.color_by_grad:
        g = grad_of(data, style, i)
        fill = "#ffffff" if g is NOT_REACHED else grad_colour(grad_sum(g), grad_scale)
    else:
        fill = ROLE_COLOURS[role]
    border = HIGHLIGHT if i == style.highlight else ROLE_BORDERS[role]
    return fill, border


def grad_sum(g: Any) -> float:
    """A gradient as one number for colouring: itself, or the sum of an array."""
    return float(np.sum(g)) if isinstance(g, np.ndarray) else float(g)


def grad_scale(data: GraphData, style: Style) -> float:
    """The largest finite ``|gradient|`` shown (colour scale for ``color_by_grad``)."""
    scale = 0.0
    if not style.color_by_grad:
        return scale
    for i in range(len(data.nodes)):
        g = grad_of(data, style, i)
        if g is NOT_REACHED:
            continue
        v = abs(grad_sum(g))
        if math.isfinite(v):
            scale = max(scale, v)
    return scale


@dataclass
class NodeBoxOptions:
    """How one node's box is drawn: rows or one row, the op inside, a shared-leaf note."""

    stacked: bool = False
    show_op: bool = False
    has_grads: bool = True
    grad_scale: float = 0.0
    uses: int = 0  # > 0: this box is one of the copies of a leaf used ``uses`` times


def node_box(data: GraphData, style: Style, i: int, opts: NodeBoxOptions) -> Box:
    """The box of node ``i``: a Value's label | data | grad, or a Tensor's shape and statistics."""
    fill, border = _fill_and_border(data, style, i, opts.grad_scale)
    current = i == style.highlight
    width = 3 if current else 2 if style.color_by_grad and data.roles[i] != "intermediate" else 1
    if is_tensor_node(data.nodes[i]):
        return Box(_tensor_rows(data, style, i, opts), fill, border, width)
    cells = _value_cells(data, style, i, opts)
    rows = [[c] for c in cells] if opts.stacked else [cells]
    # A plain value box has a hairline frame around its cells only (micrograd's look).
    return Box(rows, fill, border, width if width > 1 else 0, cell_borders=True, padding=4)


def _name(data: GraphData, style: Style, i: int) -> str:
    return data.label(i) or style.names.get(i, "")


def _value_cells(data: GraphData, style: Style, i: int, opts: NodeBoxOptions) -> list[Cell]:
    node = data.nodes[i]
    cells: list[Cell] = []
    if opts.show_op and node.parents:
        cells.append(op_cell(data, i, "i", chips=False))
    name = _name(data, style, i)
    if name:
        cells.append(cell((name, "b")))
    if opts.uses:
        cells.append(cell((f"shared ×{opts.uses:,}", "i")))
    if style.show_data:
        cells.append(cell(f"data {fmt(node.data)}"))
    if style.show_grad:
        g = grad_of(data, style, i)
        cells.append(cell(grad_text(g, g is not NOT_REACHED and opts.has_grads)))
    return cells or [cell("·")]


def _tensor_rows(data: GraphData, style: Style, i: int, opts: NodeBoxOptions) -> list[list[Cell]]:
    node = data.nodes[i]
    arr = np.asarray(node.data)
    dtype = getattr(node, "dtype", arr.dtype)
    op: Cell = ()
    if node.parents:
        op = op_cell(data, i, "i", chips=False) if opts.show_op else ((str(node.op or "op"), "i"),)
    rows = [[tensor_head(_name(data, style, i), op, arr, dtype)]]
    if opts.uses:
        rows.append([cell((f"shared ×{opts.uses:,}", "i"))])
    if style.show_data:
        rows += summary_rows("data", arr)
    if style.show_grad:
        g = grad_of(data, style, i)
        if g is NOT_REACHED or not opts.has_grads:
            rows.append([cell("grad —")])
        else:
            rows += summary_rows("grad", np.asarray(g))
    return rows
