"""The ``chainrule`` console script: ``train``, ``graph``, ``steps`` and ``optimizers``.

``main(argv)`` returns the exit code: 0 on success, 2 for bad input (an
unknown data set or optimizer, a malformed ``--set``, an unknown name or a
disallowed construct in EXPR, an unusable ``--out``), 1 when a run fails (an
external program such as Graphviz ``dot`` is missing, training diverged).
Errors are one line on stderr, ``chainrule: error: <what is wrong>``, never a
traceback, and nothing is written. Only these expected errors are caught: a
real bug still shows its traceback.

Ctrl-C exits with 130 and SIGTERM with 143 (128 + the signal), after the same
clean-up: temporary files removed, an output directory the run created
removed. A closed stdout (``chainrule steps ... | head``) ends the run quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import NoReturn

from .errors import USAGE_ERROR, CLIError
from .expr_commands import add_expr_arguments, run_graph, run_steps
from .surfaces import add_optimizers_arguments, run_optimizers
from .train import add_train_arguments, run_train

__all__ = ["build_parser", "main"]

EPILOG = """examples:
  chainrule train moons --out runs/moons
  chainrule train spirals --hidden 32,32 --optimizer momentum --epochs 300 --out runs/spirals
  chainrule graph 'tanh(x*w + b)' --set x=2 --set w=-3 --set b=6.88 --out graph.svg
  chainrule steps 'tanh(x*w + b)' --set x=2 --set w=-3 --set b=6.88 --html steps.html
  chainrule optimizers --surface rosenbrock --out rosenbrock.png
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``chainrule: error: <message> (see chainrule … -h)``."""

    def error(self, message: str) -> NoReturn:
        one_line = " ".join(message.split())
        print(f"chainrule: error: {one_line} (see {self.prog} -h)", file=sys.stderr)
        raise SystemExit(USAGE_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its four subcommands."""
    parser = _Parser(
        prog="chainrule",
        description="chainrule: reverse-mode autodiff that shows its work.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    train = sub.add_parser(
        "train",
        help="train an MLP on a toy data set and write its pictures, metrics and weights",
        description="Train an MLP; write loss.png, decision_boundary.png (2-D data), "
        "metrics.json and model.npz into --out DIR.",
    )
    add_train_arguments(train)
    train.set_defaults(func=run_train)

    graph = sub.add_parser(
        "graph",
        help="draw an expression's computation graph with data and gradients",
        description="Draw EXPR's graph after backward: each value with its data and gradient, "
        "each edge with its local derivative. Format from --out's suffix.",
    )
    add_expr_arguments(graph)
    graph.add_argument("--out", required=True, metavar="FILE",
                       help="the picture: .svg, .png, .pdf (need Graphviz) or .dot")
    graph.add_argument("--rankdir", default=None, choices=("LR", "TB", "RL", "BT"),
                       help="layout direction (default: left to right when that fits 1,000 pt, "
                       "else top to bottom)")
    graph.set_defaults(func=run_graph)

    steps = sub.add_parser(
        "steps",
        help="print the backward pass of an expression step by step",
        description="Print EXPR's backward pass node by node in the engine's order, then "
        "each variable's gradient as a product of local derivatives (the chain rule).",
    )
    add_expr_arguments(steps)
    steps.add_argument("--html", metavar="FILE",
                       help="also write a self-contained page that steps through the pictures "
                       "(prev/next buttons, a slider, arrow keys; needs Graphviz)")
    steps.set_defaults(func=run_steps)

    optimizers = sub.add_parser(
        "optimizers",
        help="draw several optimizers' paths on a 2-D test surface",
        description="Run SGD, momentum, Adagrad, RMSprop and Adam from the same start on a "
        "test surface and draw their paths over its contours.",
    )
    add_optimizers_arguments(optimizers)
    optimizers.set_defaults(func=run_optimizers)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that every clean-up runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, already printed)
        return int(exc.code or 0) if not isinstance(exc.code, str) else USAGE_ERROR
    with _sigterm_as_interrupt():
        try:
            return int(args.func(args))
        except CLIError as exc:
            print(f"chainrule: error: {exc.one_line}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            print(f"chainrule: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
            return 128 + (signal.SIGTERM if terminated else signal.SIGINT)
        except BrokenPipeError:
            # The reader went away (| head): send the rest of our output nowhere, quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return 128 + signal.SIGPIPE if hasattr(signal, "SIGPIPE") else 1


if __name__ == "__main__":
    sys.exit(main())
