"""The lecture's 3-3-2 network, forward step by step, and its chain-rule products by hand.

The slides (순전파, Forward propagation) compute, for input ``x ∈ ℝ³``::

    z  = W·x + b            (3×3 weights)      1. weighted sum
    h  = ReLU(z)            (hidden layer)      2. activation
    z' = W'·h + b'          (2×3 weights)      3. weighted sum
    ŷ  = softmax(z')        (output)           4. activation

and then (역전파, Backward propagation), with ``h = ReLU(z)`` and
``y = sigmoid(z')``, the chain rule::

    ∂C/∂w' = ∂C/∂y · ∂y/∂z' · ∂z'/∂w'
    ∂C/∂w  = ∂C/∂y · ∂y/∂z' · ∂z'/∂h · ∂h/∂z · ∂z/∂w

The slides give symbols only, no numbers; :data:`LECTURE_EXAMPLE` holds the
weights chosen here: small round numbers with one hidden unit negative
(``z₂ = −0.3``, so ReLU kills it and its ``∂h/∂z = 0``) and none at the kink.
The slide writes one bias ``b`` for every row; here each row has its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograd import Value, name_scope

from . import functional as F  # noqa: N812

__all__ = [
    "LECTURE_EXAMPLE",
    "ChainRule332",
    "Forward332",
    "LectureWeights",
    "chain_rule_332",
    "cost_332",
    "describe_332",
    "describe_chain_rule_332",
    "forward_332",
]

Number = float | Value


@dataclass(frozen=True)
class LectureWeights:
    """Inputs, weights and target of the 3-3-2 example (plain floats)."""

    x: tuple[float, ...]
    W: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    W2: tuple[tuple[float, ...], ...]
    b2: tuple[float, ...]
    target: tuple[float, ...]


LECTURE_EXAMPLE = LectureWeights(
    x=(1.0, 0.5, -1.0),
    W=((0.6, -0.4, 0.1), (0.5, 0.3, -0.2), (-0.3, 0.8, 0.6)),
    b=(0.1, -0.1, 0.2),
    W2=((0.7, -0.5, 0.3), (-0.2, 0.4, 0.9)),
    b2=(0.05, -0.05),
    target=(1.0, 0.0),
)
"""z = (0.4, 0.75, −0.3), h = (0.4, 0.75, 0), z' = (−0.045, 0.17)."""


@dataclass
class Forward332:
    """Every intermediate of the forward pass, as ``Value`` nodes (backprop-ready)."""

    x: list[Value]
    W: list[list[Value]]
    b: list[Value]
    W2: list[list[Value]]
    b2: list[Value]
    z: list[Value]
    h: list[Value]
    z2: list[Value]
    y_hat: list[Value]
    output: str


def _leaf(v: Number, label: str) -> Value:
    if type(v) is Value:
        return v
    return Value(float(v), label=label)


def _matrix(
    rows: Sequence[Sequence[Number]], name: str, shape: tuple[int, int]
) -> list[list[Value]]:
    if len(rows) != shape[0] or any(len(r) != shape[1] for r in rows):
        raise ValueError(f"{name} must be {shape[0]}×{shape[1]}")
    return [[_leaf(v, f"{name}{i}{j}") for j, v in enumerate(r)] for i, r in enumerate(rows)]


def _vector(values: Sequence[Number] | Number, name: str, n: int) -> list[Value]:
    if isinstance(values, int | float | Value):  # the slide's single shared bias
        shared = _leaf(values, name)
        return [shared] * n
    if len(values) != n:
        raise ValueError(f"{name} must have {n} entries, got {len(values)}")
    return [_leaf(v, f"{name}{i}") for i, v in enumerate(values)]


def forward_332(
    x: Sequence[Number] = LECTURE_EXAMPLE.x,
    W: Sequence[Sequence[Number]] = LECTURE_EXAMPLE.W,
    b: Sequence[Number] | Number = LECTURE_EXAMPLE.b,
    W2: Sequence[Sequence[Number]] = LECTURE_EXAMPLE.W2,
    b2: Sequence[Number] | Number = LECTURE_EXAMPLE.b2,
    output: str = "softmax",
) -> Forward332:
    """The slide's forward pass ``ŷ = out(W'·ReLU(W·x + b) + b')`` on ``Value``.

    Numbers become labelled leaves (``"W01"``, ``"W2_10"`` …); Values are used
    as given. ``b``/``b2`` may be one number (the slide's shared bias) or one
    per row. ``output`` is ``"softmax"`` (slides 1–4) or ``"sigmoid"`` (the
    chain-rule slide). Nodes are created in name scopes ``"hidden"`` and
    ``"output"``.
    """
    if output not in ("softmax", "sigmoid"):
        raise ValueError(f"output must be 'softmax' or 'sigmoid', got {output!r}")
    xs = _vector(x, "x", 3)
    Wv, Wv2 = _matrix(W, "W", (3, 3)), _matrix(W2, "W'", (2, 3))
    bv, bv2 = _vector(b, "b", 3), _vector(b2, "b'", 2)
    with name_scope("hidden"):
        z = [_dot(row, xs) + bi for row, bi in zip(Wv, bv)]
        h = [zi.relu() for zi in z]
    with name_scope("output"):
        z2 = [_dot(row, h) + bi for row, bi in zip(Wv2, bv2)]
        y_hat = F.softmax(z2) if output == "softmax" else [zi.sigmoid() for zi in z2]
    for name, nodes in (("z", z), ("h", h), ("z'", z2), ("ŷ", y_hat)):
        for i, node in enumerate(nodes):
            node.label = f"{name}{i}"
    return Forward332(xs, Wv, bv, Wv2, bv2, z, h, z2, y_hat, output)


