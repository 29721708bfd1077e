"""chainrule's scalar engine against micrograd 0.1.0, in the same run.

Workloads (ANCHORS.md):

* micrograd's demo: two moons (100 points, noise 0.1, seed 1), MLP(2, [16, 16, 1])
  with micrograd's init (``random.seed(1337)``: both libraries draw the same
  weights), hinge loss ``mean(relu(1 − y·score)) + 1e-4·Σp²``, SGD with
  ``lr = 1.0 − 0.9·k/100``. Both engines run the same steps from the same
  weights, so their losses must agree step for step.
* a deep chain ``y = y * 1.0000001 + 0`` of N links: build and backward time.
* bytes per graph node (tracemalloc) for the demo graph and the chain.

Run: ``python benchmarks/bench_micrograd.py`` (``--micrograd-steps 100`` for the
full micrograd run: about 3 minutes).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd
import nn.scalar


def load_moons():
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.tolist(), (y * 2 - 1).tolist()


def demo_loss(Value, model, X, y):
    inputs = [[Value(a), Value(b)] for a, b in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    return total, accuracy


def run_demo_losses(engine: str, steps: int, pause_gc: bool):
    """Train ``steps`` steps; return per-step seconds, losses and accuracies."""
    times, accs = [], []
    if engine == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP
    else:
        Value, MLP = autograd.Value, nn.scalar.MLP
    X, y = load_moons()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        start = time.perf_counter()
        ctx = autograd.gc_paused() if pause_gc else _NoPause()
        with ctx:
            total, acc = demo_loss(Value, model, X, y)
            model.zero_grad()
            total.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= lr * p.grad
            losses.append(total.data)
            del total
        times.append(time.perf_counter() - start)
        accs.append(acc)
    return times, losses, accs


class _NoPause:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def chain(Value, n: int):
    x = Value(1.0)
    y = x
    start = time.perf_counter()
    for _ in range(n):
        y = y * 1.0000001 + 0.0
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    return built - start, done - built, x.grad


def bytes_per_node(build, count) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    graph = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = count(graph)
    del graph
    return (after - before) / nodes


def count_nodes(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="chainrule demo steps")
    parser.add_argument("--micrograd-steps", type=int, default=8, help="micrograd demo steps")
    parser.add_argument("--chain", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()

    print("== micrograd demo: two moons, MLP(2,[16,16,1]), hinge + L2, SGD ==")
    have_micrograd = True
    try:
        import micrograd  # noqa: F401
    except ImportError:
        have_micrograd = False
        print("micrograd not installed (pip install micrograd==0.1.0): its column is skipped")

    cr_t, cr_loss, cr_acc = run_demo_losses("chainrule", args.steps, pause_gc=True)
    cr_gc_t, _cr_gc_loss, _ = run_demo_losses("chainrule", min(args.steps, 20), pause_gc=False)
    rows = [
        ("chainrule, step in gc_paused()", statistics.median(cr_t)),
        ("chainrule, collector on", statistics.median(cr_gc_t)),
    ]
    if have_micrograd:
        mg_t, mg_loss, _mg_acc = run_demo_losses("micrograd", args.micrograd_steps, pause_gc=False)
        rows.append(("micrograd 0.1.0 (as users run it)", statistics.median(mg_t)))
        same = all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(cr_loss, mg_loss))
    mg_med = rows[-1][1] if have_micrograd else None
    print(f"{'engine':38s} {'s/step (median)':>16s} {'speed-up vs micrograd':>22s}")
    for name, med in rows:
        ratio = f"{mg_med / med:21.1f}x" if mg_med else "n/a"
        print(f"{name:38s} {med:16.4f} {ratio:>22s}")
    print(
        f"chainrule after {args.steps} steps: loss {cr_loss[-1]:.6f}, "
        f"accuracy {cr_acc[-1]:.0%} (step 0: loss {cr_loss[0]:.6f}, accuracy {cr_acc[0]:.0%})"
    )
    if have_micrograd:
        n = len(mg_loss)
        print(
            f"losses identical to micrograd's over the {n} steps both ran: {same} "
            f"(micrograd step {n - 1}: {mg_loss[-1]:.9f}, chainrule: {cr_loss[n - 1]:.9f})"
        )

    print("\n== deep chain y = y*1.0000001 + 0 (2 nodes per link) ==")
    print(f"{'N':>10s} {'build s':>9s} {'backward s':>11s} {'us/link':>8s}")
    for n in args.chain:
        with autograd.gc_paused():
            build, back, _grad = chain(autograd.Value, n)
        print(f"{n:10d} {build:9.3f} {back:11.3f} {1e6 * (build + back) / n:8.2f}")
    if have_micrograd:
        from micrograd.engine import Value as MicrogradValue

        try:
            chain(MicrogradValue, 1000)
            print("micrograd: chain of 1,000 links works")
        except RecursionError:
            print(
                "micrograd: RecursionError on a chain of 1,000 links (recursive topological sort)"
            )

    print("\n== bytes per graph node (tracemalloc) ==")
    X, y = load_moons()

    def demo_graph(Value, MLP):
        random.seed(1337)
        model = MLP(2, [16, 16, 1])
        return lambda: (demo_loss(Value, model, X, y)[0], model)

    def chain_graph(Value):
        def build():
            y = Value(1.0)
            for _ in range(20_000):
                y = y * 1.0000001 + 0.0
            return y

        return build

    engines = [("chainrule", autograd.Value, nn.scalar.MLP)]
    if have_micrograd:
        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP as MicrogradMLP  # noqa: N811

        engines.append(("micrograd", MicrogradValue, MicrogradMLP))
    results = {}
    for name, V, M in engines:
        with autograd.gc_paused():
            moons = bytes_per_node(demo_graph(V, M), lambda g: count_nodes(g[0]))
            chain_b = bytes_per_node(chain_graph(V), count_nodes)
        results[name] = (moons, chain_b)
        print(f"{name:10s} moons graph {moons:6.0f} B/node   chain {chain_b:6.0f} B/node")
    if have_micrograd:
        cm, cc = results["chainrule"]
        mm, mc = results["micrograd"]
        print(f"ratio chainrule/micrograd: moons {cm / mm:.2f}, chain {cc / mc:.2f}")


if __name__ == "__main__":
    main()
