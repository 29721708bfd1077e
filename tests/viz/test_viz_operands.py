"""Every operand is drawn: constants (data, targets, numbers) as small grey boxes.

``node.inputs`` lists every operand in order; those not in ``node.parents`` are
constants.
"""

from __future__ import annotations

import numpy as np
import pytest
from viz_helpers import FakeNode, parse_dot

from autograd import Tensor, Value
from viz import draw_graph
from viz._format import constant_text, fmt


def test_constants_among_the_inputs_get_grey_boxes_in_operand_order():
    xbatch = FakeNode(np.ones((100, 2)), label="xbatch", requires_grad=False)
    W = FakeNode(np.full((2, 3), 0.5), label="W", grad=np.ones((2, 3)))
    out = FakeNode(np.zeros((100, 3)), parents=(W,), inputs=(xbatch, W), op="@", label="h",
                   grad=np.ones((100, 3)))
    dot = parse_dot(draw_graph(out).source)
    op = f"{dot.box('h')}o"
    # x @ W: the constant is a grey box inside the op, on its left, as written.
    assert dot.parts(op) == [("xbatch (100, 2)", True), ("@", False)]
    assert 'bgcolor="#f3f4f6"' in dot.label(op)  # grey
    assert set(dot.nodes) == {"n0", "n1", "n1o"}  # no node, and no edge, of its own
    into = dot.into(op)
    assert [t for t, _ in into] == [dot.box("W")]
    assert into[0][1]["label"] == '"(2, 3)"'


def test_numbers_and_arrays_show_their_value_or_shape_and_local_grads_stay_aligned():
    y = FakeNode(0.8, label="y", grad=-0.2)
    diff = FakeNode(-0.2, parents=(y,), inputs=(y, 1.0), op="-", label="d", grad=1.0,
                    local_grads=(1.0,))
    scaled = FakeNode(0.1, parents=(diff,), inputs=(0.5, diff), op="*", label="C", grad=1.0,
                      local_grads=(0.5,))
    dot = parse_dot(draw_graph(scaled).source)
    # Each number sits on the side it is written: 0.5 * d, y - 1.
    assert dot.parts(f"{dot.box('C')}o") == [("0.5", True), ("*", False)]
    assert dot.parts(f"{dot.box('d')}o") == [("-", False), ("1", True)]
    # The edge from d into '*' carries ∂C/∂d = 0.5 although 0.5 is operand 0.
    assert [a.get("label") for _, a in dot.into(f"{dot.box('C')}o")] == [f'"∂ {fmt(0.5)}"']
    arr = FakeNode(np.zeros((4, 3)), parents=(y,), inputs=(y, np.ones((4, 3))), op="*", label="t")
    assert parse_dot(draw_graph(arr).source).constants() == {"n1o": ["(4, 3)"]}


def test_other_ops_list_their_constants_after_their_name():
    x = FakeNode(np.ones(3), label="x")
    mask = FakeNode(np.ones(3, bool), label="mask", requires_grad=False)
    out = FakeNode(np.ones(3), parents=(x,), inputs=(mask, x, 0.0), op="where", label="w")
    dot = parse_dot(draw_graph(out).source)
    assert dot.parts("n1o") == [("where", False), ("mask (3,)", True), ("0", True)]


def test_compact_drawing_writes_constants_into_the_op_cell_as_grey_text():
    x = FakeNode(2.0, label="x")
    out = FakeNode(4.0, parents=(x,), inputs=(x, 2), op="**", label="out", local_grads=(4.0,))
    dot = parse_dot(draw_graph(out, compact=True).source)
    label = dot.label(dot.box("out"))
    assert '<i>**</i><font color="#6b7280"> 2</font>' in label
    assert set(dot.nodes) == {"n0", "n1"} and len(dot.edges) == 1  # x -> out only
    first = FakeNode(-1.0, parents=(x,), inputs=(1.0, x), op="-", label="r", local_grads=(-1.0,))
    label = parse_dot(draw_graph(first, compact=True).source).label("n1")
    assert '<font color="#6b7280">1 </font><i>-</i>' in label
    t = FakeNode(np.ones(3), label="t")
    arr = FakeNode(np.ones(3), parents=(t,), inputs=(t, np.zeros(3)), op="+", label="s")
    label = parse_dot(draw_graph(arr, compact=True).source).label("n1")
    assert '<i>+</i><font color="#6b7280"> [0, 0, 0]</font>' in label


