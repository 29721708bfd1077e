"""Safe arithmetic expressions: user text → a graph of labelled :class:`autograd.Value` nodes.

The text is parsed with :func:`ast.parse` and walked against an explicit
whitelist; it is never passed to ``eval``/``exec``/``compile`` for running.
Allowed: numbers (int/float literals), names bound by ``--set``, ``+ - * /
**``, unary ``-``/``+``, parentheses, and calls ``f(arg)`` of the functions in
:data:`FUNCTIONS` with exactly one positional argument. Everything else —
attribute access, subscripts, keywords, strings, comparisons, lambdas, … —
is an :class:`ExprError` naming what was found. The walk is iterative and
the text is capped at :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH`
levels of nesting.

Sub-expressions without a variable are folded to a number with the engine's
own arithmetic (so ``1/0`` is ``inf`` and ``(-8)**(1/3)`` is ``nan``, as for
Values); numbers never become graph nodes, exactly as in Python code.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value
from autograd.ops import REGISTRY, unary_functions

from .errors import CLIError

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ExprError",
    "ParsedExpr",
    "build",
    "normalize_name",
    "parse_assignments",
    "parse_expr",
]

MAX_LENGTH = 2000
MAX_DEPTH = 200

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    name: REGISTRY[name] for name in unary_functions("value")
}
"""The functions EXPR may call: every one-input function of the op registry."""

_BINARY: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}
def _identity(x: Any) -> Any:
    return x


# Unary plus changes nothing (Value has no __pos__; it adds no node).
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: _identity}

# Python syntax a user may try, described in words for the error message.
_DESCRIPTIONS: dict[type, str] = {
    ast.Attribute: "attribute access (a '.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.Lambda: "lambda",
    ast.IfExp: "'... if ... else ...'",
    ast.List: "lists",
    ast.Tuple: "tuples (a ',')",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "':='",
    ast.Starred: "'*' unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}
_OPERATOR_SYMBOLS: dict[type, str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}


class ExprError(CLIError):
    """The expression text is malformed, not allowed, or uses an unknown name."""


@dataclass(frozen=True)
class ParsedExpr:
    """A validated expression: its ast and the variable names it uses (in first-use order)."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]


def _where(node: ast.AST, text: str) -> str:
    segment = ast.get_source_segment(text, node)
    if segment is None:
        return ""
    segment = " ".join(segment.split())
    if len(segment) > 40:
        segment = segment[:37] + "..."
    return f" (at {segment!r})"


def _reject(node: ast.AST, text: str) -> ExprError:
    kind = type(node)
    if kind in _DESCRIPTIONS:
        what = _DESCRIPTIONS[kind]
    elif kind in _OPERATOR_SYMBOLS:
        what = f"the operator {_OPERATOR_SYMBOLS[kind]!r}"
    else:
        what = f"{kind.__name__} syntax"
    return ExprError(
        f"EXPR may not contain {what}{_where(node, text)}; allowed: numbers, variable "
        "names, + - * / **, unary minus, parentheses and calls of " + ", ".join(FUNCTIONS)
    )


def _check_constant(node: ast.Constant, text: str) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "booleans" if isinstance(value, bool) else f"{type(value).__name__} literals"
        raise ExprError(f"EXPR may not contain {kind}{_where(node, text)}; use numbers")
    try:
        as_float = float(value)
    except OverflowError:
        raise ExprError(
            f"the number {str(value)[:20]}... in EXPR is too large for a float"
        ) from None
    if not math.isfinite(as_float):
        raise ExprError(f"the number {value!r} in EXPR is not finite")


def _check_call(node: ast.Call, text: str) -> None:
    if not isinstance(node.func, ast.Name):
        if isinstance(node.func, ast.Attribute):
            raise ExprError(
                f"EXPR may not contain attribute access (a '.'){_where(node.func, text)}; "
                "call the functions by name, e.g. tanh(x)"
            )
        raise ExprError(f"EXPR may only call a function by its name{_where(node, text)}")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExprError(
            f"unknown function {name!r} in EXPR; supported: " + ", ".join(FUNCTIONS)
        )
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExprError(
            f"{name}() takes exactly one positional argument{_where(node, text)}, "
            f"e.g. {name}(x)"
        )