def _dot(ws: Sequence[Value], xs: Sequence[Value]) -> Value:
    total = ws[0] * xs[0]
    for w, x in zip(ws[1:], xs[1:]):
        total = total + w * x
    return total


def cost_332(net: Forward332, target: Sequence[float] = LECTURE_EXAMPLE.target) -> Value:
    """The cost: the lecture's ``C = ½ Σ (y_i − ŷ_i)²`` (for either output)."""
    return F.half_sse(net.y_hat, list(target))


@dataclass
class ChainRule332:
    """The chain-rule factors of the slide and their products, as plain floats.

    Indices: ``i`` output unit, ``j`` hidden unit, ``k`` input.
    ``dc_dw2[i][j] = dc_dy[i]·dy_dz2[i]·dz2_dw2[i][j]`` and
    ``dc_dw[j][k] = Σ_i dc_dy[i]·dy_dz2[i]·dz2_dh[i][j]·dh_dz[j]·dz_dw[j][k]``.
    """

    dc_dy: list[float]
    dy_dz2: list[float]
    dz2_dw2: list[list[float]]
    dz2_dh: list[list[float]]
    dh_dz: list[float]
    dz_dw: list[list[float]]
    dc_dw2: list[list[float]]
    dc_dw: list[list[float]]


def chain_rule_332(
    net: Forward332, target: Sequence[float] = LECTURE_EXAMPLE.target
) -> ChainRule332:
    """Multiply the slide's chain-rule factors by hand for ``C = ½Σ(y − t)²``, ``y = σ(z')``.

    ``∂C/∂y_i = y_i − t_i``, ``∂y_i/∂z'_i = y_i(1 − y_i)``, ``∂z'_i/∂w'_ij = h_j``,
    ``∂z'_i/∂h_j = w'_ij``, ``∂h_j/∂z_j = 1 if z_j > 0 else 0``, ``∂z_j/∂w_jk = x_k``.
    The result must equal what backprop writes into ``W2[i][j].grad`` and
    ``W[j][k].grad``.
    """
    if net.output != "sigmoid":
        raise ValueError(
            "the slide's chain rule uses y = sigmoid(z'): call forward_332(output='sigmoid')"
        )
    y = [v.data for v in net.y_hat]
    h = [v.data for v in net.h]
    x = [v.data for v in net.x]
    dc_dy = [yi - ti for yi, ti in zip(y, target)]
    dy_dz2 = [yi * (1.0 - yi) for yi in y]
    dz2_dw2 = [list(h) for _ in y]
    dz2_dh = [[w.data for w in row] for row in net.W2]
    dh_dz = [1.0 if zj.data > 0 else 0.0 for zj in net.z]
    dz_dw = [list(x) for _ in h]
    dc_dw2 = [[dc_dy[i] * dy_dz2[i] * dz2_dw2[i][j] for j in range(3)] for i in range(2)]
    dc_dw = [
        [
            sum(dc_dy[i] * dy_dz2[i] * dz2_dh[i][j] for i in range(2)) * dh_dz[j] * dz_dw[j][k]
            for k in range(3)
        ]
        for j in range(3)
    ]
    return ChainRule332(dc_dy, dy_dz2, dz2_dw2, dz2_dh, dh_dz, dz_dw, dc_dw2, dc_dw)


def describe_332(net: Forward332) -> str:
    """The forward pass as the slides' four numbered steps, with numbers (for notebooks)."""

    def fmt(vs: Sequence[Value]) -> str:
        return "[" + ", ".join(f"{v.data:.4f}" for v in vs) + "]"

    out_name = "Softmax" if net.output == "softmax" else "Sigmoid"
    return "\n".join(
        [
            f"x = {fmt(net.x)}",
            f"1. z  = W·x + b   = {fmt(net.z)}",
            f"2. h  = ReLU(z)   = {fmt(net.h)}   (hidden layer)",
            f"3. z' = W'·h + b' = {fmt(net.z2)}",
            f"4. ŷ  = {out_name}(z') = {fmt(net.y_hat)}",
        ]
    )


def describe_chain_rule_332(
    net: Forward332,
    target: Sequence[float] = LECTURE_EXAMPLE.target,
    i: int = 0,
    j: int = 0,
    k: int = 0,
) -> str:
    """The slide's two chain-rule products for ``w'_ij`` and ``w_jk``, factor by factor."""
    c = chain_rule_332(net, target)
    first = (
        f"∂C/∂w'{i}{j} = ∂C/∂y{i} · ∂y{i}/∂z'{i} · ∂z'{i}/∂w'{i}{j} = "
        f"{c.dc_dy[i]:.4f} × {c.dy_dz2[i]:.4f} × {c.dz2_dw2[i][j]:.4f} = {c.dc_dw2[i][j]:.6f}"
    )
    terms = [
        f"{c.dc_dy[o]:.4f} × {c.dy_dz2[o]:.4f} × {c.dz2_dh[o][j]:.4f}" for o in range(len(c.dc_dy))
    ]
    second = (
        f"∂C/∂w{j}{k} = Σ_i ∂C/∂y_i · ∂y_i/∂z'_i · ∂z'_i/∂h{j} · ∂h{j}/∂z{j} · ∂z{j}/∂w{j}{k}"
        f"\n        = ({' + '.join(terms)}) × {c.dh_dz[j]:.0f} × {c.dz_dw[j][k]:.4f}"
        f" = {c.dc_dw[j][k]:.6f}"
    )
    return first + "\n" + second