def test_hostile_constant_label_is_escaped():
    evil = FakeNode(np.ones(3), label='"]; evil <b>', requires_grad=False)
    x = FakeNode(np.ones(3), label="x")
    out = FakeNode(np.ones(3), parents=(x,), inputs=(evil, x), op="+", label="out")
    for compact in (False, True):
        source = draw_graph(out, compact=compact).source
        dot = parse_dot(source)  # still one statement per line
        assert "&quot;]; evil &lt;b&gt;" in source and "<b>\"]" not in source
        assert set(dot.nodes) == ({"n0", "n1"} if compact else {"n0", "n1", "n1o"})
    assert dot.label("n1").count("evil") == 1


def test_a_constant_used_everywhere_adds_no_node_and_no_edge():
    # A long sum of + 1 and a data batch used by 30 ops: each constant is drawn in its op,
    # so the drawing has exactly the nodes and edges it would have without them.
    x = Value(0.5, label="x")
    s = x
    for _ in range(150):
        s = s + 1.0
    dot = parse_dot(draw_graph(s).source)
    assert len(dot.nodes) == 151 + 150 and len(dot.edges) == 2 * 150
    assert all(v == ["1"] for v in dot.constants().values()) and len(dot.constants()) == 150
    X = Tensor(np.ones((8, 2)), label="xbatch")
    total = Tensor(np.zeros((8, 3)), requires_grad=True, label="t0")
    for k in range(30):
        total = total + X @ Tensor(np.ones((2, 3)), requires_grad=True, label=f"W{k}")
    dot = parse_dot(draw_graph(total, compact=False).source)
    assert sum(v == ["xbatch (8, 2)"] for v in dot.constants().values()) == 30
    assert not any(k.startswith("k") for k in dot.nodes)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.5, "0.5"),
        (2, "2"),
        (1e-4, "0.0001"),
        (np.float32(1.5), "1.5"),
        (np.array(3.0), "3"),
        (np.array([1.0, 2.0]), "[1, 2]"),
        (np.zeros((100, 2)), "(100, 2)"),
    ],
)
def test_constant_text(value, text):
    assert constant_text(value) == text


def test_constant_text_of_labelled_tensor():
    assert constant_text(Tensor(np.zeros((8, 2)), label="xbatch")) == "xbatch (8, 2)"
    assert constant_text(Tensor(np.zeros(2))) == "[0, 0]"


# --- real graphs: node.inputs holds the constants (the op registry) ---------------------


def test_real_tensor_graph_shows_the_data_batch():
    X = Tensor(np.random.default_rng(0).normal(size=(8, 2)), label="xbatch")
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    out = (X @ W).tanh()
    out.backward(np.ones((8, 3)))
    dot = parse_dot(draw_graph(out).source)
    (matmul,) = [k for k in dot.nodes if k.endswith("o") and ("@", False) in dot.parts(k)]
    assert dot.parts(matmul) == [("xbatch (8, 2)", True), ("@", False)]
    # The intermediate X @ W is labelled with its op and its shape.
    assert "<i>@</i>" in dot.label(matmul[:-1]) and "(8, 3) float64" in dot.label(matmul[:-1])


def test_real_value_graph_shows_the_numbers():
    y = Value(0.8, label="y")
    C = 0.5 * (y - 1.0) ** 2
    C.backward()
    dot = parse_dot(draw_graph(C).source)
    assert sorted(dot.constants().values()) == [["0.5"], ["1"], ["2"]]
    assert sorted(map(dot.parts, dot.constants())) == sorted(
        [[("0.5", True), ("*", False)], [("-", False), ("1", True)], [("**", False), ("2", True)]]
    )


def test_real_tensor_graph_shows_the_target_array():
    p = Tensor(np.array([0.2, 0.7]), requires_grad=True, label="p")
    C = ((p - np.array([0.0, 1.0])) ** 2).sum()
    C.backward()
    dot = parse_dot(draw_graph(C).source)
    assert sorted(dot.constants().values()) == [["2"], ["[0, 1]"]]
