"""``chainrule optimizers``: several optimizers' paths on one of optim's 2-D test surfaces."""

from __future__ import annotations

import argparse
import io
import math

import numpy as np

from .errors import CLIError
from .output import check_out_file, write_bytes, write_files
from .train import OPTIMIZER_NAMES, make_optimizer

__all__ = ["SURFACE_NAMES", "add_optimizers_arguments", "run_optimizers"]

# CLI name -> optim.SURFACES key
SURFACE_NAMES = {
    "saddle": "saddle",
    "camel": "six_hump_camel",
    "rosenbrock": "rosenbrock",
    "beale": "beale",
}

# Learning rates that give each optimizer a readable path in 200 steps from the
# surface's first suggested start (chosen by trying 1e-3 … 0.5 on each).
DEFAULT_LRS: dict[str, dict[str, float]] = {
    "saddle": {"sgd": 0.05, "momentum": 0.01, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.05},
    "camel": {"sgd": 0.05, "momentum": 0.01, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.05},
    "rosenbrock": {"sgd": 0.001, "momentum": 0.001, "adagrad": 0.5, "rmsprop": 0.05,
                   "adam": 0.1},
    "beale": {"sgd": 0.01, "momentum": 0.001, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.1},
}
# Where a surface's picture is most telling when optim's first suggested start is not:
# on the saddle, a start just off the stable axis shows plain gradient descent
# stalling at the saddle while the adaptive methods escape at once.
DEFAULT_STARTS: dict[str, tuple[float, float]] = {"saddle": (1.0, 1e-3)}
DEFAULT_STEPS: dict[str, int] = {"saddle": 100}
SUFFIXES = (".png", ".svg", ".pdf")


def _parse_point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise CLIError(f"--start {text!r}: write a point X,Y such as --start=-1.2,1") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise CLIError(f"--start {text!r}: the coordinates must be finite numbers")
    return x, y


def _parse_names(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPTIMIZER_NAMES]
    if unknown or not names:
        raise CLIError(
            f"--optimizers {text!r}: unknown optimizer {', '.join(map(repr, unknown)) or '(none)'}"
            f"; choose from {', '.join(OPTIMIZER_NAMES)}"
        )
    return list(dict.fromkeys(names))


def run_optimizers(args: argparse.Namespace) -> int:
    """Run each optimizer on the surface from the same start and draw their paths."""
    out = check_out_file(args.out, SUFFIXES)
    names = _parse_names(args.optimizers)
    if args.steps is None:
        args.steps = DEFAULT_STEPS.get(args.surface, 200)
    if not 1 <= args.steps <= 100_000:
        raise CLIError(f"--steps {args.steps}: use 1 … 100000 steps")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise CLIError(f"--lr {args.lr}: the learning rate must be a positive number")
    start = _parse_point(args.start) if args.start else None

    from optim import SURFACES, optimize
    from viz.plots import plot_optimizer_paths

    surface = SURFACES[SURFACE_NAMES[args.surface]]
    start = start or DEFAULT_STARTS.get(args.surface) or surface.starts[0]
    paths = {}
    for name in names:
        lr = args.lr if args.lr is not None else DEFAULT_LRS[args.surface][name]
        path = optimize(surface, lambda p, n=name, r=lr: make_optimizer(n, p, r)[0], start,
                        args.steps)
        end = path.points[-1]
        status = (
            f"ends at ({end[0]:.4g}, {end[1]:.4g}), f = {path.values[-1]:.4g}"
            if np.isfinite(path.values[-1])
            else "diverged (lower --lr)"
        )
        print(f"{name:9s} lr={lr:<7g} {status}")
        paths[f"{name} (lr={lr:g})"] = path
    fig = plot_optimizer_paths(
        surface,
        paths,
        title=f"{surface.name}: {args.steps} steps from ({start[0]:g}, {start[1]:g})",
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format=out.suffix.lower().lstrip("."), dpi=120)
    write_files({out: write_bytes(buffer.getvalue())})
    print(f"wrote {out}")
    return 0


def add_optimizers_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``optimizers`` subcommand's arguments."""
    parser.add_argument("--surface", required=True, choices=list(SURFACE_NAMES),
                        help="the test surface (camel = six-hump camel)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="the picture: .png, .svg or .pdf")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZER_NAMES),
                        help="comma-separated subset of " + ", ".join(OPTIMIZER_NAMES))
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per optimizer (default 200; saddle 100)")
    parser.add_argument("--lr", type=float, default=None,
                        help="one learning rate for all (default: a tuned one per optimizer)")
    parser.add_argument("--start", default=None, metavar="X,Y",
                        help="start point (default: optim's first suggested start for the "
                        "surface; saddle: 1,0.001)")
