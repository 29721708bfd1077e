"""chainrule's scalar engine against micrograd 0.1.0, in the same run.

Workloads (ANCHORS.md):

* micrograd's demo: two moons (100 points, noise 0.1, seed 1), MLP(2, [16, 16, 1])
  with micrograd's init (``random.seed(1337)``: both libraries draw the same
  weights), hinge loss ``mean(relu(1 − y·score)) + 1e-4·Σp²``, SGD with
  ``lr = 1.0 − 0.9·k/100``. The step is micrograd's demo code as written, only
  the imports differ (no ``gc_paused``). Four runs, interleaved step by step so
  that background load hits all of them alike: each engine as users run it
  (the cyclic garbage collector on) and with the collector disabled in both
  (the engines' own cost). All four start from the same weights, so their
  losses must agree step for step.
* a deep chain ``y = y * 1.0000001 + 0`` of N links: build and backward time.
* bytes per graph node (tracemalloc) for the demo graph and the chain.

Run: ``python benchmarks/bench_micrograd.py`` (``--micrograd-steps 100`` for the
full micrograd run: several minutes).
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
import autograd._backend
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


class DemoRun:
    """One engine training micrograd's demo, a step at a time (micrograd's code as written)."""

    def __init__(self, engine: str, collector: bool, X, y) -> None:
        if engine == "micrograd":
            from micrograd.engine import Value
            from micrograd.nn import MLP
        else:
            Value, MLP = autograd.Value, nn.scalar.MLP
        self.engine, self.collector, self.X, self.y = engine, collector, X, y
        self.Value = Value
        random.seed(1337)
        self.model = MLP(2, [16, 16, 1])
        self.k = 0
        self.times: list[float] = []
        self.losses: list[float] = []
        self.accuracies: list[float] = []

    @property
    def name(self) -> str:
        collector = "collector on (as users run it)" if self.collector else "collector off"
        return f"{self.engine}, {collector}"

    def step(self) -> None:
        was_enabled = gc.isenabled()
        if not self.collector:
            gc.disable()
        try:
            start = time.perf_counter()
            total, acc = demo_loss(self.Value, self.model, self.X, self.y)
            self.model.zero_grad()
            total.backward()
            lr = 1.0 - 0.9 * self.k / 100
            for p in self.model.parameters():
                p.data -= lr * p.grad
            loss = total.data
            del total
            self.times.append(time.perf_counter() - start)
        finally:
            if was_enabled:
                gc.enable()
        self.losses.append(loss)
        self.accuracies.append(acc)
        self.k += 1


def compare_demo(steps: int, micrograd_steps: int, have_micrograd: bool) -> None:
    X, y = load_moons()
    runs = [DemoRun("chainrule", True, X, y), DemoRun("chainrule", False, X, y)]
    if have_micrograd:
        runs += [DemoRun("micrograd", True, X, y), DemoRun("micrograd", False, X, y)]
    rounds = min(steps, micrograd_steps) if have_micrograd else steps
    for _ in range(rounds):  # interleaved: one step of each run in turn
        for run in runs:
            run.step()
    for _ in range(rounds, steps):  # chainrule alone to the end of training
        runs[0].step()
    print(f"{'engine':46s} {'s/step (median)':>16s}")
    for run in runs:
        print(f"{run.name:46s} {statistics.median(run.times[:rounds]):16.4f}")
    if have_micrograd:
        cr_on, cr_off, mg_on, mg_off = (statistics.median(r.times[:rounds]) for r in runs)
        print(
            f"chainrule vs micrograd, as users run them: {mg_on / cr_on:.1f}x faster; "
            f"collector off in both: {mg_off / cr_off:.1f}x faster "
            f"(medians of {rounds} interleaved steps)"
        )
        reference = runs[2].losses
        same = all(
            abs(a - b) <= 1e-9 * max(1.0, abs(b))
            for run in runs
            for a, b in zip(run.losses, reference)
        )
        print(
            f"losses identical across the four runs over the {rounds} steps all ran: {same} "
            f"(micrograd step {rounds - 1}: {reference[rounds - 1]:.9f}, chainrule: "
            f"{runs[0].losses[rounds - 1]:.9f})"
        )
    first = runs[0]
    print(
        f"chainrule after {steps} steps: loss {first.losses[-1]:.6f}, accuracy "
        f"{first.accuracies[-1]:.0%} (step 0: loss {first.losses[0]:.6f}, accuracy "
        f"{first.accuracies[0]:.0%})"
    )


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

    print(f"chainrule engine: {autograd._backend.ENGINE} ({autograd._backend.REASON})")
    print("== micrograd demo: two moons, MLP(2,[16,16,1]), hinge + L2, SGD ==")
    have_micrograd = True
    try:
        import micrograd  # noqa: F401
    except ImportError:
        have_micrograd = False
        print("micrograd not installed (pip install micrograd==0.1.0): its column is skipped")
    compare_demo(args.steps, args.micrograd_steps, have_micrograd)

    print("\n== deep chain y = y*1.0000001 + 0 (2 nodes per link) ==")
    print(f"{'N':>10s} {'build s':>9s} {'backward s':>11s} {'us/link':>8s}")
    for n in args.chain:
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
