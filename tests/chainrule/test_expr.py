"""chainrule.expr in-process: the whitelist parser, its evaluation on Values, and --set parsing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, topological_order
from chainrule.errors import CLIError
from chainrule.expr import FUNCTIONS, MAX_DEPTH, ExprError, build, parse_assignments, parse_expr
from chainrule.main import main


def evaluate(text: str, **values: float) -> tuple[Value, dict[str, Value]]:
    root, leaves, _ = build(parse_expr(text), values)
    root.backward()
    return root, leaves


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("-x**2", {"x": 3.0}, -9.0),  # ** binds tighter than unary minus, as in Python
        ("x - y - z", {"x": 1.0, "y": 2.0, "z": 3.0}, -4.0),  # left associative
        ("x ** y ** z", {"x": 2.0, "y": 3.0, "z": 2.0}, 512.0),  # right associative
        ("x / y * z", {"x": 1.0, "y": 4.0, "z": 2.0}, 0.5),
        ("2 * (x + 1)", {"x": 1.5}, 5.0),
        ("+x", {"x": 1.25}, 1.25),
        ("1e-3 * x + .5", {"x": 1000.0}, 1.5),
    ],
)
def test_precedence_and_associativity_follow_python(text, values, expected):
    root, _ = evaluate(text, **values)
    assert root.data == pytest.approx(expected, rel=1e-12)


def test_every_function_is_callable_and_differentiated():
    for name, fn in FUNCTIONS.items():
        root, leaves = evaluate(f"{name}(x)", x=0.7)
        reference = Value(0.7)
        out = fn(reference)
        out.backward()
        assert root._op == out._op
        assert root.data == out.data
        assert leaves["x"].grad == reference.grad


def test_variables_are_labelled_leaves_and_numbers_are_constants():
    root, leaves = evaluate("(1 + 2) * x", x=2.0)
    assert leaves["x"].label == "x"
    assert root._prev == (leaves["x"],)  # 1 + 2 folded to 3: no node for numbers
    assert root._local == (3.0,)
    assert len(topological_order(root)) == 2


def test_reused_variable_is_one_leaf_with_accumulated_gradient():
    _, leaves = evaluate("x*x + 3*x", x=2.0)
    assert list(leaves) == ["x"]
    assert leaves["x"].grad == pytest.approx(7.0)


def test_constant_subexpressions_follow_the_engines_edge_rules():
    root, _ = evaluate("x * (1/0)", x=2.0)
    assert root.data == math.inf
    root, _ = evaluate("x + (-8) ** (1/3)", x=1.0)
    assert math.isnan(root.data)
    root, _ = evaluate("x * tanh(1000)", x=2.0)
    assert root.data == 2.0


def test_sources_name_each_operation_node():
    root, _, sources = build(parse_expr("tanh(x*w + b)"), {"x": 1.0, "w": 2.0, "b": 3.0})
    texts = {sources[id(n)] for n in topological_order(root) if n._prev}
    assert texts == {"x * w", "x * w + b", "tanh(x * w + b)"}


SMOOTH = [
    "tanh(x*w + b)",
    "exp(x) * sin(w) - cos(b) / 2",
    "log(x) + sqrt(x) * w",
    "sigmoid(x*w) + softplus(b) - mish(x - w)",
    "abs(x - 3) ** 2 + relu(w) * sign(b) + leaky_relu(-x)",
    "x ** w + (x + w) / (b + 4)",
]


@given(
    st.sampled_from(SMOOTH),
    st.floats(0.2, 2.0),
    st.floats(0.2, 2.0),
    st.floats(0.2, 2.0),
)
def test_gradients_match_central_differences(text, x, w, b):
    values = {"x": x, "w": w, "b": b}
    parsed = parse_expr(text)
    root, leaves, _ = build(parsed, values)
    root.backward()
    eps = 1e-6
    for name in parsed.names:
        up = build(parsed, {**values, name: values[name] + eps})[0].data
        down = build(parsed, {**values, name: values[name] - eps})[0].data
        assert leaves[name].grad == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-6)


HOSTILE = [
    "__import__('os').system('id')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "getattr(x, 'data')",
    "eval('1')",
    "open('/etc/passwd')",
    "(lambda: 1)()",
    "[c for c in ()]",
    "x if x else x",
    "x @ x",
    "not x",
    "~x",
    "x % 2",
    "x // 2",
    "x < 1",
    "x and 1",
    "(x := 1)",
    "f'{x}'",
    "b'x'",
    "1j * x",
    "...",
    "None",
    "tanh(*x)",
    "tanh(x, x)",
    "tanh()",
    "tanh(x=1)",
    "x; x",
    "import os",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_outside_the_whitelist_is_an_expr_error(text):
    with pytest.raises(ExprError):
        parse_expr(text)


def test_limits_on_length_and_depth():
    with pytest.raises(ExprError, match="limit is 2,000"):
        parse_expr("x" + "+x" * 1000)
    parse_expr("x" + "+x" * (MAX_DEPTH - 1))
    with pytest.raises(ExprError, match=f"nested more than {MAX_DEPTH}"):
        parse_expr("x" + "+x" * MAX_DEPTH)
    with pytest.raises(ExprError, match="nested"):
        parse_expr("tanh(" * 300 + "x" + ")" * 300)


@given(st.text(alphabet="xyw01.e+-*/() ,[]'_:=<@%tanhsqrlogp", max_size=40))
def test_any_text_is_parsed_or_rejected_with_an_expr_error(text):
    try:
        parsed = parse_expr(text)
    except ExprError as exc:
        assert "\n" not in exc.one_line
        return
    root, leaves, _ = build(parsed, dict.fromkeys(parsed.names, 0.5))
    root.backward()  # the engine never raises on these (nan/inf at domain edges)
    assert set(leaves) == set(parsed.names)


def test_missing_variable_names_every_missing_one():
    with pytest.raises(ExprError, match=r"'y', 'z' but no value.*--set y=\.\.\. --set z="):
        build(parse_expr("x + y * z"), {"x": 1.0})


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["x=2", "w=-3"], {"x": 2.0, "w": -3.0}),
        ([" x = 1e-3 "], {"x": 0.001}),
        (["_a1=.5"], {"_a1": 0.5}),
    ],
)
def test_set_items_parse(items, expected):
    assert parse_assignments(items) == expected


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("x", "write NAME=NUMBER"),
        ("=2", "write NAME=NUMBER"),
        ("x=", "write NAME=NUMBER"),
        ("x=two", "not a number"),
        ("1x=2", "not a valid name"),
        ("x.y=2", "not a valid name"),
        ("tanh=1", "is a function name"),
        ("x=inf", "finite"),
        ("x=nan", "finite"),
    ],
)
def test_malformed_set_items(item, fragment):
    with pytest.raises(ExprError, match=fragment):
        parse_assignments([item])


def test_main_returns_2_and_prints_one_line(capsys):
    assert main(["steps", "x.y", "--set", "x=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("chainrule: error: ")
    assert main(["train", "nope", "--out", "x"]) == 2
    assert main(["--help"]) == 0


def test_cli_error_flattens_to_one_line():
    assert CLIError("a\nb  c\n").one_line == "a b c"
