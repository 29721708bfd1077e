"""The HTML-like labels of the boxes, and an estimate of their width for layout choices.

A box is a table of rows of cells; a cell is a sequence of runs ``(text, kind)``
with ``kind`` ``"b"`` (bold), ``"i"`` (italic) or ``""``. Texts are escaped
here, once, with :func:`viz._format.html_text`.
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
    fmt,
    grad_colour,
    html_text,
    is_tensor_node,
    number_text,
    shape_text,
    text_width,
)
from ._graphdata import GraphData, folded_number
from ._style import NOT_REACHED, Style, grad_of

__all__ = [
    "Box",
    "Cell",
    "NodeBoxOptions",
    "cell",
    "constant_box",
    "grad_scale",
    "node_box",
    "op_text",
    "summary_rows",
]

Cell = tuple[tuple[str, str], ...]
FONT_SIZE = 11.0
CONSTANT_FONT_SIZE = 9.0


def cell(*runs: tuple[str, str] | str) -> Cell:
    """A cell from runs; a bare string is plain text."""
    return tuple((r, "") if isinstance(r, str) else r for r in runs)


def _cell_html(c: Cell) -> str:
    parts = []
    for text, kind in c:
        escaped = html_text(text)
        parts.append(f"<{kind}>{escaped}</{kind}>" if kind else escaped)
    return "".join(parts)


def _cell_width(c: Cell, size: float) -> float:
    return sum(text_width(text, size, bold=kind == "b") for text, kind in c)


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
            "<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in row) + "</tr>"
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
            (sum(_cell_width(c, self.font_size) + pad for c in row) for row in self.rows),
            default=0.0,
        )
        return widest + 2 * self.border_width


def summary_rows(prefix: str, a: np.ndarray) -> list[list[Cell]]:
    """An array's numbers (≤ 4 elements) or μ σ / min max, as one or two rows."""
    text = array_summary(a)
    lines = text.split("<br/>")
    return [[cell(f"{prefix} {lines[0]}")], *([[cell(line)] for line in lines[1:]])]


def tensor_head(name: str, op: str, arr: np.ndarray, dtype: Any) -> Cell:
    """``name  op  (3, 4) float32`` with the name bold and the op italic."""
    runs: list[tuple[str, str]] = []
    if name:
        runs += [(name, "b"), ("  ", "")]
    if op:
        runs += [(op, "i"), ("  ", "")]
    runs.append((f"{shape_text(arr.shape)} {np.dtype(dtype).name}", ""))
    return tuple(runs)


def constant_box(text: str) -> Box:
    """A small grey box for an operand that needs no gradient (data, a target, a number)."""
    return Box(
        rows=[[cell(text)]],
        fill="#f3f4f6",
        border="#9ca3af",
        padding=2,
        font_size=CONSTANT_FONT_SIZE,
    )


def op_text(data: GraphData, i: int, fold_numbers: bool) -> str:
    """The op's name; with ``fold_numbers`` (compact drawings) a number operand joins it.

    ``x ** 2`` reads ``** 2`` and ``1 - y`` reads ``1 -`` (see :func:`folded_number`).
    """
    op = str(data.nodes[i].op or "op")
    if not fold_numbers:
        return op
    operands = data.operands(i)
    pos = folded_number(operands)
    if pos < 0:
        return op
    number = number_text(operands[pos].value)
    return f"{number} {op}" if pos == 0 else f"{op} {number}"


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
        cells.append(cell((op_text(data, i, fold_numbers=True), "i")))
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
    op = op_text(data, i, fold_numbers=opts.show_op) if node.parents else ""
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
