"""Drawing speed of ``viz.draw_graph`` on the graph shapes that make Graphviz slow.

Workloads (each drawn after backward, rendered to SVG by ``dot``):

* ``rnn30`` / ``rnn60``: h ← tanh(w·h + xₜ) for 30 / 60 steps, one weight w
  shared by every step (123 / 243 nodes). Targets < 3 s / < 5 s.
* ``nested``: tanh(tanh(…(x·w + b)…)·w + b), 26 levels sharing w and b
  (81 nodes; what ``chainrule graph`` drew). Target < 3 s.
* ``reuse100``: one leaf x used 100 times, acc ← acc + tanh(x·k) (302 nodes).
  Target < 3 s.
* ``dense1000``: 20 leaves, 330 terms tanh(xᵢ·xⱼ) for random i, j, summed
  (1,009 nodes). Target < 2 s.
* ``mlp1``: one data point through micrograd's demo net MLP(2, [16, 16, 1]) and
  its hinge loss (≈1,000 nodes). Target < 1 s.
* ``constants60``: Σ ½(xₖ − 1)² over 60 terms, drawn in full (``compact=False``):
  300 nodes and 181 Python numbers, each a small grey box in its op. Target < 3 s.
* ``batch30``: one data batch (a Tensor that needs no gradient) and one target
  array used by 30 terms mean((tanh(X·Wₖ) − Y)²), drawn in full: 209 nodes and 90
  constants. Target < 3 s.
* ``demo_collapsed``: one full demo step (100 points, hinge + 1e-4·Σp²,
  65,614 nodes) with ``collapse="module"``. Target < 5 s.

For each: DOT build time and DOT + SVG render time, medians of ``--repeat``.
The peer is this project's drawing code at another git revision (``--rev``,
default ``c8ce055``, before the layout work), run once per workload in a
subprocess that is stopped after ``--peer-timeout`` seconds; the ratio is
peer / this tree. ``--no-peer`` skips it.

Run: ``python benchmarks/bench_viz.py [--repeat 5] [--rev REV] [--no-peer]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REV = "c8ce055"

# The workloads, as source text so that the peer revision runs exactly the same code.
# Uses only Value, nn.scalar.MLP and draw_graph's long-standing options.
WORKLOADS = r'''
import random
import numpy as np
from autograd import Value


def rnn(steps):
    rng = random.Random(0)
    w, h = Value(0.5, label="w"), Value(0.0, label="h0")
    for t in range(steps):
        h = (w * h + Value(rng.uniform(-1, 1), label=f"x{t}")).tanh()
    h.label = "h"
    return h, {}


def nested(levels=26):
    x, w, b = Value(0.5, label="x"), Value(-1.0, label="w"), Value(0.2, label="b")
    y = x
    for _ in range(levels):
        y = (y * w + b).tanh()
    y.label = "f"
    return y, {}


def reuse(uses=100):
    x, acc = Value(0.3, label="x"), Value(0.0, label="acc0")
    for k in range(uses):
        acc = acc + (x * (k + 1)).tanh()
    acc.label = "acc"
    return acc, {}


def dense(leaves=20, terms=330, seed=0):
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(leaves)]
    total = Value(0.0, label="s0")
    for _ in range(terms):
        total = total + (xs[rng.randrange(leaves)] * xs[rng.randrange(leaves)]).tanh()
    total.label = "s"
    return total, {}


def constants(terms=60):
    xs = [Value(0.1 * k, label=f"x{k}") for k in range(terms)]
    C = sum(0.5 * (x - 1.0) ** 2 for x in xs)
    C.label = "C"
    return C, {"compact": False}


def batch(terms=30, seed=0):
    from autograd import Tensor
    rng = np.random.default_rng(seed)
    X = Tensor(rng.normal(size=(8, 2)), label="xbatch")
    Y = np.ones((8, 3))
    total = None
    for k in range(terms):
        W = Tensor(rng.normal(size=(2, 3)), requires_grad=True, label=f"W{k}")
        term = (((X @ W).tanh() - Y) ** 2).mean()
        total = term if total is None else total + term
    total.label = "loss"
    return total, {"compact": False}


def moons(n=100, noise=0.1, seed=1):
    rng = np.random.default_rng(seed)
    n1 = n // 2
    t1, t2 = np.linspace(0, np.pi, n1), np.linspace(0, np.pi, n - n1)
    X = np.concatenate([np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]])
    X += rng.normal(scale=noise, size=X.shape)
    return X, np.concatenate([-np.ones(n1), np.ones(n - n1)])


def demo(n_points):
    from nn.scalar import MLP
    random.seed(1337)
    X, y = moons()
    model = MLP(2, [16, 16, 1])
    X, y = X[:n_points], y[:n_points]
    scores = [model([Value(a), Value(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses))
    if n_points > 1:
        loss = loss + 1e-4 * sum(p * p for p in model.parameters())
    return loss, {"params": model}


CASES = {
    "rnn30": (lambda: rnn(30), {}, 3.0),
    "rnn60": (lambda: rnn(60), {}, 5.0),
    "nested": (nested, {}, 3.0),
    "reuse100": (reuse, {}, 3.0),
    "dense1000": (dense, {"max_nodes": 2000}, 2.0),
    "mlp1": (lambda: demo(1), {"max_nodes": 2000}, 1.0),
    "constants60": (constants, {}, 3.0),
    "batch30": (batch, {}, 3.0),
    "demo_collapsed": (lambda: demo(100), {"collapse": "module"}, 5.0),
}


def build(name):
    make, options, target = CASES[name]
    root, extra = make()
    root.backward()
    return root, {**options, **extra}, target
'''

# Runs in a subprocess with sys.path[0] = the peer revision's tree: one render, timed.
PEER = r"""
import json, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
exec(sys.argv[3])
from viz import draw_graph
root, options, _ = build(sys.argv[2])
options.setdefault("max_nodes", 5000)
t0 = time.perf_counter()
source = draw_graph(root, **options).source
t1 = time.perf_counter()
subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True)
print(json.dumps({"build": t1 - t0, "total": time.perf_counter() - t0}))
"""


def measure(root, options: dict, repeat: int) -> tuple[float, float]:
    """Medians of the DOT build time and of DOT + SVG."""
    from viz import draw_graph

    build = timed(lambda: draw_graph(root, **options), repeat)
    total = timed(lambda: draw_graph(root, **options).svg(), repeat)
    return build, total


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peer_time(tree: Path, name: str, limit: float) -> str:
    """The peer revision's DOT + SVG time for one workload, or ``> limit`` when stopped.

    The peer runs in a session of its own, so that stopping it also stops its
    ``dot`` (which would otherwise go on using a core during later measurements).
    """
    with subprocess.Popen(
        [sys.executable, "-c", PEER, str(tree), name, WORKLOADS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return f"> {limit:.0f} s"
    if proc.returncode != 0:
        return "error: " + (err.strip().splitlines() or ["?"])[-1][:60]
    return f"{json.loads(out)['total']:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rev", default=DEFAULT_REV, help="peer revision (default %(default)s)")
    parser.add_argument("--peer-timeout", type=float, default=60.0)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("cases", nargs="*", help="workloads to run (default: all)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from autograd import topological_order
    from viz import draw_graph

    namespace: dict = {}
    exec(WORKLOADS, namespace)
    names = args.cases or list(namespace["CASES"])
    peer_tree = None
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_peer:
            peer_tree = Path(tmp) / "peer"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(peer_tree),
                 args.rev],
                check=True,
            )
        try:
            print(f"{'workload':15} {'nodes':>7} {'boxes':>6} {'DOT':>9} {'DOT+SVG':>9} "
                  f"{'target':>7}  {'peer ' + args.rev:>16}  ratio")
            for name in names:
                root, options, target = namespace["build"](name)
                n = len(topological_order(root))
                graph = draw_graph(root, **options)
                build_s, total = measure(root, options, args.repeat)
                peer = peer_time(peer_tree, name, args.peer_timeout) if peer_tree else "-"
                ratio = ""
                if peer.endswith(" s") and not peer.startswith(">"):
                    ratio = f"{float(peer.split()[0]) / total:.1f}×"
                elif peer.startswith(">"):
                    ratio = f"> {args.peer_timeout / total:.0f}×"
                ok = "ok" if total < target else "SLOW"
                print(f"{name:15} {n:>7,} {graph.n_boxes:>6,} {build_s * 1e3:>7.1f}ms "
                      f"{total:>8.2f}s {'< ' + format(target, 'g') + ' s':>7} {ok:4} "
                      f"{peer:>12}  {ratio}", flush=True)
        finally:
            if peer_tree is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(peer_tree)], check=False)


if __name__ == "__main__":
    main()
