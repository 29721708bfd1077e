"""``chainrule graph`` and ``chainrule steps``: one expression, its graph and its backward pass."""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from typing import Any

from autograd import Value, topological_order

from .errors import CLIError
from .expr import ParsedExpr, build, parse_assignments, parse_expr
from .output import check_out_file, write_bytes, write_files

__all__ = ["GRAPH_SUFFIXES", "add_expr_arguments", "run_graph", "run_steps"]

GRAPH_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")
MAX_DRAWN_NODES = 500
MAX_STEP_NODES = 2000
_ROOT_NAMES = ("f", "out", "result", "L")


def num(x: float) -> str:
    """A number for the terminal: up to 6 significant digits (``nan``/``inf`` as such)."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.6g}"


def _evaluate(
    args: argparse.Namespace,
) -> tuple[ParsedExpr, Value, dict[str, Value], dict[int, str]]:
    """Parse EXPR and the --set items, build the graph and name its root."""
    parsed = parse_expr(args.expr)
    values = parse_assignments(args.set or [])
    root, leaves, sources = build(parsed, values)
    unused = [n for n in values if n not in leaves]
    if unused:
        names = ", ".join(unused)
        print(f"chainrule: warning: --set {names} not used in EXPR (ignored)", file=sys.stderr)
    if root.parents:  # an operation, not a bare variable: give the result a name
        name = next((n for n in _ROOT_NAMES if n not in leaves), "f")
        while name in leaves:
            name += "_"
        root.label = name
    return parsed, root, leaves, sources


def _gradient_summary(root: Value, leaves: dict[str, Value]) -> str:
    grads = ", ".join(f"∂{root.label}/∂{n} = {num(v.grad)}" for n, v in leaves.items())
    return f"{root.label or 'f'} = {num(root.data)}; {grads}"


def run_graph(args: argparse.Namespace) -> int:
    """Render EXPR's graph (data, gradients, local derivatives) to --out; format by suffix."""
    out = check_out_file(args.out, GRAPH_SUFFIXES)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("dot", "gv") and shutil.which("dot") is None:
        raise CLIError(
            f"writing .{fmt} needs the Graphviz 'dot' program, which is not on PATH; install "
            "it (apt-get install graphviz / brew install graphviz) or write a .dot file",
            exit_code=1,
        )
    parsed, root, leaves, _ = _evaluate(args)
    n_nodes = len(topological_order(root))
    if n_nodes > MAX_DRAWN_NODES:
        raise CLIError(
            f"EXPR's graph has {n_nodes:,} nodes; chainrule graph draws at most "
            f"{MAX_DRAWN_NODES}: use a shorter expression"
        )
    root.backward()
    from viz import GraphvizError, draw_graph

    settings = ", ".join(f"{n}={num(v.data)}" for n, v in leaves.items())
    graph = draw_graph(
        root,
        rankdir=args.rankdir,
        title=f"{parsed.text}   ({settings})",
        timeout=args.timeout,
    )
    try:
        data = graph.pipe(fmt)
    except GraphvizError as exc:  # missing, broken, or out of time: one line, exit 1
        raise CLIError(str(exc), exit_code=1) from None
    write_files({out: write_bytes(data)})
    print(f"wrote {out} ({n_nodes} nodes): {_gradient_summary(root, leaves)}")
    return 0


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), line]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(out)


def _steps_page(steps: Any, title: str, timeout: float | None) -> bytes:
    """The step-through page; a missing, broken or too slow ``dot`` is a one-line error."""
    from viz import GraphvizError

    steps.timeout = timeout
    try:
        return steps.to_html(title=title, strict=True).encode("utf-8")
    except GraphvizError as exc:
        raise CLIError(f"--html needs Graphviz: {exc}", exit_code=1) from None


def run_steps(args: argparse.Namespace) -> int:
    """Print the backward pass of EXPR node by node, then the chain-rule product per variable."""
    html_out = check_out_file(args.html, (".html", ".htm"), "--html") if args.html else None
    parsed, root, leaves, sources = _evaluate(args)
    n_nodes = len(topological_order(root))
    if n_nodes > MAX_STEP_NODES:
        raise CLIError(
            f"EXPR's graph has {n_nodes:,} nodes; chainrule steps prints at most "
            f"{MAX_STEP_NODES:,}: use a shorter expression"
        )
    from viz import backprop_steps

    steps = backprop_steps(root)
    L = steps.root_name
    page = _steps_page(steps, f"{L} = {parsed.text}", args.timeout) if html_out else None
    settings = ", ".join(f"{n} = {num(v.data)}" for n, v in leaves.items())
    print(f"{L} = {parsed.text}   with {settings}")
    print(f"{L} = {num(root.data)}")
    print()
    print(f"Backward pass, in the engine's order (∂{L}/∂{L} = 1):")
    header = ["step", "node", "op", f"upstream ∂{L}/∂node", "parent", "local ∂node/∂parent",
              f"contribution to ∂{L}/∂parent"]
    rows: list[list[str]] = []
    for s in steps:
        first = [str(s.index), s.name, s.op or "leaf", num(s.upstream)]
        if not s.parents:
            rows.append([*first, "-", "-", "- (leaf: gradient final)"])
            continue
        for k, (pname, contrib) in enumerate(zip(s.parent_names, s.contributions)):
            lead = first if k == 0 else ["", "", "", ""]
            local = num(s.local[k]) if s.local is not None and k < len(s.local) else "-"
            if contrib is None:
                rows.append([*lead, pname, local, "none needed"])
            else:
                rows.append([*lead, pname, local, f"{num(s.upstream)} · {local} = {num(contrib)}"])
    print(_table(rows, header))
    named = [(s.name, sources[id(s.node)]) for s in steps
             if s.node is not root and id(s.node) in sources]
    if named:
        print("where " + ", ".join(f"{name} = {text}" for name, text in named))
    print()
    print("Chain rule for each variable (a product of local derivatives along each path):")
    for name, leaf in leaves.items():
        if leaf is root:
            print(f"∂{L}/∂{name} = 1 (EXPR is the variable {name} itself)")
            continue
        print(steps.chain_rule(leaf, by_label=False))
        print(f"  ∂{L}/∂{name} = {num(leaf.grad)}  (the engine's {name}.grad)")
    if html_out is not None and page is not None:
        write_files({html_out: write_bytes(page)})
        print(f"\nwrote {html_out}: {len(steps)} steps, prev/next buttons, a slider, ← → keys")
    return 0


def add_expr_arguments(parser: argparse.ArgumentParser) -> None:
    """EXPR and --set, shared by ``graph`` and ``steps``."""
    parser.add_argument(
        "expr",
        metavar="EXPR",
        help="an expression such as 'tanh(x*w + b)'; allowed: numbers, names, + - * / **, "
        "unary minus, parentheses, and tanh exp log sqrt relu sigmoid softplus mish "
        "leaky_relu abs sign sin cos",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=NUMBER",
        help="give a variable its value (repeat for each variable), e.g. --set x=2 --set w=-3",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=10.0,
        metavar="SECONDS",
        help="stop Graphviz after this many seconds (default 10; 0 = no limit)",
    )


def _timeout(text: str) -> float | None:
    """``--timeout``: positive seconds, or 0 for no limit."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: use a number of seconds >= 0")
    return value or None

