"""Collapsing big graphs by nn module (name scope)."""

from __future__ import annotations

import re

import pytest
from viz_helpers import mlp_step, needs_dot

from autograd import Value, name_scope, topological_order
from viz import draw_graph


def group_boxes(source: str) -> dict[str, str]:
    return dict(re.findall(r"^  (g\d+) \[label=<(.*)>\];$", source, flags=re.M))


def box_named(boxes: dict[str, str], title: str) -> tuple[str, str]:
    hits = [(k, v) for k, v in boxes.items() if f"<b>{title}</b>" in v]
    assert len(hits) == 1, (title, len(hits))
    return hits[0]


def test_small_mlp_collapses_to_one_box_per_neuron():
    model, loss = mlp_step(10, [4, 4, 1])
    graph = draw_graph(loss, collapse="module", params=model)
    boxes = group_boxes(graph.source)
    # 9 neurons + top level + shared inputs + the loss itself
    assert graph.n_boxes == len(boxes) == 12
    assert "collapsed by module at depth 3" in repr(graph)
    _, neuron = box_named(boxes, "MLP/layer0/neuron0")
    assert "3 params" in neuron  # its 2 weights and bias joined their module's box
    _, neuron = box_named(boxes, "MLP/layer1/neuron2")
    assert "5 params" in neuron
    assert "‖grad params‖" in neuron  # backward ran
    # Every node is in exactly one box.
    counts = [int(m.replace(",", "")) for m in re.findall(r">([\d,]+) nodes", graph.source)]
    assert sum(counts) + 1 == graph.n_nodes == len(topological_order(loss))


def test_edges_between_groups_count_the_connections():
    model, loss = mlp_step(10, [4, 4, 1])
    source = draw_graph(loss, collapse="module", params=model).source
    boxes = group_boxes(source)
    a, _ = box_named(boxes, "MLP/layer0/neuron0")
    b, _ = box_named(boxes, "MLP/layer1/neuron3")
    # neuron0's output feeds layer1/neuron3 once per data point.
    assert re.search(rf'^  {a} -> {b} \[label="×10"', source, flags=re.M)


@pytest.mark.parametrize(("depth", "titles"), [(1, ["MLP"]), (2, ["MLP/layer0", "MLP/layer2"])])
def test_collapse_depth(depth, titles):
    model, loss = mlp_step(6, [3, 3, 1])
    graph = draw_graph(loss, collapse="module", collapse_depth=depth, params=model)
    boxes = group_boxes(graph.source)
    for title in titles:
        box_named(boxes, title)
    # + top level and loss; the inputs feed only MLP (layer0), so they join its box
    assert graph.n_boxes == {1: 3, 2: 5}[depth]
    assert "12 inputs" in graph.source


def test_too_many_boxes_even_collapsed_is_refused():
    _, loss = mlp_step(4, [8, 8, 1])
    with pytest.raises(ValueError, match="collapse_depth=3 still gives"):
        draw_graph(loss, collapse="module", collapse_depth=3, max_nodes=5)
    # Without a depth it picks the deepest level that fits.
    graph = draw_graph(loss, collapse="module", max_nodes=8)
    assert graph.n_boxes <= 8 and "depth 2" in repr(graph)


def test_unscoped_graph_collapses_to_top_level():
    x = Value(1.0, label="x")
    y = x
    for _ in range(50):
        y = y * 1.01 + 0.5
    with name_scope("head"):
        out = y.tanh()
    out = out * 2.0
    graph = draw_graph(out, collapse="module")
    boxes = group_boxes(graph.source)
    box_named(boxes, "(top level)")
    box_named(boxes, "head")
    assert graph.n_boxes == 4  # top level, head, shared input x, output


@needs_dot
def test_micrograd_demo_step_collapses_to_at_most_200_boxes():
    model, loss = mlp_step(100, [16, 16, 1])
    with pytest.raises(ValueError, match='collapse="module"'):
        draw_graph(loss)
    graph = draw_graph(loss, collapse="module", params=model)
    assert graph.n_nodes > 65_000
    assert graph.n_boxes <= 200
    svg = graph.svg()
    assert svg.count('class="node"') == graph.n_boxes
    assert "MLP/layer1/neuron15" in svg
