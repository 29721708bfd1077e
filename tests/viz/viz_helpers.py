"""Graphs shared by the viz tests: micrograd's README, the lecture's chain, an MLP step."""

from __future__ import annotations

import html
import random
import re
import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from autograd import Value

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def readme_graph() -> dict[str, Value]:
    """micrograd's README expression; g = 24.7041, dg/da = 138.8338, dg/db = 645.5773."""
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    return {"a": a, "b": b, "g": g}


def lecture_chain() -> dict[str, Value]:
    """The lecture's chain: z = w·x + b, h = ReLU(z), z' = w'·h + b', y = σ(z'), C = ½(y − 1)²."""
    x = Value(1.5, label="x")
    w = Value(0.8, label="w")
    b = Value(0.1, label="b")
    w2 = Value(-1.2, label="w'")
    b2 = Value(0.3, label="b'")
    z = w * x + b
    z.label = "z"
    h = z.relu()
    h.label = "h"
    z2 = w2 * h + b2
    z2.label = "z'"
    y = z2.sigmoid()
    y.label = "y"
    C = 0.5 * (y - 1.0) ** 2
    C.label = "C"
    return {"x": x, "w": w, "b": b, "w2": w2, "b2": b2, "z": z, "h": h, "z2": z2, "y": y, "C": C}