def parse_expr(text: str) -> ParsedExpr:
    """Parse and validate ``text`` against the whitelist; return the tree and its variable names.

    Raises :class:`ExprError` (one line, naming the problem) for text that is
    empty, too long (> :data:`MAX_LENGTH` characters), too deeply nested
    (> :data:`MAX_DEPTH` levels), not valid syntax, or that uses anything
    outside the whitelist.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("EXPR is empty; write an expression such as 'tanh(x*w + b)'")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"EXPR is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    if "\x00" in text:
        raise ExprError("EXPR contains a NUL character")
    try:
        with warnings.catch_warnings():  # e.g. "1if x else 2": a SyntaxWarning, not our line
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        detail = exc.msg or "invalid syntax"
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ExprError(f"EXPR is not a valid expression: {detail}{col}") from None
    except (RecursionError, MemoryError):
        raise ExprError(
            f"EXPR is nested too deeply to parse; the limit is {MAX_DEPTH} levels"
        ) from None
    text = text.strip()
    names: dict[str, None] = {}
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(f"EXPR is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            _check_constant(node, text)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExprError(
                    f"{node.id!r} is a function: call it, e.g. {node.id}(x), in EXPR"
                )
            names[node.id] = None
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise _reject(node.op, text)
            stack.append((node.right, depth + 1))
            stack.append((node.left, depth + 1))
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise _reject(node.op, text)
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            _check_call(node, text)
            stack.append((node.args[0], depth + 1))
        else:
            raise _reject(node, text)
    if not names:
        raise ExprError(
            "EXPR has no variables, so there is nothing to differentiate; "
            "use names such as x and bind them with --set x=2"
        )
    return ParsedExpr(text, tree, tuple(names))


def normalize_name(name: str) -> str:
    """A variable name as Python's parser sees it: NFKC-normalized (``ｘ`` is ``x``)."""
    return unicodedata.normalize("NFKC", name)


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """Parse ``--set NAME=NUMBER`` items into ``{name: value}``.

    Names follow the same rules as names in EXPR, which are Python's:
    identifiers in any script (``x``, ``w_1``, ``α``, ``가중치``), compared
    after NFKC normalization, as Python's parser does (``--set ｘ=1`` sets
    ``x``); keywords (``if``, ``None``) are not names. A malformed item (no
    ``=``, a name that is not an identifier, a keyword or a function name, a
    value that is not a finite number) or a repeated name is an
    :class:`ExprError` naming the item.
    """
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = normalize_name(name.strip()), raw.strip()
        if not sep or not name or not raw:
            raise ExprError(f"malformed --set {item!r}: write NAME=NUMBER, e.g. --set x=2")
        if not name.isidentifier():
            raise ExprError(
                f"malformed --set {item!r}: {name!r} is not a valid name "
                "(letters, digits and _, not starting with a digit)"
            )
        if keyword.iskeyword(name):
            raise ExprError(
                f"malformed --set {item!r}: {name!r} is a Python keyword, not a name; "
                "choose another name"
            )
        if name in FUNCTIONS:
            raise ExprError(f"malformed --set {item!r}: {name!r} is a function name")
        try:
            if not raw.isascii():  # float() also reads '١٢'; EXPR's numbers are ASCII only
                raise ValueError(raw)
            value = float(raw)
        except ValueError:
            raise ExprError(f"malformed --set {item!r}: {raw!r} is not a number") from None
        if not math.isfinite(value):
            raise ExprError(f"malformed --set {item!r}: the value must be a finite number")
        if name in out:
            raise ExprError(f"--set {name}=... is given twice")
        out[name] = value
    return out


def build(
    parsed: ParsedExpr, values: Mapping[str, float]
) -> tuple[Value, dict[str, Value], dict[int, str]]:
    """Evaluate ``parsed`` on Values: one leaf per variable, labelled with its name.

    Returns ``(root, leaves, sources)``: ``sources`` maps ``id(node)`` of each
    operation node to the sub-expression that computed it (e.g. ``"x * w"``).
    Every name used must be in ``values`` (else an :class:`ExprError` naming
    the missing ones); names in ``values`` that the expression does not use
    are ignored (the caller may warn).
    """
    missing = [n for n in parsed.names if n not in values]
    if missing:
        which = ", ".join(repr(n) for n in missing)
        hint = " ".join(f"--set {n}=..." for n in missing)
        raise ExprError(f"EXPR uses {which} but no value was given; add {hint}")
    leaves = {n: Value(values[n], label=n) for n in parsed.names}
    # Post-order walk with an explicit stack: (node, children already evaluated?).
    results: list[Any] = []
    sources: dict[int, str] = {}
    stack: list[tuple[ast.AST, bool]] = [(parsed.tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append(float(node.value))
        elif isinstance(node, ast.Name):
            results.append(leaves[node.id])
        elif not ready:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                stack.append((node.right, False))
                stack.append((node.left, False))
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, False))
            else:
                stack.append((node.args[0], False))  # type: ignore[attr-defined]
        elif isinstance(node, ast.BinOp):
            right, left = results.pop(), results.pop()
            op = _BINARY[type(node.op)][1]
            if not isinstance(left, Value) and not isinstance(right, Value):
                # numbers only: stay a number, computed with the engine's rules (1/0 = inf)
                results.append(op(Value(left), right).data)
            else:
                results.append(op(left, right))
        elif isinstance(node, ast.UnaryOp):
            operand = results.pop()
            results.append(_UNARY[type(node.op)](operand))
        else:
            arg = results.pop()
            fn = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
            results.append(fn(arg) if isinstance(arg, Value) else fn(Value(arg)).data)
        if ready and isinstance(results[-1], Value) and results[-1].parents:
            sources.setdefault(id(results[-1]), ast.unparse(node))
    (root,) = results
    return root, leaves, sources
