"""Did a change slow the engine down? This tree's engine against another git revision's.

Checks the other revision out into a temporary ``git worktree`` and times, in
the same run and interleaved (so background load hits both alike), in a fresh
subprocess per measurement:

* the micrograd demo step (two moons, MLP(2, [16, 16, 1]), hinge loss + L2,
  forward and backward inside ``gc_paused``), built from a self-contained
  micrograd-style MLP so that only the engine (``autograd``) differs;
* a Tensor MLP 784-256-10 step at batch 32 (when both revisions have
  ``autograd.Tensor``), forward and backward with plain ops.

Default revision: ``a44e551``, the last commit before ``create_graph`` (issue
9) touched the core — so the default run answers "did differentiable
gradients make ordinary backward slower?".

Run: ``python benchmarks/bench_revisions.py [--rev REV] [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REV = "a44e551"

# Runs inside a subprocess with ``sys.path[0]`` = the revision's tree.
WORKER = r"""
import json, random, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import autograd
from autograd import Value

def demo_steps(n):
    rng = np.random.default_rng(1)
    t = rng.uniform(0, np.pi, 100)
    X = np.c_[np.cos(t), np.sin(t)] + rng.normal(0, 0.1, (100, 2))
    X[50:] = np.c_[1 - np.cos(t[50:]), 0.5 - np.sin(t[50:])] + rng.normal(0, 0.1, (50, 2))
    y = [1.0] * 50 + [-1.0] * 50
    random.seed(1337)
    sizes = [2, 16, 16, 1]
    layers = [[([Value(random.uniform(-1, 1)) for _ in range(a)], Value(0.0)) for _ in range(b)]
              for a, b in zip(sizes, sizes[1:])]
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    times = []
    for k in range(n):
        start = time.perf_counter()
        with autograd.gc_paused():
            scores = []
            for row in X.tolist():
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
            for p in params:
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
            del total, losses, scores
        times.append(time.perf_counter() - start)
    return times

def tensor_steps(n):
    Tensor = getattr(autograd, "Tensor", None)
    if Tensor is None:
        return None
    rng = np.random.default_rng(0)
    W1 = Tensor((rng.standard_normal((784, 256)) * 0.05).astype(np.float32), requires_grad=True)
    b1 = Tensor(np.zeros(256, np.float32), requires_grad=True)
    W2 = Tensor((rng.standard_normal((256, 10)) * 0.06).astype(np.float32), requires_grad=True)
    b2 = Tensor(np.zeros(10, np.float32), requires_grad=True)
    x = rng.standard_normal((32, 784)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    rows = np.arange(32)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        h = (x @ W1 + b1).relu()
        loss = -(h @ W2 + b2).log_softmax(axis=1)[rows, y].mean()
        for p in (W1, b1, W2, b2):
            p.grad = None
        loss.backward()
        for p in (W1, b1, W2, b2):
            p.data -= 0.1 * p.grad
        times.append(time.perf_counter() - start)
    return times

which, n = sys.argv[2], int(sys.argv[3])
result = demo_steps(n) if which == "demo" else tensor_steps(n)
print(json.dumps(result))
"""


def run(tree: Path, which: str, steps: int) -> list[float] | None:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(tree), which, str(steps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=DEFAULT_REV, help="the revision to compare against")
    parser.add_argument("--repeats", type=int, default=7, help="subprocess runs per engine")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "rev"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.rev],
            check=True,
            capture_output=True,
        )
        try:
            for which, steps, unit in (("demo", 6, "s/step"), ("tensor", 300, "ms/step")):
                medians: dict[str, list[float]] = {"this tree": [], args.rev: []}
                for _ in range(args.repeats):
                    for name, tree in (("this tree", ROOT), (args.rev, other)):
                        times = run(tree, which, steps)
                        if times is not None:
                            medians[name].append(statistics.median(times[1:]))
                if not medians[args.rev]:
                    print(f"{which}: revision {args.rev} has no autograd.Tensor; skipped")
                    continue
                scale = 1.0 if unit == "s/step" else 1e3
                now = statistics.median(medians["this tree"]) * scale
                then = statistics.median(medians[args.rev]) * scale
                label = "micrograd demo step" if which == "demo" else "tensor MLP B=32 step"
                print(
                    f"{label:22s} this tree {now:8.4f} {unit}   {args.rev} {then:8.4f} {unit}"
                    f"   ratio {now / then:.3f}"
                )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                check=False,
                capture_output=True,
            )


if __name__ == "__main__":
    main()
