"""Step-through backprop, recorded from the engine's own backward pass.

``backprop_steps(loss)`` runs the real :func:`autograd.backward` with a
``trace`` hook: the core calls it for every node it reaches, in its real
reverse-topological order, with the node's upstream gradient ∂L/∂node and
the contribution it adds to each parent. Nothing here re-implements backprop;
the local derivatives shown are the ``local_grads`` numbers the core multiplied.
"""

from __future__ import annotations

import html
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograd import backward

from ._dot import detailed_dot
from ._format import fmt, is_tensor_node, shape_text
from ._graphdata import GraphData, gather
from ._html import stepper_page
from ._layout import Layout, plan_layout
from ._render import DEFAULT_TIMEOUT, GraphvizError, check_timeout
from ._style import NOT_REACHED, Style
from .graph import COMPACT_ABOVE, Graph

__all__ = ["BackpropSteps", "ChainFactor", "ChainPath", "Step", "backprop_steps"]


@dataclass(frozen=True)
class Step:
    """One node processed by the engine's backward pass.

    ``upstream`` is ∂L/∂node (complete when the node is reached);
    ``local[k]`` is ∂node/∂parents[k] (``None`` for tensor nodes, whose rule
    is a vector-Jacobian product); ``contributions[k]`` is what the engine
    added to ``parents[k].grad`` (``upstream · local[k]`` for scalars).
    """

    index: int
    node: Any
    name: str
    op: str
    upstream: Any
    parents: tuple[Any, ...]
    parent_names: tuple[str, ...]
    local: tuple[float, ...] | None
    contributions: tuple[Any, ...]

    def lines(self, root_name: str = "L") -> list[str]:
        """The chain-rule update of each parent, written out with numbers."""
        head = f"step {self.index}: {self.name}" + (f" (op {self.op})" if self.op else " (leaf)")
        out = [f"{head}, upstream ∂{root_name}/∂{self.name} = {_num(self.upstream)}"]
        if not self.parents:
            out.append(f"  leaf: ∂{root_name}/∂{self.name} is final")
        for k, (pname, contrib) in enumerate(zip(self.parent_names, self.contributions)):
            if contrib is None:
                out.append(f"  {pname}: needs no gradient")
            elif self.local is not None and k < len(self.local):
                out.append(
                    f"  ∂{root_name}/∂{pname} += ∂{root_name}/∂{self.name} · ∂{self.name}/∂{pname}"
                    f" = {_num(self.upstream)} · {fmt(self.local[k])} = {_num(contrib)}"
                )
            else:
                out.append(f"  ∂{root_name}/∂{pname} += vjp of {self.op or 'op'} = {_num(contrib)}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class ChainFactor:
    """``∂top/∂bottom`` on one path, the product of the local derivatives between them."""

    top: str
    bottom: str
    value: float


@dataclass(frozen=True)
class ChainPath:
    """One path from the root down to a node: its factors and their product."""

    factors: tuple[ChainFactor, ...]
    product: float


def _num(x: Any) -> str:
    if isinstance(x, np.ndarray):
        if x.size <= 4:
            return "[" + ", ".join(fmt(v) for v in x.ravel()) + "]"
        return f"array{shape_text(x.shape)}"
    return fmt(x)


class BackpropSteps:
    """The recorded steps of one backward pass; index it, render it, or page through it.

    * ``steps[k]`` / iteration: :class:`Step` objects in the engine's order.
    * ``render(k)``: a :class:`~viz.Graph` of the state after step ``k`` —
      the current node and its edges in red, edges labelled with the
      contribution, every box showing the gradient accumulated so far
      (``grad —`` where nothing has arrived yet) and the step's chain-rule
      products written underneath.
    * ``chain_rule(node)``: ∂L/∂node as a sum over paths of products of local
      derivatives, e.g. ``∂C/∂w = ∂C/∂y · ∂y/∂z' · … = numbers``.
    * ``widget()`` (Jupyter, ipywidgets slider and buttons), ``to_html(path)``
      (self-contained page with prev/next buttons), ``svgs()``, ``to_gif(path)``.
    """

    def __init__(
        self,
        data: GraphData,
        steps: list[Step],
        names: dict[int, str],
        seed: Any,
        max_nodes: int = 500,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.max_nodes = max_nodes
        self.timeout = timeout
        self._layouts: dict[tuple, Layout] = {}
        self._data = data
        self._steps = steps
        self._names = names
        self._seed = seed
        self.root = data.roots[0]
        self.root_name = names[data.index[id(self.root)]]
        self._svg_cache: dict[tuple, str] = {}

    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, k: int) -> Step:
        return self._steps[k]

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def name(self, node: Any) -> str:
        """The name a node has in the captions: its label, else ``v<index>``."""
        return self._names[self._data.index[id(node)]]

    def __str__(self) -> str:
        return "\n".join(line for s in self._steps for line in s.lines(self.root_name))

    # -- chain rule ---------------------------------------------------------

    def chain_paths(
        self, wrt: Any, *, by_label: bool = True, max_paths: int = 16
    ) -> list[ChainPath]:
        """Every path from the root down to ``wrt``, as factors of local derivatives.

        With ``by_label`` only labelled nodes (plus the root and ``wrt``) are
        named: the local derivatives between two of them are multiplied into
        one factor, so labelling C, y, z', h, z, w gives exactly the lecture's
        ``∂C/∂w = ∂C/∂y · ∂y/∂z' · ∂z'/∂h · ∂h/∂z · ∂z/∂w``. Scalar graphs only.
        """
        if id(wrt) not in self._data.index:
            raise ValueError("chain_paths: the node is not part of this graph")
        edges: dict[int, list[tuple[int, float]]] = defaultdict(list)  # node -> (parent, local)
        count: dict[int, int] = defaultdict(int)
        root_i = self._data.index[id(self.root)]
        count[root_i] = 1
        for step in self._steps:
            if step.local is None and step.parents:
                raise TypeError("chain_paths needs scalar (Value) nodes; tensor steps are VJPs")
            i = self._data.index[id(step.node)]
            for parent, local in zip(step.parents, step.local or ()):
                j = self._data.index[id(parent)]
                edges[i].append((j, local))
                count[j] += count[i]
        target = self._data.index[id(wrt)]
        if count[target] > max_paths:
            raise ValueError(
                f"{self.name(wrt)} is reached by {count[target]:,} paths from the root, more "
                f"than max_paths={max_paths}; its gradient is their sum ({_num(wrt.grad)})"
            )
        paths: list[ChainPath] = []
        stack: list[tuple[int, tuple[tuple[int, float], ...]]] = [(root_i, ())]
        while stack:
            i, path = stack.pop()
            if i == target:
                paths.append(self._path_factors(root_i, path, target, by_label))
                continue
            for j, local in reversed(edges.get(i, [])):
                if count[j] and self._reaches(j, target, edges):
                    stack.append((j, (*path, (j, local))))
        return paths

    def _reaches(self, i: int, target: int, edges: dict) -> bool:
        cache = self.__dict__.setdefault("_reach_cache", {})
        key = (i, target)
        if key not in cache:
            seen, todo, found = {i}, [i], False
            while todo and not found:
                k = todo.pop()
                if k == target:
                    found = True
                for j, _ in edges.get(k, []):
                    if j not in seen:
                        seen.add(j)
                        todo.append(j)
            cache[key] = found
        return cache[key]

    def _path_factors(
        self, root_i: int, path: tuple[tuple[int, float], ...], target: int, by_label: bool
    ) -> ChainPath:
        factors = []
        top, value, product = root_i, 1.0, float(self._seed)
        for j, local in path:
            value *= local
            product *= local
            named = (not by_label) or j == target or bool(self._data.label(j))
            if named:
                factors.append(ChainFactor(self._names[top], self._names[j], value))
                top, value = j, 1.0
        return ChainPath(tuple(factors), product)

    def chain_rule(self, wrt: Any, *, by_label: bool = True, max_paths: int = 16) -> str:
        """∂L/∂wrt written as products of local derivatives with numbers, one line per path."""
        root, target = self.root_name, self.name(wrt)
        try:
            paths = self.chain_paths(wrt, by_label=by_label, max_paths=max_paths)
        except ValueError as exc:
            return f"∂{root}/∂{target}: {exc}"
        seed = "" if _is_one(self._seed) else f"{_num(self._seed)} · "
        lines = []
        for p in paths:
            symbols = " · ".join(f"∂{f.top}/∂{f.bottom}" for f in p.factors)
            numbers = " · ".join(fmt(f.value) for f in p.factors)
            lines.append(f"{symbols} = {seed}{numbers} = {fmt(p.product)}")
        if not lines:
            return f"∂{root}/∂{target} = 0 (no path from {root} to {target})"
        if len(lines) == 1:
            return f"∂{root}/∂{target} = {lines[0]}"
        total = sum(p.product for p in paths)
        body = "\n".join(f"  path {k + 1}: {line}" for k, line in enumerate(lines))
        return f"∂{root}/∂{target} = sum over {len(paths)} paths = {fmt(total)}\n{body}"

    # -- rendering ----------------------------------------------------------

    def grads_after(self, k: int) -> list[Any]:
        """Each node's gradient after steps 0..k (``NOT_REACHED`` where none has arrived)."""
        data = self._data
        grads: list[Any] = [NOT_REACHED] * len(data.nodes)
        grads[data.index[id(self.root)]] = self._seed
        for step in self._steps[: k + 1]:
            for parent, contrib in zip(step.parents, step.contributions):
                if contrib is None:
                    continue
                j = data.index[id(parent)]
                grads[j] = contrib if grads[j] is NOT_REACHED else grads[j] + contrib
        return grads

    def caption(self, k: int) -> str:
        """The text under step ``k``'s picture: the updates and, where unique, the full chain."""
        step = self._steps[k]
        first, *rest = step.lines(self.root_name)
        lines = [f"{k + 1}/{len(self)}  {first}", *rest]
        if step.local is not None:
            for parent, contrib in zip(step.parents, step.contributions):
                if contrib is not None and self._data.label(self._data.index[id(parent)]):
                    chain = self._unique_chain(parent)
                    if chain is not None:
                        lines.append("  " + chain)
        return "\n".join(lines)

    def _unique_chain(self, node: Any, limit: int = 8) -> str | None:
        """``∂L/∂node = ∂L/∂a · … = numbers = value`` (labelled nodes) when one path leads there."""
        try:
            paths = self.chain_paths(node, by_label=True, max_paths=1)
        except (ValueError, TypeError):
            return None
        # Two factors would only repeat the "+=" line above it.
        if len(paths) != 1 or not 3 <= len(paths[0].factors) <= limit:
            return None
        path = paths[0]
        symbols = " · ".join(f"∂{f.top}/∂{f.bottom}" for f in path.factors)
        numbers = " · ".join(fmt(f.value) for f in path.factors)
        seed = "" if _is_one(self._seed) else f"{_num(self._seed)} · "
        lhs = f"∂{self.root_name}/∂{self.name(node)}"
        return f"{lhs} = {symbols} = {seed}{numbers} = {fmt(path.product)}"

    def _layout(self, style: Style) -> Layout:
        """One layout for every step (so the picture does not jump), from the final state."""
        key = (style.rankdir, style.show_data, style.compact)
        if key not in self._layouts:
            final = Style(**{**vars(style), "grads": self.grads_after(len(self) - 1)})
            self._layouts[key] = plan_layout(self._data, final)
        return self._layouts[key]

    def dot(
        self,
        k: int,
        *,
        rankdir: str | None = None,
        show_data: bool = True,
        caption: bool = True,
        graph_id: str | None = None,
    ) -> str:
        """DOT text of the picture after step ``k`` (``caption``: the formulas underneath)."""
        if not 0 <= k < len(self):
            raise IndexError(
                f"step {k} out of range: there are {len(self)} steps (0..{len(self) - 1})"
            )
        data = self._data
        if len(data.nodes) > self.max_nodes:
            raise ValueError(
                f"rendering a step draws every node, and this graph has {len(data.nodes):,} "
                f"(max_nodes={self.max_nodes:,}); read the numbers with steps[k] or "
                "print(steps), or pass a larger max_nodes to backprop_steps"
            )
        step = self._steps[k]
        i = data.index[id(step.node)]
        edges = {
            (i, slot): f"+= {_num(contrib)}"
            for slot, contrib in enumerate(step.contributions)
            if contrib is not None
        }
        style = Style(
            show_data=show_data,
            rankdir=rankdir,
            compact=len(data.nodes) > COMPACT_ABOVE,
            grads=self.grads_after(k),
            names={j: name for j, name in self._names.items() if not data.label(j)},
            highlight=i,
            highlight_edges=edges,
            caption=self.caption(k) if caption else None,
            graph_id=graph_id,
        )
        return detailed_dot(data, style, self._layout(style))

    def render(self, k: int, **kwargs: Any) -> Graph:
        """The picture after step ``k`` as a :class:`~viz.Graph`."""
        n = len(self._data.nodes)
        return Graph(
            self.dot(k, **kwargs),
            n_nodes=n,
            n_boxes=n,
            note=f"backprop step {k}",
            timeout=self.timeout,
        )

    def svg(self, k: int, **kwargs: Any) -> str:
        """The SVG of step ``k`` (needs the Graphviz ``dot`` program; cached)."""
        key = (k, tuple(sorted(kwargs.items())))
        if key not in self._svg_cache:
            self._svg_cache[key] = self.render(k, **kwargs).svg()
        return self._svg_cache[key]

    def svgs(self, **kwargs: Any) -> list[str]:
        """One SVG string per step (needs the Graphviz ``dot`` program)."""
        return [self.svg(k, **kwargs) for k in range(len(self))]

    def to_gif(self, path: str | Path, *, duration_ms: int = 1500, **kwargs: Any) -> Path:
        """Write an animated GIF, one frame per step (needs ``dot`` and Pillow)."""
        from PIL import Image

        frames = [
            Image.open(io.BytesIO(self.render(k, **kwargs).pipe("png"))).convert("RGB")
            for k in range(len(self))
        ]
        width = max(f.width for f in frames)
        height = max(f.height for f in frames)
        padded = []
        for f in frames:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(f, (0, 0))
            padded.append(canvas)
        path = Path(path)
        padded[0].save(path, save_all=True, append_images=padded[1:], duration=duration_ms, loop=0)
        return path

    def _step_svgs(self, uid: str, strict: bool = False, **kwargs: Any) -> tuple[list[str], str]:
        """Each step's SVG for a page (ids prefixed per step), or empty ones and the reason."""
        try:
            svgs = [
                _strip_xml_header(self.render(k, caption=False, graph_id=f"{uid}s{k}",
                                              **kwargs).svg())
                for k in range(len(self))
            ]
            return svgs, ""
        except GraphvizError as exc:
            if strict:
                raise
            return [""] * len(self), str(exc)

    def to_html(
        self,
        path: str | Path | None = None,
        *,
        title: str = "Backprop, step by step",
        strict: bool = False,
        **kwargs: Any,
    ) -> str:
        """A self-contained HTML page: one SVG per step, prev/next buttons, a slider, ← → keys.

        Nothing is loaded from the network. Without JavaScript every step is
        shown one below the other. Without a working ``dot`` the page holds
        the captions only, with the reason (``strict=True``: the
        :class:`~viz.GraphvizError` is raised instead). Written to ``path``
        (UTF-8) when given; the HTML text is returned either way.
        """
        uid = f"bp{id(self):x}"
        svgs, note = self._step_svgs(uid, strict, **kwargs)
        captions = [self.caption(k) for k in range(len(self))]
        page = stepper_page(uid, title, svgs, captions, note, standalone=True)
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def widget(self, **kwargs: Any) -> Any:
        """An ipywidgets slider with prev/next buttons showing one step at a time.

        Falls back to the self-contained HTML (``IPython.display.HTML``) when
        ipywidgets is not installed.
        """
        try:
            import ipywidgets as widgets
        except ImportError:
            from IPython.display import HTML

            return HTML(self._repr_html_())
        slider = widgets.IntSlider(min=0, max=len(self) - 1, value=0, description="step")
        prev_b = widgets.Button(description="◀ prev")
        next_b = widgets.Button(description="next ▶")
        view = widgets.HTML()

        def show(change: Any = None) -> None:
            k = slider.value
            try:
                svg = _strip_xml_header(self.svg(k, caption=False, **kwargs))
            except GraphvizError as exc:
                svg = f"<p>{html.escape(str(exc))}</p>"
            view.value = (
                f'<div style="max-width:100%;overflow-x:auto">{svg}</div>'
                f"<pre>{html.escape(self.caption(k))}</pre>"
            )

        prev_b.on_click(lambda _: setattr(slider, "value", max(0, slider.value - 1)))
        next_b.on_click(lambda _: setattr(slider, "value", min(len(self) - 1, slider.value + 1)))
        slider.observe(show, names="value")
        show()
        return widgets.VBox([widgets.HBox([prev_b, slider, next_b]), view])

    def _repr_html_(self) -> str:
        uid = f"bp{id(self):x}"
        try:
            svgs, note = self._step_svgs(uid)
        except ValueError as exc:  # too big to draw: show the numbers instead
            text = "\n".join(str(self).splitlines()[:200])
            return f"<p>{html.escape(str(exc))}</p><pre>{html.escape(text)}</pre>"
        captions = [self.caption(k) for k in range(len(self))]
        return stepper_page(uid, "Backprop, step by step", svgs, captions, note, standalone=False)

    def __repr__(self) -> str:
        return f"<BackpropSteps: {len(self)} steps from {self.root_name}>"


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _is_one(seed: Any) -> bool:
    """Whether the backward seed is 1 (all ones for a tensor): then it is not written out."""
    return bool(np.all(np.asarray(seed) == 1.0))


def _seed_for(root: Any, grad: Any) -> Any:
    """The seed ∂L/∂root as the engine wants it: a float, or an array shaped like the root."""
    if not is_tensor_node(root):
        return grad
    shape = np.shape(root.data)
    seed = np.asarray(grad, dtype=np.asarray(root.data).dtype)
    if seed.shape != shape:
        if seed.ndim != 0:
            raise ValueError(
                f"grad has shape {seed.shape}, but the root has shape {shape}: pass an "
                "array of the root's shape (or a number, used for every element)"
            )
        seed = np.full(shape, seed, dtype=seed.dtype)
    return seed


def _record(root: Any, seed: Any, data: GraphData) -> list[tuple[Any, Any, tuple, Any]]:
    """Run backward from ``root`` with a trace hook; one record per node the engine visits."""
    records: list[tuple[Any, Any, tuple[Any, ...], tuple[float, ...] | None]] = []

    def trace(node: Any, upstream: Any, contributions: tuple[Any, ...]) -> None:
        local = node.local_grads
        if isinstance(upstream, np.ndarray):
            upstream = upstream.copy()
        records.append(
            (node, upstream, tuple(contributions), None if local is None else tuple(local))
        )

    backward((root,), (seed,), trace=trace)
    return records


def backprop_steps(
    root: Any,
    grad: Any = 1.0,
    *,
    restore: bool = False,
    params: Any = None,
    max_nodes: int = 500,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> BackpropSteps:
    """Run the real backward pass from ``root`` and record every step the engine takes.

    This *is* ``root.backward(grad)``: gradients accumulate into ``.grad`` as
    usual (zero them first if you have run backward before), unless
    ``restore=True`` puts every ``.grad`` back as it was afterwards. The steps
    come from the core's ``trace`` hook, in the core's real order. For a
    Tensor root ``grad`` is an array of the root's shape, or a number used for
    every element (default 1).
    Recording works for any size; rendering a step (which draws every node)
    is refused above ``max_nodes`` nodes, and Graphviz gets ``timeout``
    seconds per picture.
    """
    check_timeout(timeout)
    data = gather(root, params)
    if len(data.roots) != 1:
        raise ValueError("backprop_steps takes one root (the loss)")
    root = data.roots[0]
    seed = _seed_for(root, grad)
    names = {i: data.label(i) or ("L" if n is root else f"v{i}") for i, n in enumerate(data.nodes)}
    saved = [n.grad for n in data.nodes] if restore else None
    try:
        records = _record(root, seed, data)
    finally:
        if saved is not None:
            for n, g in zip(data.nodes, saved):
                n.grad = g
    steps = []
    for k, (node, upstream, contributions, local) in enumerate(records):
        parents = tuple(node.parents)
        steps.append(
            Step(
                index=k,
                node=node,
                name=names[data.index[id(node)]],
                op=node.op if parents else "",
                upstream=upstream,
                parents=parents,
                parent_names=tuple(names[data.index[id(p)]] for p in parents),
                local=local,
                contributions=contributions,
            )
        )
    return BackpropSteps(data, steps, names, seed, max_nodes, timeout)
