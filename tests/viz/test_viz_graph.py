"""draw_graph's DOT text: nodes, labels, values, edges, roles, escaping (no Graphviz needed)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from viz_helpers import FakeNode, parse_dot, readme_graph

from autograd import Value, topological_order
from viz import draw_graph
from viz._format import ROLE_BORDERS, ROLE_COLOURS, fmt, html_text, quoted


def statements(source: str) -> tuple[dict[str, str], list[tuple[str, str, dict[str, str]]]]:
    """Node labels and edges of DOT text (strictly parsed)."""
    dot = parse_dot(source)
    return {k: a.get("label", "") for k, a in dot.nodes.items()}, dot.edges


def node_id(source: str, label: str) -> str:
    return parse_dot(source).box(label)


def test_readme_graph_has_a_box_per_value_and_an_oval_per_op(readme):
    g = readme["g"]
    g.backward()
    dot = parse_dot(draw_graph(g).source)
    ovals = [k for k in dot.nodes if k.endswith("o")]
    boxes = [k for k in dot.nodes if not k.endswith("o")]
    # micrograd's README graph: 2 leaves + 25 results of operations, one oval per op, and
    # its 8 Python numbers (1, 1, 2, 3, 3, 2, 2.0, 10.0) as small grey boxes in their ops.
    assert len(ovals) == 25
    assert len({k.split("_")[0] for k in boxes}) == 27
    assert sorted(c for cs in dot.constants().values() for c in cs) == sorted(
        ["1", "1", "2", "3", "3", "2", "2", "10"]
    )
    # a and b are used 5 times each at distant places: one box per use, marked shared.
    for name in ("a", "b"):
        copies = dot.boxes_of(name)
        assert len(copies) == 5
        assert all("shared ×5" in dot.label(k) for k in copies)
    # Each op oval feeds exactly its result box; every node operand feeds an oval, and
    # every other operand (the numbers) is drawn inside it: 39 edges + 8 numbers = inputs.
    assert sorted(t for t, h, _ in dot.edges if t.endswith("o")) == sorted(ovals)
    assert all(h == t[:-1] for t, h, _ in dot.edges if t.endswith("o"))
    assert all(h.endswith("o") for t, h, _ in dot.edges if not t.endswith("o"))
    nodes = topological_order(g)
    assert sum(1 for t, _, _ in dot.edges if not t.endswith("o")) == sum(
        len(n.parents) for n in nodes
    ) == 39
    assert sum(len(n.inputs) for n in nodes) == 39 + 8


def test_values_and_grads_appear_after_backward(readme):
    g = readme["g"]
    g.backward()
    source = draw_graph(g).source
    dot = parse_dot(source)
    for copy in dot.boxes_of("a"):  # every copy of a shared leaf shows its value and grad
        assert "data -4.0000" in dot.label(copy)
        assert "grad 138.8338" in dot.label(copy)
    assert all("grad 645.5773" in dot.label(k) for k in dot.boxes_of("b"))
    nodes, _ = statements(source)
    assert "data 24.7041" in nodes[node_id(source, "g")]
    assert "not computed yet" not in source


def test_before_backward_grads_read_not_computed(readme):
    source = draw_graph(readme["g"]).source
    assert "grad 0.0000" not in source
    assert "grad —" in source
    assert "not computed yet" in source


def test_show_flags_remove_fields(readme):
    g = readme["g"]
    g.backward()
    source = draw_graph(g, show_data=False, show_grad=False, show_local_grad=False).source
    assert "data " not in source
    assert "grad " not in source
    assert "∂" not in source
    assert draw_graph(g, rankdir="TB").source.count("rankdir=TB") == 1


def test_edges_carry_the_local_derivative():
    x = Value(3.0, label="x")
    y = Value(-2.0, label="y")
    out = x * y
    out.label = "out"
    source = draw_graph(out).source
    _, edges = statements(source)
    xi, yi, oi = node_id(source, "x"), node_id(source, "y"), node_id(source, "out")
    # ∂(x·y)/∂x = y = -2 and ∂(x·y)/∂y = x = 3, on the operand → op edges.
    assert (xi, f"{oi}o", {"label": f'"∂ {fmt(-2.0)}"'}) in edges
    assert (yi, f"{oi}o", {"label": f'"∂ {fmt(3.0)}"'}) in edges
    assert [(t, h) for t, h, _ in edges if t == f"{oi}o"] == [(f"{oi}o", oi)]


def test_reused_operand_draws_two_edges():
    x = Value(1.5, label="x")
    sq = x * x
    sq.label = "sq"
    source = draw_graph(sq).source
    _, edges = statements(source)
    xi, si = node_id(source, "x"), node_id(source, "sq")
    into_op = [e for e in edges if e[0] == xi and e[1] == f"{si}o"]
    assert len(into_op) == 2
    assert all(attrs["label"] == f'"∂ {fmt(1.5)}"' for _, _, attrs in into_op)


def test_roles_colour_inputs_parameters_and_output():
    w = Value(0.5, label="w")
    x = Value(2.0, label="x")
    loss = (w * x).relu()
    loss.label = "loss"
    source = draw_graph(loss, params=[w]).source
    nodes, _ = statements(source)
    assert ROLE_COLOURS["parameter"] in nodes[node_id(source, "w")]
    assert ROLE_COLOURS["input"] in nodes[node_id(source, "x")]
    assert ROLE_COLOURS["output"] in nodes[node_id(source, "loss")]


def test_params_mapping_names_unlabelled_leaves():
    w = Value(0.5)
    out = w * 3.0
    source = draw_graph(out, params={"layer.weight": w}).source
    nodes, _ = statements(source)
    (wid,) = [k for k, v in nodes.items() if "layer.weight" in v]
    assert ROLE_COLOURS["parameter"] in nodes[wid]


def test_color_by_grad_uses_sign():
    a = Value(1.0, label="a")
    b = Value(1.0, label="b")
    out = a - b
    out.backward()
    source = draw_graph(out, color_by_grad=True).source
    nodes, _ = statements(source)
    a_fill = re.search(r'bgcolor="(#\w+)"', nodes[node_id(source, "a")]).group(1)
    b_fill = re.search(r'bgcolor="(#\w+)"', nodes[node_id(source, "b")]).group(1)
    assert a_fill.startswith("#ff")  # grad +1: red
    assert b_fill.endswith("ff") and not b_fill.startswith("#ff")  # grad -1: blue


HOSTILE = ['"]; evil [label="x', "<b>&</b>\n", 'a\\"b', "]>}{", "x\r\ny", "tab\tand\x00nul"]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_cannot_inject(label):
    a = Value(1.0, label=label)
    out = a * 2.0
    out.label = label
    source = draw_graph(out, title=label).source
    nodes, edges = statements(source)  # every line is still one well-formed statement
    assert set(nodes) == {"n0", "n1", "n1o"}
    assert parse_dot(source).parts("n1o") == [("*", False), ("2", True)]  # a * 2.0
    assert len(edges) == 2
    assert "<b>&</b>" not in source
    escaped = html_text(label)
    assert sum(escaped in v for v in nodes.values()) == 2


@given(st.text(max_size=40))
def test_html_text_leaves_no_markup(text):
    out = html_text(text)
    stripped = out.replace("<br/>", "")
    assert "<" not in stripped and ">" not in stripped and '"' not in stripped
    # Every & starts an entity.
    assert all(
        re.match(r"&(amp|lt|gt|quot|#x27);", out[i:]) for i in range(len(out)) if out[i] == "&"
    )


def _unquote(dot_string: str) -> str:
    """Decode a DOT quoted string as Graphviz does for labels (\\" \\\\ \\n)."""
    assert dot_string[0] == dot_string[-1] == '"'
    body, out, i = dot_string[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        assert ch != '"', "unescaped quote ends the string early"
        if ch == "\\":
            nxt = body[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@given(st.text(max_size=40))
def test_quoted_round_trips(text):
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    expected = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "\ufffd", expected)
    assert _unquote(quoted(text)) == expected


def test_fmt():
    assert fmt(138.83381924) == "138.8338"
    assert fmt(0.0) == fmt(-0.0) == "0.0000"
    assert fmt(1e-7) == "1.000e-07"
    assert fmt(float("nan")) == "nan"
    assert fmt(float("-inf")) == "-inf"


def test_tensor_nodes_show_op_shape_dtype_and_statistics():
    W = FakeNode(np.arange(12, dtype=np.float32).reshape(3, 4), label="W",
                 grad=np.ones((3, 4), np.float32))
    out = FakeNode(np.zeros(4, np.float32), parents=(W,), op="sum0", label="out",
                   grad=np.ones(4, np.float32))
    source = draw_graph(out).source
    nodes, edges = statements(source)
    w_label = nodes[node_id(source, "W")]
    assert "(3, 4) float32" in w_label
    assert f"μ {fmt(5.5)}" in w_label and f"max {fmt(11)}" in w_label
    assert "grad μ 1.0000" in w_label
    assert ROLE_BORDERS["parameter"] in w_label  # a leaf that requires grad
    out_label = nodes[node_id(source, "out")]
    assert "data [0.0000, 0.0000, 0.0000, 0.0000]" in out_label
    assert "<i>sum0</i>" in out_label and "(4,) float32" in out_label  # op and shape
    # Tensor edges show the operand's shape instead of a local derivative.
    assert any(attrs.get("label") == '"(3, 4)"' for _, _, attrs in edges)


def test_real_tensor_graph():
    autograd = pytest.importorskip("autograd")
    if not hasattr(autograd, "Tensor"):
        pytest.skip("autograd.Tensor not available")
    W = autograd.Tensor(np.ones((3, 2)), requires_grad=True, label="W")
    x = autograd.Tensor(np.arange(3.0), label="x")
    loss = (x @ W).sum()
    loss.label = "loss"
    loss.backward()
    source = draw_graph(loss).source
    nodes, _ = statements(source)
    assert "(3, 2) float64" in nodes[node_id(source, "W")]
    assert "grad μ 1.0000" in nodes[node_id(source, "W")]
    # The intermediate x @ W is labelled with its op and its shape.
    (matmul,) = [v for k, v in nodes.items() if "<i>@</i>" in v]
    assert "(2,) float64" in matmul


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rankdir": "XY"}, "rankdir"),
        ({"max_nodes": 0}, "max_nodes"),
        ({"collapse": "layer"}, "collapse"),
        ({"collapse": "module", "collapse_depth": 0}, "collapse_depth"),
        ({"compact": "yes"}, "compact"),
    ],
)
def test_bad_options_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_graph(readme_graph()["g"], **kwargs)


def test_non_node_is_a_type_error():
    with pytest.raises(TypeError, match="autograd node"):
        draw_graph(3.0)


def test_too_many_nodes_names_the_collapse_option():
    x = Value(0.0, label="x")
    for _ in range(600):
        x = x + 1.0
    with pytest.raises(ValueError, match='collapse="module"'):
        draw_graph(x)
    big = draw_graph(x, max_nodes=1000)
    assert big.n_nodes == 601
    assert "n0o" not in big.source  # compact above 200 nodes: ops folded into the boxes


def test_deep_chain_needs_no_recursion():
    x = Value(0.5, label="x")
    for _ in range(20_000):
        x = x * 1.0
    g = draw_graph(x, max_nodes=30_000)
    assert g.n_nodes == 20_001


def test_hostile_op_name_on_a_hand_built_node():
    a = Value(1.0, label="a")
    node = Value(2.0, (a,), '"]; evil [label="x', label="n")  # micrograd's signature
    source = draw_graph(node).source
    nodes, edges = statements(source)
    assert len(nodes) == 3 and len(edges) == 2
    assert html_text('"]; evil [label="x') in source
