"""Step-through backprop on the lecture's two-layer chain, checked against the engine."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from viz_helpers import lecture_chain, needs_dot

import autograd
from autograd import Value, topological_order
from viz import backprop_steps
from viz._format import HIGHLIGHT, fmt


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def chain_loss(x: float, w: float, b: float, w2: float, b2: float) -> float:
    y = sigmoid(w2 * max(w * x + b, 0.0) + b2)
    return 0.5 * (y - 1.0) ** 2


def test_steps_follow_the_engine_order_and_numbers(chain):
    C = chain["C"]
    steps = backprop_steps(C)
    nodes = [s.node for s in steps]
    assert len({id(n) for n in nodes}) == len(nodes) == len(topological_order(C))
    position = {id(n): k for k, n in enumerate(nodes)}
    for n in nodes:  # every consumer is processed before its operands
        assert all(position[id(p)] > position[id(n)] for p in n._prev)
    # Exactly the order the core itself reports through its trace hook.
    twin = lecture_chain()["C"]
    seen = []
    autograd.backward((twin,), (1.0,), trace=lambda node, g, c: seen.append((node._op, node.data)))
    assert [(n._op, n.data) for n in nodes] == seen
    for step in steps:
        assert step.upstream == step.node.grad  # a fresh graph: ∂C/∂node is the final grad
        assert step.parents == step.node._prev
        assert step.local == step.node._local
        for local, contrib in zip(step.local, step.contributions):
            assert contrib == step.upstream * local


def test_contributions_sum_to_the_engine_gradients(chain):
    steps = backprop_steps(chain["C"])
    received: dict[int, float] = {}
    for step in steps:
        for parent, contrib in zip(step.parents, step.contributions):
            received[id(parent)] = received.get(id(parent), 0.0) + contrib
    for name in ("x", "w", "b", "w2", "b2", "h", "z"):
        assert received[id(chain[name])] == pytest.approx(chain[name].grad, rel=1e-15)


def test_gradients_match_finite_differences(chain):
    backprop_steps(chain["C"])
    point = {k: chain[k].data for k in ("x", "w", "b", "w2", "b2")}
    eps = 1e-6
    for name in point:
        up, down = dict(point), dict(point)
        up[name] += eps
        down[name] -= eps
        numeric = (chain_loss(**up) - chain_loss(**down)) / (2 * eps)
        assert chain[name].grad == pytest.approx(numeric, rel=1e-6, abs=1e-10)


def test_gradients_match_pytorch(chain, torch):
    backprop_steps(chain["C"])
    t = {
        k: torch.tensor(chain[k].data, dtype=torch.float64, requires_grad=True)
        for k in ("x", "w", "b", "w2", "b2")
    }
    y = torch.sigmoid(t["w2"] * torch.relu(t["w"] * t["x"] + t["b"]) + t["b2"])
    (0.5 * (y - 1.0) ** 2).backward()
    for name, tensor in t.items():
        assert chain[name].grad == pytest.approx(tensor.grad.item(), rel=1e-12)


def test_chain_rule_written_as_in_the_lecture(chain):
    steps = backprop_steps(chain["C"])
    y, x, w2 = chain["y"].data, chain["x"].data, chain["w2"].data
    expected = [y - 1.0, y * (1.0 - y), w2, 1.0, x]  # ∂C/∂y, ∂y/∂z', ∂z'/∂h, ∂h/∂z, ∂z/∂w
    (path,) = steps.chain_paths(chain["w"])
    assert [(f.top, f.bottom) for f in path.factors] == [
        ("C", "y"),
        ("y", "z'"),
        ("z'", "h"),
        ("h", "z"),
        ("z", "w"),
    ]
    assert [f.value for f in path.factors] == pytest.approx(expected, rel=1e-15)
    assert path.product == pytest.approx(chain["w"].grad, rel=1e-15)
    text = steps.chain_rule(chain["w"])
    numbers = " · ".join(fmt(v) for v in expected)
    assert text == (
        f"∂C/∂w = ∂C/∂y · ∂y/∂z' · ∂z'/∂h · ∂h/∂z · ∂z/∂w = {numbers} = {fmt(chain['w'].grad)}"
    )
    assert steps.chain_rule(chain["w2"]).startswith("∂C/∂w' = ∂C/∂y · ∂y/∂z' · ∂z'/∂w' = ")


def test_chain_rule_sums_over_paths():
    x = Value(1.5, label="x")
    out = x * x + x
    out.label = "out"
    steps = backprop_steps(out)
    paths = steps.chain_paths(x)
    assert len(paths) == 3  # two through x·x (both operands), one through + x
    assert sum(p.product for p in paths) == pytest.approx(x.grad) == 2 * 1.5 + 1
    assert "sum over 3 paths" in steps.chain_rule(x)
    with pytest.raises(ValueError, match="3 paths"):
        steps.chain_paths(x, max_paths=2)
    assert "max_paths=2" in steps.chain_rule(x, max_paths=2)


def test_restore_and_accumulate(chain):
    C = chain["C"]
    reference = lecture_chain()
    reference["C"].backward()
    backprop_steps(C, restore=True)
    assert chain["w"].grad == 0.0 and C.grad == 0.0
    backprop_steps(C)  # the real backward pass: grads as after C.backward()
    assert chain["w"].grad == reference["w"].grad
    backprop_steps(C)  # and like backward(), a second pass accumulates
    assert chain["w"].grad == pytest.approx(2 * reference["w"].grad)


def test_render_highlights_the_current_step(chain):
    steps = backprop_steps(chain["C"])
    k = next(i for i, s in enumerate(steps) if s.name == "y")
    source = steps.dot(k)
    y_line = next(line for line in source.splitlines() if "<b>y</b>" in line)
    assert HIGHLIGHT in y_line
    contrib = steps[k].contributions[0]
    assert f'label="+= {fmt(contrib)}"' in source
    # After step k the leaves have received nothing yet; y's parent z' has.
    w_line = next(line for line in source.splitlines() if "<b>w</b>" in line)
    assert "grad —" in w_line
    z2_line = next(line for line in source.splitlines() if "<b>z&#x27;</b>" in line)
    assert f"grad {fmt(contrib)}" in z2_line
    last = steps.dot(len(steps) - 1)
    assert "grad —" not in last
    assert f"grad {fmt(chain['w'].grad)}" in last
    with pytest.raises(IndexError, match="out of range"):
        steps.dot(len(steps))


def test_caption_writes_the_product_out(chain):
    steps = backprop_steps(chain["C"])
    k = next(i for i, s in enumerate(steps) if chain["w"] in s.parents)
    caption = steps.caption(k)
    assert re.search(r"∂C/∂w \+= ∂C/∂v\d+ · ∂v\d+/∂w = ", caption)
    assert steps.chain_rule(chain["w"]) in caption


@needs_dot
def test_html_gif_and_svgs(chain, tmp_path):
    steps = backprop_steps(chain["C"])
    page = steps.to_html(tmp_path / "steps.html")
    assert (tmp_path / "steps.html").read_text(encoding="utf-8") == page
    assert page.count('class="bp-step"') == len(steps)
    assert page.count("<svg") == len(steps)
    assert "<?xml" not in page and "<script>" in page
    # Self-contained: nothing is fetched (xmlns names are not fetched).
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@import" not in page and "url(" not in page
    # Each step's SVG ids carry the step's own prefix: no duplicate ids on the page.
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    # One layout for all steps: the same direction, so every picture has the same height.
    heights = set(re.findall(r'<svg width="[\d.]+pt" height="([\d.]+pt)"', page))
    assert len(heights) == 1
    assert len({re.search(r"rankdir=(\w+)", steps.dot(k)).group(1) for k in range(14)}) == 1
    # The current node carries class="current" (the page and the browser test find it).
    assert page.count("node current") >= len(steps)
    from PIL import Image

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    small = backprop_steps((a * b).relu())  # GIF frames are PNGs: keep this one small
    with Image.open(small.to_gif(tmp_path / "steps.gif")) as gif:
        assert gif.n_frames == len(small) == 4
    svgs = steps.svgs()
    assert len(svgs) == len(steps) and all("</svg>" in s for s in svgs)


def test_html_without_dot_still_has_the_captions(chain, monkeypatch, tmp_path):
    steps = backprop_steps(chain["C"])
    monkeypatch.setenv("PATH", str(tmp_path))
    page = steps.to_html()
    assert "apt-get install graphviz" in page
    assert page.count('class="bp-step"') == len(steps)
    assert "<svg" not in page


@needs_dot
def test_widget_pages_through_steps(chain):
    pytest.importorskip("ipywidgets")
    steps = backprop_steps(chain["C"])
    box = steps.widget()
    (prev_b, slider, next_b), view = box.children[0].children, box.children[1]
    assert slider.max == len(steps) - 1
    next_b.click()
    next_b.click()
    assert slider.value == 2
    assert "3/" in view.value and "<svg" in view.value
    prev_b.click()
    assert slider.value == 1


def test_tensor_steps_record_vjps():
    if not hasattr(autograd, "Tensor"):
        pytest.skip("autograd.Tensor not available")
    W = autograd.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, label="W")
    x = autograd.Tensor(np.ones(3), label="x")
    loss = (x @ W).sum()
    steps = backprop_steps(loss, restore=True)
    assert steps[0].local is None
    w_step = next(s for s in steps if s.node is W)
    assert np.array_equal(w_step.upstream, np.ones((3, 2)))
    with pytest.raises(TypeError, match="scalar"):
        steps.chain_paths(W)
    assert "(3, 2) float64" in steps.dot(0)


def test_rendering_a_huge_graph_is_refused_but_numbers_remain():
    x = Value(1.0, label="x")
    y = x
    for _ in range(30):
        y = y * 1.5
    steps = backprop_steps(y, max_nodes=20)
    assert len(steps) == 31
    assert x.grad == pytest.approx(1.5**30)
    with pytest.raises(ValueError, match="max_nodes=20"):
        steps.dot(0)
    page = steps._repr_html_()
    assert "max_nodes=20" in page and "step 30: x (leaf)" in page


def test_non_scalar_tensor_root_with_an_array_seed():
    # Regression: "truth value of an array is ambiguous" for grad=np.ones(3).
    t = autograd.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, label="t")
    out = t * 2
    steps = backprop_steps(out, grad=np.ones(3))
    assert len(steps) == 2
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])
    seed = np.array([1.0, 0.5, -1.0])
    t.grad = None
    steps = backprop_steps(t * 2, grad=seed)
    np.testing.assert_array_equal(t.grad, 2 * seed)
    assert "step 0" in str(steps)
    assert "(3,) float64" in steps.dot(0)
    t.grad = None
    backprop_steps(t * 2, grad=3.0)  # a number is used for every element
    np.testing.assert_array_equal(t.grad, [6.0, 6.0, 6.0])
    with pytest.raises(ValueError, match=r"grad has shape \(2,\), but the root has shape"):
        backprop_steps(t * 2, grad=np.ones(2))


def test_non_scalar_seed_in_chain_rule_text():
    x = Value(2.0, label="x")
    out = x * 3.0
    out.label = "out"
    steps = backprop_steps(out, grad=2.0)
    assert steps.chain_rule(x) == f"∂out/∂x = ∂out/∂x = {fmt(2.0)} · {fmt(3.0)} = {fmt(6.0)}"
