"""What the reliability features cost when nobody uses them (issue 13).

* the lock around each backward pass (threads): the micrograd demo step with
  the lock and with it replaced by a no-op, interleaved, medians; plus the
  lock's own cost per pass from a microbenchmark;
* anomaly detection when off: steps before and after a ``detect_anomaly()``
  block (nothing may be left behind), and the cost inside it, for scale.

Run: ``python benchmarks/bench_reliability.py [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

import numpy as np

import autograd
from autograd import Value, _core


def demo_step_factory():
    rng = np.random.default_rng(1)
    t = rng.uniform(0, np.pi, 100)
    X = np.c_[np.cos(t), np.sin(t)] + rng.normal(0, 0.1, (100, 2))
    y = [1.0] * 50 + [-1.0] * 50
    random.seed(1337)
    sizes = [2, 16, 16, 1]
    layers = [
        [([Value(random.uniform(-1, 1)) for _ in range(a)], Value(0.0)) for _ in range(b)]
        for a, b in itertools.pairwise(sizes)
    ]
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    rows = X.tolist()

    def step() -> float:
        start = time.perf_counter()
        with autograd.gc_paused():
            scores = []
            for row in rows:
                x = [Value(v) for v in row]
                for i, layer in enumerate(layers):
                    out = []
                    for w, b in layer:
                        act = b
                        for wi, xi in zip(w, x):
                            act = act + wi * xi
                        out.append(act.relu() if i < len(layers) - 1 else act)
                    x = out
                scores.append(x[0])
            losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
            total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
            for p in params:
                p.grad = 0.0
            total.backward()
        return time.perf_counter() - start

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    step = demo_step_factory()
    step()  # warm up

    lock = _core._PASS_LOCK
    lock_cost = min(timeit.repeat(lambda: lock.__enter__() or lock.__exit__(None, None, None),
                                  number=100_000, repeat=5)) / 100_000
    with_lock, without_lock = [], []
    for _ in range(args.repeats * args.steps):  # alternate step by step: load hits both alike
        with_lock.append(step())
        _core._PASS_LOCK = contextlib.nullcontext()
        try:
            without_lock.append(step())
        finally:
            _core._PASS_LOCK = lock
    a, b = statistics.median(with_lock), statistics.median(without_lock)
    print(f"micrograd demo step, pass lock:    {a * 1e3:8.2f} ms   without it {b * 1e3:8.2f} ms"
          f"   ratio {a / b:.3f}")
    print(f"  the lock itself: {lock_cost * 1e9:.0f} ns per pass = "
          f"{lock_cost / a * 100:.5f}% of a step (one backward pass per step)")

    from autograd import tensor

    plain = (Value.__add__, Value.__mul__, Value.relu, tensor._node, _core._anomaly_hook[0])
    before = [step() for _ in range(args.steps * args.repeats)]
    with autograd.detect_anomaly():
        inside = [step() for _ in range(max(2, args.steps))]
    after = [step() for _ in range(args.steps * args.repeats)]
    restored = plain == (Value.__add__, Value.__mul__, Value.relu, tensor._node,
                         _core._anomaly_hook[0])
    m_before, m_after, m_inside = map(statistics.median, (before, after, inside))
    print(f"anomaly detection off: before a detect_anomaly() block {m_before * 1e3:8.2f} ms, "
          f"after it {m_after * 1e3:8.2f} ms   ratio {m_after / m_before:.3f}")
    print(f"  after the block the engine runs the very same functions as before: {restored}"
          " (nothing is checked, so nothing is paid)")
    print(f"  inside the block (every op checked): {m_inside * 1e3:8.2f} ms "
          f"({m_inside / m_before:.1f}x)")


if __name__ == "__main__":
    main()
