"""Layout: drawings fit a notebook (~1,000 pt) at full text size; shared leaves once per use."""

from __future__ import annotations

import random
import re

import pytest
from viz_helpers import needs_dot, notebook3_drawings, one_neuron, parse_dot, svg_size

from autograd import Value
from viz import draw_graph
from viz._graphdata import gather
from viz._layout import NOTEBOOK_WIDTH, drawn_graph, levels_and_uses, shared_leaves
from viz._style import Style


def rankdir(source: str) -> str:
    return re.search(r"rankdir=(\w+)", source).group(1)


def assert_full_text_size(source: str) -> None:
    """Nothing shrinks the picture: no size/ratio/viewport, fonts at 11 pt in the boxes.

    Only the small grey boxes of constants, inside the op ovals, set a smaller font.
    """
    assert not re.search(r"(?<![\w-])(size|ratio|viewport|dpi)=", source)
    assert 'node [shape=plaintext, fontname="Helvetica", fontsize=11' in source
    dot = parse_dot(source)
    resized = {k for k, a in dot.nodes.items() if "point-size" in a.get("label", "")}
    assert resized == set(dot.constants())


def rnn(steps: int) -> Value:
    rng = random.Random(0)
    w, h = Value(0.5, label="w"), Value(0.0, label="h0")
    for t in range(steps):
        h = (w * h + Value(rng.uniform(-1, 1), label=f"x{t}")).tanh()
    h.label = "h"
    h.backward()
    return h


def wide_neuron(n: int) -> Value:
    """tanh(b + Σ wᵢ·xᵢ) with n inputs, summed as micrograd's Neuron does."""
    xs = [Value(0.1 * k, label=f"x{k}") for k in range(n)]
    ws = [Value(-0.2 * k, label=f"w{k}") for k in range(n)]
    out = sum((w * x for w, x in zip(ws, xs)), Value(0.1, label="b")).tanh()
    out.label = "out"
    out.backward()
    return out


def half_squared_errors(n: int) -> Value:
    """Σ ½(xₖ − 1)²: three Python numbers per term (and sum's 0), each a constant box."""
    xs = [Value(0.1 * k, label=f"x{k}") for k in range(n)]
    C = sum(0.5 * (x - 1.0) ** 2 for x in xs)
    C.label = "C"
    C.backward()
    return C


def batch_terms(n: int):
    """Σ mean((tanh(X·Wₖ) − Y)²): one data batch X and one target Y used by every term."""
    import numpy as np

    from autograd import Tensor

    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(8, 2)), label="xbatch")
    Y = np.ones((8, 3))
    total = None
    for k in range(n):
        W = Tensor(rng.normal(size=(2, 3)), requires_grad=True, label=f"W{k}")
        term = (((X @ W).tanh() - Y) ** 2).mean()
        total = term if total is None else total + term
    total.label = "loss"
    total.backward()
    return total


def scalar_mlp() -> Value:
    from nn.scalar import MLP

    random.seed(0)
    model = MLP(2, [3, 1])
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


@needs_dot
def test_the_lecture_neuron_fits_a_notebook_at_full_text_size():
    graph = draw_graph(one_neuron())
    width, _ = svg_size(graph.svg())
    assert width <= NOTEBOOK_WIDTH
    assert rankdir(graph.source) == "TB"  # left to right it would be ~2,300 pt
    assert_full_text_size(graph.source)
    wide, _ = svg_size(draw_graph(one_neuron(), rankdir="LR").svg())
    assert wide > NOTEBOOK_WIDTH  # rankdir= still overrides


@needs_dot
@pytest.mark.parametrize("name", list(notebook3_drawings()))
def test_notebook_3_drawings_fit_a_notebook(name):
    root, options = notebook3_drawings()[name]
    graph = draw_graph(root, **options)
    width, _ = svg_size(graph.svg())
    assert width <= NOTEBOOK_WIDTH, f"{name}: {width:.0f} pt wide"
    assert_full_text_size(graph.source)


