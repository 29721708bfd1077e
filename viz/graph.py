"""``draw_graph``: the computation graph as Graphviz DOT, SVG, PNG or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._collapse import collapsed_dot, group_nodes, max_scope_depth
from ._dot import detailed_dot
from ._graphdata import GraphData, gather
from ._render import (
    DEFAULT_TIMEOUT,
    GraphvizError,
    GraphvizNotFoundError,
    GraphvizTimeoutError,
    check_timeout,
    render_dot,
)
from ._style import Style

__all__ = [
    "Graph",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "draw_graph",
    "render_dot",
]

_FORMATS = {"svg", "png", "pdf", "dot", "gv"}
_RANKDIRS = {"LR", "RL", "TB", "BT"}
COMPACT_ABOVE = 200  # nodes; above this "auto" folds op ovals into boxes


class Graph:
    """A drawn graph: DOT text plus rendering and Jupyter display.

    ``source`` is the DOT text (no Graphviz needed). ``svg()``, ``pipe(fmt)``
    and ``save(path)`` call the ``dot`` program, stopped after ``timeout``
    seconds. In Jupyter the object shows as SVG; when ``dot`` is missing,
    broken or too slow it shows a text summary and the reason instead of
    failing, so a notebook still runs.
    """

    def __init__(
        self,
        source: str,
        *,
        n_nodes: int,
        n_boxes: int,
        note: str = "",
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        check_timeout(timeout)
        self.source = source
        self.n_nodes = n_nodes  # autograd nodes in the graph
        self.n_boxes = n_boxes  # boxes drawn (value boxes or module groups; ovals not counted)
        self.note = note
        self.timeout = timeout
        self._svg: str | None = None

    def pipe(self, format: str = "svg") -> bytes:
        """Render with Graphviz: ``format`` is ``"svg"``, ``"png"``, ``"pdf"`` (any dot format)."""
        if format in ("dot", "gv"):
            return self.source.encode()
        return render_dot(self.source, format, timeout=self.timeout)

    def svg(self) -> str:
        """The rendered SVG text (cached)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode()
        return self._svg

    def save(self, path: str | Path, format: str | None = None) -> Path:
        """Write the graph to ``path``; the format comes from the suffix unless given.

        ``.svg``, ``.png``, ``.pdf`` render with ``dot``; ``.dot``/``.gv`` write
        the DOT text and need no Graphviz. Nothing is written when rendering fails.
        """
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".")).lower()
        if fmt not in _FORMATS:
            raise ValueError(
                f"cannot save graph as {fmt!r}: use a path ending in "
                ".svg, .png, .pdf, .dot or .gv (or pass format=...)"
            )
        data = self.pipe(fmt)
        path.write_bytes(data)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        text = repr(self)
        try:
            return {"image/svg+xml": self.svg(), "text/plain": text}
        except GraphvizError as exc:
            return {"text/plain": f"{text}\n{exc}"}

    def __repr__(self) -> str:
        extra = f", {self.note}" if self.note else ""
        return f"<Graph: {self.n_nodes:,} nodes drawn as {self.n_boxes:,} boxes{extra}>"


def _check_positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        expected = "a positive int or None" if allow_none else "a positive int"
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def _check_options(
    rankdir: str | None,
    max_nodes: int,
    collapse: str | None,
    collapse_depth: int | None,
    compact: bool | str,
    timeout: float | None,
) -> None:
    if rankdir is not None and rankdir not in _RANKDIRS:
        raise ValueError(
            f"rankdir must be None (chosen to fit) or one of {sorted(_RANKDIRS)}, got {rankdir!r}"
        )
    _check_positive_int("max_nodes", max_nodes)
    if collapse not in (None, "module"):
        raise ValueError(f'collapse must be None or "module", got {collapse!r}')
    _check_positive_int("collapse_depth", collapse_depth, allow_none=True)
    if compact not in (True, False, "auto"):
        raise ValueError(f'compact must be True, False or "auto", got {compact!r}')
    check_timeout(timeout)