def moons(n: int, seed: int = 1, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with labels ±1 (no scikit-learn needed)."""
    rng = np.random.default_rng(seed)
    n1 = n // 2
    t1, t2 = np.linspace(0, np.pi, n1), np.linspace(0, np.pi, n - n1)
    X = np.concatenate(
        [np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]]
    ) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([-np.ones(n1), np.ones(n - n1)])
    return X, y


def mlp_step(n_points: int, sizes: list[int], seed: int = 1337) -> tuple[Any, Any]:
    """One micrograd-demo training step's graph: hinge loss + L2 on an nn.scalar MLP."""
    from nn.scalar import MLP

    random.seed(seed)
    X, y = moons(n_points)
    model = MLP(2, sizes)
    scores = [model([Value(v) for v in row]) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    loss.backward()
    return model, loss


# ---------------------------------------------------------------------------
# Reading DOT text back (strictly: every line must be a known statement)
# ---------------------------------------------------------------------------

NODE_ID = r"[A-Za-z_][\w]*"
STMT = re.compile(rf"^\s+({NODE_ID})(?: -> ({NODE_ID}))?(?: \[(.*)\])?;$")
BARE = re.compile(r"[\w.#-]+")


def parse_attrs(text: str) -> dict[str, str]:
    """Split ``key=value, ...`` the way Graphviz does: <html> (nested), "quoted" or bare values.

    Raises AssertionError on anything else, so injected text cannot hide in a value.
    """
    attrs, i = {}, 0
    while i < len(text):
        key = BARE.match(text, i)
        assert key and text[key.end()] == "=", f"bad attribute at {text[i:]!r}"
        i = key.end() + 1
        if text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            value = text[i + 1 : j - 1]
        elif text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            value = text[i:j]
        else:
            m = BARE.match(text, i)
            assert m, f"bad value at {text[i:]!r}"
            j, value = m.end(), m.group()
        attrs[key.group()] = value
        i = j
        if i < len(text):
            assert text[i : i + 2] == ", ", f"expected ', ' at {text[i:]!r}"
            i += 2
    return attrs


@dataclass
class Dot:
    """A parsed drawing: node id -> attributes, edges as (tail, head, attributes)."""

    nodes: dict[str, dict[str, str]]
    edges: list[tuple[str, str, dict[str, str]]]

    def label(self, node_id: str) -> str:
        return self.nodes[node_id]["label"]

    def ids_with(self, text: str) -> list[str]:
        return [k for k, a in self.nodes.items() if text in a.get("label", "")]

    def boxes_of(self, name: str) -> list[str]:
        """Ids of the boxes whose bold title is ``name`` (several for a shared leaf)."""
        return self.ids_with(f"<b>{name}</b>")

    def box(self, name: str) -> str:
        hits = self.boxes_of(name)
        assert len(hits) == 1, (name, hits)
        return hits[0]

    def into(self, head: str) -> list[tuple[str, dict[str, str]]]:
        return [(t, a) for t, h, a in self.edges if h == head]

    def parts(self, node_id: str) -> list[tuple[str, bool]]:
        """An op oval's label, run by run: ``(text, is_constant)`` (a grey chip or not)."""
        return label_parts(self.label(node_id))

    def constants(self) -> dict[str, list[str]]:
        """Op ovals that hold constants: id -> the constants' texts, in reading order."""
        found = {k: [t for t, is_k in self.parts(k) if is_k] for k in self.nodes
                 if k.endswith("o")}
        return {k: v for k, v in found.items() if v}


CHIP = re.compile(
    r'<td bgcolor="#f3f4f6" color="#9ca3af" border="1" cellpadding="1">'
    r'<font point-size="9">(.*?)</font></td>|<td>(.*?)</td>'
)


def label_parts(label: str) -> list[tuple[str, bool]]:
    """The runs of an op label: plain text, or a one-row table of cells and grey chips."""
    if not label.startswith("<table"):
        return [(html.unescape(label), False)]
    return [(html.unescape(chip or re.sub(r"</?i>", "", text)), bool(chip))
            for chip, text in CHIP.findall(label)]


def parse_dot(source: str) -> Dot:
    """Nodes and edges of DOT text written by viz, parsed strictly line by line."""
    lines = source.splitlines()
    assert lines[0] == "digraph chainrule {" and lines[-1] == "}"
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    for line in lines[1:-1]:
        if re.match(r"^\s+(graph|node|edge) \[(.*)\];$", line):
            parse_attrs(re.match(r"^\s+\w+ \[(.*)\];$", line).group(1))
            continue
        if re.match(r"^\s+subgraph cluster_\d+ \{$", line) or re.match(r"^\s+\}$", line):
            continue
        if re.match(rf"^\s+\{{ rank=same; {NODE_ID}( -> {NODE_ID})* \[style=invis\]; \}}$", line):
            continue
        m = STMT.match(line)
        assert m, f"unexpected DOT line: {line!r}"
        attrs = parse_attrs(m.group(3) or "")
        if m.group(2):
            edges.append((m.group(1), m.group(2), attrs))
        else:
            nodes[m.group(1)] = attrs
    return Dot(nodes, edges)


def svg_size(svg: str) -> tuple[float, float]:
    """Width and height of a Graphviz SVG in points."""
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert m, svg[:200]
    return float(m.group(1)), float(m.group(2))


# ---------------------------------------------------------------------------
# A node with the public attributes only (what viz may rely on)
# ---------------------------------------------------------------------------


class FakeNode:
    """A duck-typed graph node: ``op``, ``parents``, ``inputs``, ``local_grads``, ``scope``…"""

    def __init__(self, data, parents=(), op="", label="", grad=None, inputs=None,
                 local_grads=None, scope=(), requires_grad=True):
        self.data = data
        self.grad = grad
        self.parents = tuple(parents)
        self.inputs = tuple(self.parents if inputs is None else inputs)
        self.op = op
        self.label = label
        self.local_grads = local_grads
        self.scope = scope
        self.requires_grad = requires_grad
        if isinstance(data, np.ndarray):
            self.shape, self.dtype = data.shape, data.dtype


# ---------------------------------------------------------------------------
# The lecture's and the notebooks' drawings
# ---------------------------------------------------------------------------


def one_neuron() -> Value:
    """Notebook 1's neuron: C = ½(σ(x1·w1 + x2·w2 + b) − 1)², after backward."""
    x1, x2 = Value(1.0, label="x1"), Value(-2.0, label="x2")
    w1, w2, b = Value(0.5, label="w1"), Value(0.25, label="w2"), Value(0.1, label="b")
    z = x1 * w1 + x2 * w2 + b
    z.label = "z"
    y = z.sigmoid()
    y.label = "y"
    C = 0.5 * (y - 1.0) ** 2
    C.label = "C"
    C.backward()
    return C


def notebook3_drawings() -> dict[str, tuple[Any, dict[str, Any]]]:
    """The three graphs notebook 3 draws, with the options it draws them with."""
    from autograd import Tensor
    from nn.lecture import LECTURE_EXAMPLE, forward_332

    ex = LECTURE_EXAMPLE
    target = np.array(ex.target)
    probs = forward_332().y_hat
    C_softmax = 0.5 * ((probs[0] - target[0]) ** 2 + (probs[1] - target[1]) ** 2)
    C_softmax.label = "C"
    y = forward_332(output="sigmoid").y_hat
    C = 0.5 * ((y[0] - target[0]) ** 2 + (y[1] - target[1]) ** 2)
    C.label = "C"
    C.backward()
    Wt = Tensor(np.array(ex.W), requires_grad=True, label="W")
    bt = Tensor(np.array(ex.b), requires_grad=True, label="b")
    W2t = Tensor(np.array(ex.W2), requires_grad=True, label="W'")
    b2t = Tensor(np.array(ex.b2), requires_grad=True, label="b'")
    yt = (W2t @ (Wt @ np.array(ex.x) + bt).relu() + b2t).sigmoid()
    Ct = 0.5 * ((yt - target) ** 2).sum()
    Ct.backward()
    Ct.label = "C"
    return {
        "softmax, collapsed": (C_softmax, {"collapse": "module", "collapse_depth": 1,
                                           "show_grad": False}),
        "sigmoid, coloured by grad": (C, {"color_by_grad": True}),
        "tensors": (Ct, {}),
    }
