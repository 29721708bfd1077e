"""Collapsing big graphs by nn module (name scope): frames, natural order, bundled edges."""

from __future__ import annotations

import re

import pytest
from viz_helpers import mlp_step, needs_dot, parse_dot

from autograd import Value, name_scope, topological_order
from viz import draw_graph


def boxes_by_title(source: str) -> dict[str, str]:
    """Each group box's full name (frame/title) -> its id, from the DOT text."""
    out, frame = {}, None
    for line in source.splitlines():
        if m := re.match(r'^    graph \[label="([^"]*)"', line):
            frame = m.group(1)
        elif line == "  }":
            frame = None
        elif m := re.match(r"^\s+(g\d+) \[label=<.*?<b>(.*?)</b>", line):
            name = f"{frame}/{m.group(2)}" if frame else m.group(2)
            assert name not in out, name
            out[name] = m.group(1)
    return out


def edge_counts(source: str) -> dict[tuple[str, str], int]:
    counts = {}
    for tail, head, attrs in parse_dot(source).edges:
        text = attrs.get("label", attrs.get("tooltip"))
        counts[(tail, head)] = int(text.strip('"×').replace(",", ""))
    return counts


def test_small_mlp_collapses_to_one_box_per_neuron():
    model, loss = mlp_step(10, [4, 4, 1])
    graph = draw_graph(loss, collapse="module", params=model)
    boxes = boxes_by_title(graph.source)
    # 9 neurons + top level + shared inputs + the loss itself
    assert graph.n_boxes == len(parse_dot(graph.source).nodes) == 12
    assert "collapsed by module at depth 3" in repr(graph)
    dot = parse_dot(graph.source)
    neuron = dot.label(boxes["MLP/layer0/neuron0"])
    assert "3 params" in neuron  # its 2 weights and bias joined their module's box
    neuron = dot.label(boxes["MLP/layer1/neuron2"])
    assert "5 params" in neuron
    assert "‖grad‖" in neuron  # backward ran
    # Every node is in exactly one box.
    counts = [int(m.replace(",", "")) for m in re.findall(
        r">([\d,]+) (?:nodes?|inputs)(?: · [^<]*)?<", graph.source)]
    assert sum(counts) + 1 == graph.n_nodes == len(topological_order(loss))


def test_layers_are_frames_and_dense_connections_one_edge():
    model, loss = mlp_step(10, [4, 4, 1])
    source = draw_graph(loss, collapse="module", params=model).source
    frames = re.findall(r'^    graph \[label="([^"]*)"', source, flags=re.M)
    assert frames == ["MLP/layer0", "MLP/layer1"]  # layer2 has one neuron: no frame
    boxes = boxes_by_title(source)
    edges = edge_counts(source)
    # layer0 → layer1: 4 × 4 neuron pairs, 10 points each, as one edge between the frames.
    (bundle,) = [(t, h) for t, h, a in parse_dot(source).edges
                 if a.get("ltail") == "cluster_0" and a.get("lhead") == "cluster_1"]
    assert edges[bundle] == 4 * 4 * 10
    assert bundle[0] in [boxes[f"MLP/layer0/neuron{k}"] for k in range(4)]
    # layer1 → the single output neuron: 4 links per point, one edge from the frame.
    out_neuron = boxes["MLP/layer2/neuron0"]
    into = [(t, c) for (t, h), c in edges.items() if h == out_neuron]
    assert len(into) == 1 and into[0][1] == 4 * 10


def test_sparse_connections_stay_one_edge_per_pair():
    x = Value(1.0, label="x")
    with name_scope("net"):
        with name_scope("a"):
            a = x * 2.0
        with name_scope("b"):
            b = x * 3.0
        with name_scope("c"):
            c = a + 1.0
    out = c + b
    source = draw_graph(out, collapse="module").source
    boxes = boxes_by_title(source)
    edges = edge_counts(source)
    assert edges[(boxes["net/a"], boxes["net/c"])] == 1
    assert "ltail" not in source and "lhead" not in source


def test_micrograd_demo_step_has_at_most_80_edges_and_one_box_per_layer_at_depth_2():
    model, loss = mlp_step(100, [16, 16, 1])
    graph = draw_graph(loss, collapse="module", params=model)
    dot = parse_dot(graph.source)
    assert graph.n_boxes == 36
    assert len(dot.edges) <= 80
    edges = edge_counts(graph.source)
    boxes = boxes_by_title(graph.source)
    # The bundled edges still count every graph edge between boxes.
    assert max(edges.values()) == 16 * 16 * 100  # layer0 → layer1
    assert edges[(boxes["inputs (shared)"], boxes["MLP/layer0/neuron8"])] == 2 * 16 * 100
    layers = draw_graph(loss, collapse="module", collapse_depth=2, params=model)
    titles = boxes_by_title(layers.source)
    assert sorted(t for t in titles if "layer" in t) == ["MLP/layer0", "MLP/layer1",
                                                         "MLP/layer2"]
    assert layers.n_boxes == 5  # 3 layers (the inputs join layer0's box), top level, output


@pytest.mark.parametrize(
    ("depth", "titles"), [(1, ["MLP"]), (2, ["MLP/layer0", "MLP/layer1", "MLP/layer2"])]
)
def test_collapse_depth(depth, titles):
    model, loss = mlp_step(6, [3, 3, 1])
    graph = draw_graph(loss, collapse="module", collapse_depth=depth, params=model)
    boxes = boxes_by_title(graph.source)
    for title in titles:
        assert title in boxes
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
    boxes = boxes_by_title(graph.source)
    assert {"(top level)", "head", "inputs (shared)", "output"} == set(boxes)
    assert graph.n_boxes == 4


def svg_centres(svg: str) -> dict[str, tuple[float, float]]:
    """Each node's title -> the centre of its outline (first polygon), from Graphviz's SVG."""
    out = {}
    for m in re.finditer(r'<g id="node\d+" class="node">\s*<title>(\w+)</title>(.*?)</g>',
                         svg, flags=re.S):
        points = re.search(r'<polygon [^>]*points="([^"]+)"', m.group(2)).group(1)
        xy = [tuple(map(float, p.split(","))) for p in points.split()]
        out[m.group(1)] = (sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy))
    return out


@needs_dot
def test_micrograd_demo_step_draws_neurons_in_natural_order():
    model, loss = mlp_step(100, [16, 16, 1])
    with pytest.raises(ValueError, match='collapse="module"'):
        draw_graph(loss)
    graph = draw_graph(loss, collapse="module", params=model)
    assert graph.n_nodes > 65_000
    svg = graph.svg()
    assert svg.count('class="node"') == graph.n_boxes
    boxes = boxes_by_title(graph.source)
    centres = svg_centres(svg)
    for layer in ("MLP/layer0", "MLP/layer1"):
        ys = [centres[boxes[f"{layer}/neuron{k}"]][1] for k in range(16)]
        assert ys == sorted(ys), f"{layer}: neurons not top to bottom in order"
        xs = [centres[boxes[f"{layer}/neuron{k}"]][0] for k in range(16)]
        assert max(xs) - min(xs) < 5  # one column
    layer0_x = centres[boxes["MLP/layer0/neuron0"]][0]
    assert centres[boxes["MLP/layer1/neuron0"]][0] > layer0_x  # left to right
