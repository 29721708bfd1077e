"""Drawing speed of ``viz.draw_graph``: a 1,000-node graph and the collapsed micrograd demo step.

Workloads:

* one data point through micrograd's demo network MLP(2, [16, 16, 1]) plus its
  hinge loss: about 1,000 nodes, drawn node by node (compact: ops folded into
  the boxes, as ``compact="auto"`` does above 200 nodes). Target: < 1 s.
* one full demo step (100 two-moons points, hinge loss + 1e-4·Σp²): about
  65,600 nodes, collapsed by module (``collapse="module"``). Target: < 5 s.

For each: DOT build time and DOT + SVG render time (median of ``--repeat``).
``--full-detail`` also times the 1,000-node graph with op ovals and edge
labels (slow in Graphviz: for information only).

Run: ``python benchmarks/bench_viz.py``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd import Value, topological_order
from nn.scalar import MLP
from viz import draw_graph


def moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, labels ±1 (numpy only)."""
    rng = np.random.default_rng(seed)
    n1 = n // 2
    t1, t2 = np.linspace(0, np.pi, n1), np.linspace(0, np.pi, n - n1)
    X = np.concatenate([np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]])
    X += rng.normal(scale=noise, size=X.shape)
    return X, np.concatenate([-np.ones(n1), np.ones(n - n1)])


def demo_loss(n_points: int) -> tuple[MLP, Value]:
    """The micrograd demo's loss on the first ``n_points`` points, after backward."""
    random.seed(1337)
    X, y = moons()
    model = MLP(2, [16, 16, 1])
    X, y = X[:n_points], y[:n_points]
    scores = [model([Value(a), Value(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses))
    if n_points > 1:
        loss = loss + 1e-4 * sum(p * p for p in model.parameters())
    loss.backward()
    return model, loss


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--full-detail", action="store_true")
    args = parser.parse_args()

    model, loss = demo_loss(1)
    n = len(topological_order(loss))
    build, graph = timed(lambda: draw_graph(loss, params=model, max_nodes=2000), args.repeat)
    render, _ = timed(lambda: draw_graph(loss, params=model, max_nodes=2000).svg(), args.repeat)
    print(
        f"1,000-node graph ({n:,} nodes, compact): DOT build {build * 1e3:.1f} ms, "
        f"DOT + SVG {render:.3f} s (target < 1 s)"
    )
    if args.full_detail:
        full, _ = timed(
            lambda: draw_graph(loss, params=model, max_nodes=2000, compact=False).svg(), 1
        )
        print(f"  same graph with op ovals and edge labels: {full:.2f} s")

    t0 = time.perf_counter()
    model, loss = demo_loss(100)
    built = time.perf_counter() - t0
    n = len(topological_order(loss))
    build, graph = timed(lambda: draw_graph(loss, collapse="module", params=model), args.repeat)
    render, _ = timed(lambda: draw_graph(loss, collapse="module", params=model).svg(), args.repeat)
    print(
        f"micrograd demo step ({n:,} nodes, forward+backward {built:.2f} s) collapsed to "
        f"{graph.n_boxes} boxes: DOT build {build:.3f} s, DOT + SVG {render:.3f} s "
        "(target < 5 s)"
    )


if __name__ == "__main__":
    main()