def _collapsed(
    data: GraphData, style: Style, depth: int | None, max_nodes: int, timeout: float | None
) -> Graph:
    """One box per module, at ``depth`` or at the deepest level that fits in ``max_nodes``."""
    if depth is None:
        for d in range(max(1, max_scope_depth(data)), 0, -1):
            grouping = group_nodes(data, d)
            depth, boxes = d, len(grouping.keys)
            if boxes <= max_nodes:
                break
    else:
        grouping = group_nodes(data, depth)
        boxes = len(grouping.keys)
    if boxes > max_nodes:
        raise ValueError(
            f'collapse="module" at collapse_depth={depth} still gives {boxes:,} boxes, more '
            f"than max_nodes={max_nodes:,}; use a smaller collapse_depth (nodes created "
            "outside any name_scope form one '(top level)' box) or raise max_nodes."
        )
    return Graph(
        collapsed_dot(data, style, grouping),
        n_nodes=len(data.nodes),
        n_boxes=boxes,
        note=f"collapsed by module at depth {depth}",
        timeout=timeout,
    )


def draw_graph(
    root: Any,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    show_local_grad: bool = True,
    rankdir: str | None = None,
    max_nodes: int = 500,
    collapse: str | None = None,
    collapse_depth: int | None = None,
    params: Any = None,
    color_by_grad: bool = False,
    compact: bool | str = "auto",
    title: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Graph:
    """Draw the computation graph that produced ``root`` (a ``Value``/``Tensor``, e.g. the loss).

    Each value is a box — label, data and grad for a ``Value``; label, op,
    shape, dtype and summary statistics (μ, σ, min, max; the numbers
    themselves when ≤ 4) of data and grad for a ``Tensor`` — and each
    operation an oval between its operands and its result. Operands that need
    no gradient (a data batch, targets, a number such as 0.5) are small grey
    boxes with their label, shape or value inside their op's oval, on the side
    they are written (``[0.5] *``, ``- [1]``). An edge operand → op carries the
    local derivative ``∂out/∂in`` at the current values (``show_local_grad``;
    shapes for tensors). Boxes are coloured by role: inputs blue, parameters
    green, the output (loss) amber; ``color_by_grad=True`` fills them by the
    sign and size of the gradient instead (red > 0, blue < 0).

    Parameters are the leaves in ``params`` (a list, a module with
    ``parameters()``, or a ``{name: param}`` mapping whose names label
    unlabeled leaves). Without it, Tensor leaves that require grad are
    parameters and ``Value`` leaves are inputs. A leaf used many times far
    apart (an RNN's shared weight) is drawn once per use, marked "shared ×N".

    Before ``backward()`` every gradient is 0, which would be misleading:
    grads then read ``grad —`` and the picture says they were not computed.

    Layout: ``rankdir=None`` draws left to right when that fits a notebook
    (about 1,000 pt) and otherwise top to bottom with each box's lines
    stacked; ``"LR"``, ``"TB"``, ``"RL"``, ``"BT"`` force a direction.

    Large graphs: more than ``max_nodes`` nodes raises ``ValueError`` unless
    ``collapse="module"``, which draws one box per ``nn`` name scope cut at
    ``collapse_depth`` (1 = whole model, 2 = layers, 3 = neurons; ``None``
    picks the deepest level that fits in ``max_nodes`` boxes), inside frames
    per parent module, with the edges between two modules bundled into one.
    ``compact`` folds op ovals into the result boxes and drops edge labels;
    ``"auto"`` does so above 200 nodes.

    Rendering runs Graphviz ``dot`` for at most ``timeout`` seconds (``None``:
    no limit); past it :class:`GraphvizTimeoutError` suggests
    ``collapse="module"`` or a smaller graph.

    Returns a :class:`Graph` (``.source``, ``.svg()``, ``.save(path)``; shows
    inline in Jupyter).
    """
    _check_options(rankdir, max_nodes, collapse, collapse_depth, compact, timeout)
    data = gather(root, params)
    n = len(data.nodes)
    style = Style(
        show_data=show_data,
        show_grad=show_grad,
        show_local_grad=show_local_grad,
        rankdir=rankdir,
        compact=(n > COMPACT_ABOVE) if compact == "auto" else bool(compact),
        color_by_grad=color_by_grad,
        title=title,
    )
    if collapse is not None:
        return _collapsed(data, style, collapse_depth, max_nodes, timeout)
    if n > max_nodes:
        raise ValueError(
            f"the graph has {n:,} nodes, more than max_nodes={max_nodes:,}; drawing it "
            'would take Graphviz minutes. Pass collapse="module" to draw one box per nn '
            "module (name scope; pick the level with collapse_depth=1, 2, ...), or raise "
            "max_nodes if you really want every node."
        )
    return Graph(detailed_dot(data, style), n_nodes=n, n_boxes=n, timeout=timeout)
