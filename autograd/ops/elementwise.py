"""Elementwise ops: each one's forward and local derivative, written once for Value and Tensor.

A derivative returns ``∂out/∂input`` (a tuple for two inputs). Written with
``m``'s functions and Python's operators, it is differentiable itself: on
graph nodes (``create_graph=True``) it records its own operations, which is
where second derivatives come from. Conventions at the kinks follow PyTorch:
``relu'(0) = 0``, ``|x|'(0) = 0``, ``leaky_relu'(0) = negative_slope``,
``sign' = 0``, ``d/dx x**0 = 0`` and ``d/dy x**y = 0`` where ``x == 0`` and
``y ≥ 0``; ``m.masked`` makes those zeros exact (selected, not multiplied),
so an infinite upstream gradient gives 0 there, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from ._record import OpChecks, define_op

REAL = (-4.0, 4.0)
POSITIVE = (0.1, 4.0)
AWAY_FROM_ZERO = ((0.0,),)


def _torch_fn(name: str) -> Any:
    def call(torch: Any, *inputs: Any, **params: Any) -> Any:
        return getattr(torch, name)(*inputs, **params)

    return call


def _torch_functional(name: str) -> Any:
    def call(torch: Any, *inputs: Any, **params: Any) -> Any:
        return getattr(torch.nn.functional, name)(*inputs, **params)

    return call


# ----------------------------------------------------------------------------
# Operators
# ----------------------------------------------------------------------------

NEG = define_op(
    "neg",
    forward=lambda m, x: -x,
    derivative=lambda m, x: -1.0,
    label="neg",
    kind="operator",
    method="__neg__",
    doc="``-x``; derivative −1.",
    checks=OpChecks(domain=(REAL,), torch=_torch_fn("neg")),
)

ADD = define_op(
    "add",
    forward=lambda m, x, y: x + y,
    derivative=lambda m, x, y: (1.0, 1.0),
    label="+",
    kind="operator",
    method="__add__",
    doc="``x + y`` (broadcasting); derivatives 1 and 1.",
    checks=OpChecks(domain=(REAL, REAL), torch=_torch_fn("add")),
)

SUB = define_op(
    "sub",
    forward=lambda m, x, y: x - y,
    derivative=lambda m, x, y: (1.0, -1.0),
    label="-",
    kind="operator",
    method="__sub__",
    doc="``x − y`` (broadcasting); derivatives 1 and −1.",
    checks=OpChecks(domain=(REAL, REAL), torch=_torch_fn("sub")),
)

MUL = define_op(
    "mul",
    forward=lambda m, x, y: x * y,
    derivative=lambda m, x, y: (y, x),
    label="*",
    kind="operator",
    method="__mul__",
    doc="``x · y`` (broadcasting); derivatives ``y`` and ``x``.",
    checks=OpChecks(domain=(REAL, REAL), torch=_torch_fn("mul")),
)

DIV = define_op(
    "div",
    forward=lambda m, x, y: m.divide(x, y),
    derivative=lambda m, x, y, out: (1 / y, -out / y),
    label="/",
    kind="operator",
    method="__truediv__",
    doc="``x / y`` (``±inf``/``nan`` for a zero divisor, as IEEE); derivatives ``1/y`` and "
    "``−x/y² = −out/y``.",
    checks=OpChecks(domain=(REAL, (0.5, 4.0)), torch=_torch_fn("div")),
)


def _pow_derivative(m: Any, x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # d/dx = y·x^(y−1), an exact 0 where y == 0 (x**0 is constant, also at x = 0). A recorded
    # exponent (create_graph) keeps y·x^(y−1) there, whose own derivative in y is not 0, and
    # only avoids 0·inf at x = y = 0.
    dx = y * m.power(x, y - 1)
    if m.is_constant(y):
        dx = m.masked(y != 0, dx)
    else:
        dx = m.where((x == 0) & (y == 0), 0.0, dx)
    # d/dy = x^y·ln x, an exact 0 where x == 0 and y >= 0 (0**y is constant there).
    return dx, m.masked((x != 0) | (y < 0), out * m.log(x))


POW = define_op(
    "pow",
    forward=lambda m, x, y: m.power(x, y),
    derivative=_pow_derivative,
    label="**",
    kind="operator",
    method="__pow__",
    doc="``x ** y``; a negative base with a fractional exponent is ``nan`` (never complex). "
    "Derivatives ``y·x^(y−1)`` (0 for ``y = 0``) and ``x^y·ln x`` (0 at ``x = 0, y ≥ 0``).",
    # The exponent is kept off 0 for the comparison with PyTorch: there ∂²/∂x∂y = 1/x (finite
    # differences agree), while torch's masked_fill gives 0.
    checks=OpChecks(domain=(POSITIVE, (-2.5, 2.5)), avoid=((), (0.0,)), torch=_torch_fn("pow")),
)


# ----------------------------------------------------------------------------
# Functions of one input (the same set on Value and Tensor)
# ----------------------------------------------------------------------------

EXP = define_op(
    "exp",
    forward=lambda m, x: m.exp(x),
    derivative=lambda m, out: out,
    method="exp",
    doc="``e^x`` (``inf`` on overflow); derivative ``e^x``.",
    checks=OpChecks(domain=(REAL,), torch=_torch_fn("exp")),
)

LOG = define_op(
    "log",
    forward=lambda m, x: m.log(x),
    derivative=lambda m, x: 1 / x,
    method="log",
    doc="Natural log: ``-inf`` at 0, ``nan`` below; derivative ``1/x``.",
    checks=OpChecks(domain=(POSITIVE,), torch=_torch_fn("log")),
)

LOG1P = define_op(
    "log1p",
    forward=lambda m, x: m.log1p(x),
    derivative=lambda m, x: 1 / (1 + x),
    method="log1p",
    doc="``log(1 + x)``, accurate for tiny ``x``: ``-inf`` at −1, ``nan`` below; derivative "
    "``1/(1 + x)``.",
    checks=OpChecks(domain=((-0.9, 4.0),), torch=_torch_fn("log1p")),
)

SQRT = define_op(
    "sqrt",
    forward=lambda m, x: m.sqrt(x),
    derivative=lambda m, out: 0.5 / out,
    method="sqrt",
    doc="``√x`` (``nan`` below 0); derivative ``1/(2√x)``, ``inf`` at 0.",
    checks=OpChecks(domain=(POSITIVE,), torch=_torch_fn("sqrt")),
)

TANH = define_op(
    "tanh",
    forward=lambda m, x: m.tanh(x),
    derivative=lambda m, out: 1 - out * out,
    method="tanh",
    activation=True,
    doc="``tanh(x) = (e^x − e^−x)/(e^x + e^−x)``; derivative ``1 − tanh² x``.\n\nZero-centred "
    "(unlike sigmoid), but its gradient still vanishes at both ends.",
    checks=OpChecks(domain=(REAL,), torch=_torch_fn("tanh")),
)


def _sigmoid(m: Any, x: Any) -> Any:
    # 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) below: e^−|x| ≤ 1 never overflows.
    e = m.exp(-m.abs(x))
    return m.where(x >= 0, 1 / (1 + e), e / (1 + e))


SIGMOID = define_op(
    "sigmoid",
    forward=_sigmoid,
    derivative=lambda m, out: out * (1 - out),
    method="sigmoid",
    activation=True,
    doc="``σ(x) = 1 / (1 + e^−x)``, computed stably; ``σ'(x) = σ(x)(1 − σ(x))``.\n\n"
    "Continuous and differentiable, so unlike sign it works with gradient descent, and its "
    "(0, 1) output reads as a pseudo-probability (유사확률) for binary classification. The "
    "lecture's two problems: the *vanishing gradient* (σ' ≤ 1/4 and → 0 at both ends, so deep "
    "stacks stop learning) and it is *not zero-centred* (outputs all positive, so updates "
    "zig-zag).",
    checks=OpChecks(domain=(REAL,), torch=_torch_fn("sigmoid")),
)

RELU = define_op(
    "relu",
    forward=lambda m, x: m.maximum(x, 0.0),
    derivative=lambda m, x: m.masked(x > 0, 1.0),
    label="ReLU",
    method="relu",
    activation=True,
    doc="``ReLU(x) = max(0, x)``; derivative 1 for x > 0 and 0 for x ≤ 0 (0 at x = 0, as "
    "PyTorch).\n\nSimple and fast, and no vanishing gradient for x > 0. The lecture's "
    "*dying ReLU*: for x < 0 both output and gradient are 0, so a unit pushed there may never "
    "recover.",
    checks=OpChecks(domain=(REAL,), avoid=AWAY_FROM_ZERO, torch=_torch_fn("relu")),
)

LEAKY_RELU = define_op(
    "leaky_relu",
    forward=lambda m, x, negative_slope=0.01: m.where(x > 0, x, x * negative_slope),
    derivative=lambda m, x, negative_slope: m.where(x > 0, 1.0, negative_slope),
    label="LeakyReLU",
    method="leaky_relu",
    activation=True,
    doc="``LeakyReLU(x) = max(0.01·x, x)`` (slope ``negative_slope`` for x ≤ 0); derivative 1, "
    "or ``negative_slope`` at x ≤ 0.\n\nThe small negative-side slope keeps a gradient "
    "alive, fixing dying ReLU.",
    checks=OpChecks(
        domain=(REAL,),
        avoid=AWAY_FROM_ZERO,
        params={"negative_slope": 0.1},
        torch=_torch_functional("leaky_relu"),
    ),
)


def _softplus(m: Any, x: Any) -> Any:
    # log(1 + e^x) = max(x, 0) + log1p(e^−|x|): no overflow, exact for large |x|.
    return m.maximum(x, 0.0) + m.log1p(m.exp(-m.abs(x)))


SOFTPLUS = define_op(
    "softplus",
    forward=_softplus,
    derivative=lambda m, x: m.sigmoid(x),
    method="softplus",
    activation=True,
    doc="``softplus(x) = ln(1 + e^x)``, computed stably; derivative ``σ(x)``. A smooth ReLU.",
    checks=OpChecks(domain=(REAL,), torch=_torch_functional("softplus")),
)


def _mish_derivative(m: Any, x: Any) -> Any:
    t = m.tanh(m.softplus(x))
    return t + x * m.sigmoid(x) * (1 - t * t)


MISH = define_op(
    "mish",
    forward=lambda m, x: x * m.tanh(m.softplus(x)),
    derivative=_mish_derivative,
    method="mish",
    activation=True,
    doc="``Mish(x) = x·tanh(softplus(x)) = x·tanh(ln(1 + e^x))``; derivative "
    "``tanh(sp) + x·σ(x)·(1 − tanh²(sp))``.\n\nSmooth, non-monotonic, unbounded above; the "
    "lecture notes its use in YOLO-style vision models.",
    checks=OpChecks(domain=(REAL,), torch=_torch_functional("mish")),
)

ABS = define_op(
    "abs",
    forward=lambda m, x: m.abs(x),
    derivative=lambda m, x: m.masked(x != 0, m.sign(x)),
    method="abs",
    doc="``|x|``; derivative ``sign(x)``, 0 at 0 (as PyTorch).",
    checks=OpChecks(domain=(REAL,), avoid=AWAY_FROM_ZERO, torch=_torch_fn("abs")),
)

SIGN = define_op(
    "sign",
    forward=lambda m, x: m.sign(x),
    derivative=lambda m, x: None,
    method="sign",
    activation=True,
    doc="``sign(x)`` ∈ {−1, 0, +1}: the classic perceptron's activation.\n\nThe lecture's two "
    "objections: it ignores how far a point lies from the decision boundary, and its "
    "derivative is 0 everywhere except at 0, where it does not exist — so gradient descent "
    "gets no signal. No gradient flows through it (PyTorch's convention: 0 everywhere).",
    checks=OpChecks(domain=(REAL,), avoid=AWAY_FROM_ZERO, torch=_torch_fn("sign")),
)

SIN = define_op(
    "sin",
    forward=lambda m, x: m.sin(x),
    derivative=lambda m, x: m.cos(x),
    method="sin",
    doc="``sin x``; derivative ``cos x``.",
    checks=OpChecks(domain=(REAL,), torch=_torch_fn("sin")),
)

COS = define_op(
    "cos",
    forward=lambda m, x: m.cos(x),
    derivative=lambda m, x: -m.sin(x),
    method="cos",
    doc="``cos x``; derivative ``−sin x``.",
    checks=OpChecks(domain=(REAL,), torch=_torch_fn("cos")),
)

TAN = define_op(
    "tan",
    forward=lambda m, x: m.tan(x),
    derivative=lambda m, out: 1 + out * out,
    method="tan",
    doc="``tan x``; derivative ``1 + tan² x = sec² x``.",
    checks=OpChecks(domain=((-1.3, 1.3),), torch=_torch_fn("tan")),
)


# ----------------------------------------------------------------------------
# Tensor-only elementwise ops
# ----------------------------------------------------------------------------


def _tie_split(m: Any, x: Any, y: Any) -> Any:
    return m.where(x == y, 0.5, 1.0)


MAXIMUM = define_op(
    "maximum",
    forward=lambda m, x, y: m.maximum(x, y),
    derivative=lambda m, x, y: (
        m.masked(x >= y, _tie_split(m, x, y)),
        m.masked(y >= x, _tie_split(m, x, y)),
    ),
    value=False,
    doc="The elementwise larger of ``x`` and ``y`` (broadcasting); the gradient goes to the "
    "larger operand, half to each on a tie (``torch.maximum``).",
    checks=OpChecks(domain=(REAL, REAL), avoid_ties=True, torch=_torch_fn("maximum")),
)

MINIMUM = define_op(
    "minimum",
    forward=lambda m, x, y: m.minimum(x, y),
    derivative=lambda m, x, y: (
        m.masked(x <= y, _tie_split(m, x, y)),
        m.masked(y <= x, _tie_split(m, x, y)),
    ),
    value=False,
    doc="The elementwise smaller of ``x`` and ``y``; ties split the gradient 0.5/0.5.",
    checks=OpChecks(domain=(REAL, REAL), avoid_ties=True, torch=_torch_fn("minimum")),
)

WHERE = define_op(
    "where",
    forward=lambda m, x, y, *, condition: m.where(condition, x, y),
    derivative=lambda m, condition: (
        m.masked(condition, 1.0),
        m.masked(m.logical_not(condition), 1.0),
    ),
    value=False,
    doc="``x`` where ``condition`` holds, else ``y`` (broadcasting); the gradient is routed "
    "likewise (selected, so the branch not taken gets an exact 0).",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(3, 2)), rng.normal(size=(2,))),
             {"condition": rng.normal(size=(3, 2)) > 0}),
        ],
        torch=lambda torch, x, y, condition: torch.where(torch.as_tensor(condition), x, y),
    ),
)


def _clip(m: Any, x: Any, lo: Any = None, hi: Any = None) -> Any:
    if lo is not None:
        x = m.maximum(x, lo)
    if hi is not None:
        x = m.minimum(x, hi)
    return x


def _clip_derivative(m: Any, x: Any, lo: Any, hi: Any) -> Any:
    # torch.clamp: the gradient passes on lo <= x <= hi, bounds included.
    if lo is None:
        return m.masked(x <= hi, 1.0)
    if hi is None:
        return m.masked(x >= lo, 1.0)
    return m.masked((x >= lo) & (x <= hi), 1.0)


CLIP = define_op(
    "clip",
    forward=_clip,
    derivative=_clip_derivative,
    value=False,
    doc="Limit to ``[lo, hi]`` (either may be None); gradient 1 on ``lo ≤ x ≤ hi``, bounds "
    "included (``torch.clamp``), an exact 0 outside.",
    checks=OpChecks(
        domain=(REAL,),
        avoid=((-1.0, 1.0),),
        params={"lo": -1.0, "hi": 1.0},
        torch=lambda torch, x, lo, hi: torch.clamp(x, lo, hi),
    ),
)