@needs_dot
@pytest.mark.parametrize(
    "make",
    [lambda: rnn(10), lambda: wide_neuron(12), scalar_mlp, lambda: rnn(14),
     lambda: half_squared_errors(8), lambda: batch_terms(4)],
    ids=["rnn10", "neuron_with_12_inputs", "mlp_2_3_1", "rnn14",
         "half_squared_errors_8_with_25_numbers", "data_batch_in_4_terms"],
)
def test_graphs_up_to_60_boxes_fit_a_notebook(make):
    root = make()
    graph = draw_graph(root)
    assert graph.n_boxes <= 60
    width, _ = svg_size(graph.svg())
    assert width <= NOTEBOOK_WIDTH, f"{width:.0f} pt wide"


def test_short_graphs_stay_left_to_right_and_stacking_follows_the_direction():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b).relu()
    out.label = "out"
    source = draw_graph(out).source
    assert rankdir(source) == "LR"
    dot = parse_dot(source)
    assert dot.label(dot.box("a")).count("<tr>") == 1  # label | data | grad in one row
    tall = parse_dot(draw_graph(out, rankdir="TB").source)
    assert tall.label(tall.box("a")).count("<tr>") == 3  # one above the other


def test_a_weight_shared_by_every_step_is_drawn_once_per_use():
    h = rnn(30)
    dot = parse_dot(draw_graph(h).source)
    copies = dot.boxes_of("w")
    assert len(copies) == 30
    assert all("shared ×30" in dot.label(k) for k in copies)
    assert len(dot.boxes_of("x7")) == 1  # used once: one box
    # Every copy feeds exactly one op, so no edge spans the drawing.
    assert sorted(t for t, _, _ in dot.edges if t in copies) == sorted(copies)


def test_a_leaf_used_by_parallel_ops_stays_one_box():
    # The 3-3-2 network's inputs feed three neurons side by side: one box, three edges.
    from nn.lecture import forward_332

    net = forward_332()
    dot = parse_dot(draw_graph(net.y_hat[0]).source)
    for name in ("x0", "x1", "x2"):
        (box,) = dot.boxes_of(name)
        assert sum(1 for t, _, _ in dot.edges if t == box) == 3


@needs_dot
def test_the_width_estimate_counts_the_constants_in_the_ovals():
    # Each op's oval holds its constants; the estimate must grow with them, and not
    # fall short of what Graphviz draws (else a drawing chosen to fit would not).
    data = gather(batch_terms(1))
    drawn = drawn_graph(data, Style(), {}, stacked=True)
    widths = dict(zip(drawn.ids, drawn.widths))
    svg = draw_graph(data.roots[0], rankdir="TB").svg()
    for k, node in enumerate(data.nodes):
        if not node.parents:
            continue
        drawn_width = float(re.search(
            rf'<title>n{k}o</title>\s*<ellipse[^>]*rx="([\d.]+)"', svg).group(1)) * 2
        assert drawn_width <= widths[f"n{k}o"] + 2, (node.op, drawn_width, widths[f"n{k}o"])
        assert widths[f"n{k}o"] <= 1.5 * drawn_width + 10
    matmul = next(k for k, n in enumerate(data.nodes) if n.parents and str(n.op) == "@")
    assert widths[f"n{matmul}o"] > 100  # "[xbatch (8, 2)] @" is much wider than "@"


def test_levels_and_shared_leaves():
    x, w = Value(1.0, label="x"), Value(2.0, label="w")
    y = x
    for _ in range(4):
        y = y * w  # w used at four levels
    data = gather(y)
    level, uses = levels_and_uses(data)
    i = {n.label: k for k, n in enumerate(data.nodes) if n.label}
    assert level[data.index[id(y)]] == 0
    assert level[i["x"]] == 4
    assert uses[i["w"]] == (4, 0, 3)  # four uses, at levels 0 to 3
    assert shared_leaves(uses) == {i["w"]: 4}


def test_big_drawings_tell_graphviz_to_search_less():
    h = rnn(120)  # 482 nodes
    source = draw_graph(h).source
    assert "nslimit=1" in source and "splines=line" in source
    assert "nslimit" not in draw_graph(rnn(5)).source
