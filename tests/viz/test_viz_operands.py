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


def constants(dot):
    """Constant boxes: id -> label."""
    return {k: a["label"] for k, a in dot.nodes.items() if a.get("tooltip") == '"constant"'}


def test_constants_among_the_inputs_get_grey_boxes_in_operand_order():
    xbatch = FakeNode(np.ones((100, 2)), label="xbatch", requires_grad=False)
    W = FakeNode(np.full((2, 3), 0.5), label="W", grad=np.ones((2, 3)))
    out = FakeNode(np.zeros((100, 3)), parents=(W,), inputs=(xbatch, W), op="@", label="h",
                   grad=np.ones((100, 3)))
    dot = parse_dot(draw_graph(out).source)
    (k,) = constants(dot)
    assert "xbatch (100, 2)" in dot.label(k)
    assert "#f3f4f6" in dot.label(k)  # grey
    h = dot.box("h")
    into = dot.into(f"{h}o")
    assert [t for t, _ in into] == [k, dot.box("W")]  # x @ W: the constant first, as in inputs
    assert into[0][1]["style"] == "dashed"
    assert into[1][1]["label"] == '"(2, 3)"'


def test_numbers_and_arrays_show_their_value_or_shape_and_local_grads_stay_aligned():
    y = FakeNode(0.8, label="y", grad=-0.2)
    diff = FakeNode(-0.2, parents=(y,), inputs=(y, 1.0), op="-", grad=1.0, local_grads=(1.0,))
    scaled = FakeNode(0.1, parents=(diff,), inputs=(0.5, diff), op="*", label="C", grad=1.0,
                      local_grads=(0.5,))
    dot = parse_dot(draw_graph(scaled).source)
    texts = sorted(constants(dot).values())
    assert any(">0.5<" in t for t in texts) and any(">1<" in t for t in texts)
    # The edge from diff into '*' carries ∂C/∂diff = 0.5 although 0.5 is operand 0.
    c = dot.box("C")
    labels = [a.get("label") for t, a in dot.into(f"{c}o") if not t.startswith("k")]
    assert labels == [f'"∂ {fmt(0.5)}"']
    arr = FakeNode(np.zeros((4, 3)), parents=(y,), inputs=(y, np.ones((4, 3))), op="*", label="t")
    assert "(4, 3)" in " ".join(constants(parse_dot(draw_graph(arr).source)).values())


def test_constants_sit_beside_their_op_on_the_side_they_are_written():
    y = FakeNode(0.8, label="y", grad=-0.2)
    diff = FakeNode(-0.2, parents=(y,), inputs=(y, 1.0), op="-", label="d", local_grads=(1.0,))
    half = FakeNode(-0.1, parents=(diff,), inputs=(0.5, diff), op="*", label="C",
                    local_grads=(0.5,))
    dot = parse_dot(draw_graph(half).source)
    one, = (k for k, a in constants(dot).items() if ">1<" in a)
    point5, = (k for k, a in constants(dot).items() if ">0.5<" in a)
    d_op, c_op = f"{dot.box('d')}o", f"{dot.box('C')}o"
    # Same rank as the op: no rank of their own, no long edge.
    assert sorted(dot.same_rank) == sorted([(d_op, one), (c_op, point5)])
    source = draw_graph(half).source
    # A flat edge's tail is drawn on the left: 0.5 * d has 0.5 on the left, y - 1 has 1 on
    # the right (written op -> k with dir=back, so the arrow still points into the op).
    assert f"  {point5} -> {c_op} [" in source
    assert f"  {d_op} -> {one} [" in source and "dir=back" in source


def test_compact_drawing_writes_numbers_into_the_op_and_keeps_arrays_as_boxes():
    x = FakeNode(2.0, label="x")
    out = FakeNode(4.0, parents=(x,), inputs=(x, 2), op="**", label="out", local_grads=(4.0,))
    dot = parse_dot(draw_graph(out, compact=True).source)
    assert constants(dot) == {}
    assert "<i>** 2</i>" in dot.label(dot.box("out"))
    assert len(dot.edges) == 1  # x -> out only
    first = FakeNode(-1.0, parents=(x,), inputs=(1.0, x), op="-", label="r", local_grads=(-1.0,))
    assert "<i>1 -</i>" in parse_dot(draw_graph(first, compact=True).source).label("n1")
    t = FakeNode(np.ones(3), label="t")
    arr = FakeNode(np.ones(3), parents=(t,), inputs=(t, np.zeros(3)), op="+", label="s")
    dot = parse_dot(draw_graph(arr, compact=True).source)
    (k,) = constants(dot)
    assert (k, dot.box("s")) in [(t, h) for t, h, _ in dot.edges]


def test_hostile_constant_label_is_escaped():
    evil = FakeNode(np.ones(3), label='"]; evil <b>', requires_grad=False)
    x = FakeNode(np.ones(3), label="x")
    out = FakeNode(np.ones(3), parents=(x,), inputs=(evil, x), op="+", label="out")
    source = draw_graph(out).source
    dot = parse_dot(source)  # still one statement per line
    assert "&quot;]; evil &lt;b&gt;" in source and "<b>\"]" not in source
    assert len(constants(dot)) == 1


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


# --- real graphs: constants reach the drawing once node.inputs holds them ---------------


def test_real_tensor_graph_shows_the_data_batch():
    X = Tensor(np.random.default_rng(0).normal(size=(8, 2)), label="xbatch")
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    out = (X @ W).tanh()
    out.backward(np.ones((8, 3)))
    dot = parse_dot(draw_graph(out).source)
    assert any("xbatch (8, 2)" in t for t in constants(dot).values())


def test_real_value_graph_shows_the_numbers():
    y = Value(0.8, label="y")
    C = 0.5 * (y - 1.0) ** 2
    C.backward()
    texts = " ".join(constants(parse_dot(draw_graph(C).source)).values())
    assert ">0.5<" in texts and ">1<" in texts


def test_real_tensor_graph_shows_the_target_array():
    p = Tensor(np.array([0.2, 0.7]), requires_grad=True, label="p")
    C = ((p - np.array([0.0, 1.0])) ** 2).sum()
    C.backward()
    texts = " ".join(constants(parse_dot(draw_graph(C).source)).values())
    assert "[0, 1]" in texts
