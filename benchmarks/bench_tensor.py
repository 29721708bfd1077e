"""Train steps per second of the Tensor engine, PyTorch CPU and hand-written numpy.

Run: ``python benchmarks/bench_tensor.py [--repeats 15] [--seconds 0.15] [--threads N]``

Workloads (float32, fixed random data and initialisation, identical across
implementations):

* MLP 784-256-10, ReLU, softmax cross-entropy, SGD lr 0.1, batch 32 and 256,
  written with the engine's ops (``chainrule``: ``linear`` and the fused
  ``softmax_cross_entropy``) and through the public API as a user writes it
  (``chainrule-nn``: ``nn.MLP``, ``F.cross_entropy`` and ``optim.SGD``);
* the micrograd demo net in tensor form: 2-16-16-1 (ReLU, ReLU, linear),
  batch 100, hinge loss ``mean(relu(1 − y·score)) + 1e-4·Σp²``, SGD lr 0.1.

The hand-written numpy version computes the same forward and backward by
hand (matmul, relu, stable softmax-CE, SGD) with no autodiff: the BLAS limit.
Every engine updates without a temporary array (numpy and chainrule scale the
gradient in place and subtract it; torch.optim.SGD uses ``add_``): with a
temporary, the update of the 784x256 weight alone varied by ~30 us per step
between runs with the arrays' placement in memory.
Each cell is the median over ``--repeats`` timed runs of about ``--seconds``
each; "faults/step" counts minor page faults (``ru_minflt``) per step.
PyTorch columns are skipped when torch is not installed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable


def _threads_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


# BLAS reads its thread count when numpy is imported, so --threads acts here.
_THREADS = _threads_from_argv(sys.argv[1:]) if __name__ == "__main__" else None
if _THREADS:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _THREADS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor, linear, softmax_cross_entropy  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

LR = 0.1
POOL = 8  # distinct fixed batches cycled through


# ----------------------------------------------------------------------------
# Fixed data and initial weights
# ----------------------------------------------------------------------------


Batches = list[tuple[np.ndarray, np.ndarray]]


def mlp_setup(batch: int, seed: int = 0) -> tuple[list[np.ndarray], Batches]:
    rng = np.random.default_rng(seed)
    params = [
        (rng.standard_normal((784, 256)) * np.sqrt(2 / 784)).astype(np.float32),
        np.zeros(256, np.float32),
        (rng.standard_normal((256, 10)) * np.sqrt(1 / 256)).astype(np.float32),
        np.zeros(10, np.float32),
    ]
    batches = [
        (rng.standard_normal((batch, 784)).astype(np.float32), rng.integers(0, 10, batch))
        for _ in range(POOL)
    ]
    return params, batches


def tiny_setup(seed: int = 0) -> tuple[list[np.ndarray], Batches]:
    rng = np.random.default_rng(seed)
    sizes = [2, 16, 16, 1]
    params = []
    for nin, nout in itertools.pairwise(sizes):
        params.append(rng.uniform(-1, 1, (nin, nout)).astype(np.float32))
        params.append(np.zeros(nout, np.float32))
    x = rng.standard_normal((100, 2)).astype(np.float32)
    y = np.where(x[:, 0] * x[:, 1] > 0, 1.0, -1.0).astype(np.float32)[:, None]
    return params, [(x, y)]


# ----------------------------------------------------------------------------
# chainrule
# ----------------------------------------------------------------------------


def sgd_update(params: list[Tensor]) -> None:
    """``p ← p − lr·g`` without a temporary (torch's SGD is ``p.add_(g, alpha=-lr)``).

    A leaf's ``.grad`` is its own array, so scaling it in place is safe.
    """
    for p in params:
        g = p.grad
        g *= LR
        p.data -= g


def chainrule_mlp(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    """The engine's ops: ``linear`` (x @ Wᵀ + b, one node) and fused softmax cross-entropy."""
    W1, b1, W2, b2 = ps = [Tensor(p, requires_grad=True) for p in params]

    def step(x: np.ndarray, y: np.ndarray) -> None:
        h = linear(x, W1, b1).relu()
        loss = softmax_cross_entropy(linear(h, W2, b2), y)
        for p in ps:
            p.grad = None
        loss.backward()
        sgd_update(ps)

    return step


def chainrule_nn_mlp(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    """What a user writes: ``nn.MLP``, ``F.cross_entropy`` and ``optim.SGD``."""
    import nn
    import nn.functional as F  # noqa: N812 - the usual alias
    import optim

    model = nn.MLP([784, 256, 10], dtype=np.float32)
    for p, value in zip(model.parameters(), params):
        p.data = value.copy()
    opt = optim.SGD(model.parameters(), lr=LR)

    def step(x: np.ndarray, y: np.ndarray) -> None:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def chainrule_tiny(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    ps = [Tensor(p, requires_grad=True) for p in params]
    W1, b1, W2, b2, W3, b3 = ps

    def step(x: np.ndarray, y: np.ndarray) -> None:
        h = linear(x, W1, b1).relu()
        h = linear(h, W2, b2).relu()
        score = linear(h, W3, b3)
        loss = (1 - y * score).relu().mean()
        reg = (W1 * W1).sum() + (W2 * W2).sum() + (W3 * W3).sum()
        reg = reg + (b1 * b1).sum() + (b2 * b2).sum() + (b3 * b3).sum()
        loss = loss + 1e-4 * reg
        for p in ps:
            p.grad = None
        loss.backward()
        sgd_update(ps)

    return step


# ----------------------------------------------------------------------------
# Hand-written numpy (same math, no autodiff)
# ----------------------------------------------------------------------------


def numpy_mlp(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    W1, b1, W2, b2 = ps = [p.copy() for p in params]
    rows: dict[int, np.ndarray] = {}

    def step(x: np.ndarray, y: np.ndarray) -> None:
        n = len(y)
        r = rows.get(n)
        if r is None:
            r = rows[n] = np.arange(n)
        z = x @ W1 + b1
        h = np.maximum(z, 0)
        logits = h @ W2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -(shifted[r, y] - np.log(s[:, 0])).mean()  # noqa: F841 - computed as the others do
        d = e / s
        d[r, y] -= 1
        d *= 1.0 / n
        dW2 = h.T @ d
        db2 = d.sum(axis=0)
        dh = d @ W2.T
        dh *= z > 0
        dW1 = x.T @ dh
        db1 = dh.sum(axis=0)
        for p, g in zip(ps, (dW1, db1, dW2, db2)):
            g *= LR
            p -= g

    return step


def numpy_tiny(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    W1, b1, W2, b2, W3, b3 = ps = [p.copy() for p in params]

    def step(x: np.ndarray, y: np.ndarray) -> None:
        n = len(y)
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        score = h2 @ W3 + b3
        margin = 1 - y * score
        loss = np.maximum(margin, 0).mean() + 1e-4 * sum((p * p).sum() for p in ps)  # noqa: F841
        dscore = -(y * (margin > 0)) * (1.0 / n)
        dW3 = h2.T @ dscore
        db3 = dscore.sum(axis=0)
        dz2 = (dscore @ W3.T) * (z2 > 0)
        dW2 = h1.T @ dz2
        db2 = dz2.sum(axis=0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        dW1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        for p, g in zip(ps, (dW1, db1, dW2, db2, dW3, db3)):
            g += 2e-4 * p
            g *= LR
            p -= g

    return step


# ----------------------------------------------------------------------------
# PyTorch CPU
# ----------------------------------------------------------------------------


def torch_mlp(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    W1, b1, W2, b2 = ps = [torch.tensor(p, requires_grad=True) for p in params]
    opt = torch.optim.SGD(ps, lr=LR)
    cache: dict[int, tuple] = {}

    def step(x: np.ndarray, y: np.ndarray) -> None:
        key = id(x)
        if key not in cache:
            cache[key] = (torch.from_numpy(x), torch.from_numpy(y))
        tx, ty = cache[key]
        h = torch.relu(tx @ W1 + b1)
        loss = torch.nn.functional.cross_entropy(h @ W2 + b2, ty)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def torch_tiny(params: list[np.ndarray]) -> Callable[[np.ndarray, np.ndarray], None]:
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    W1, b1, W2, b2, W3, b3 = ps
    opt = torch.optim.SGD(ps, lr=LR)
    cache: dict[int, tuple] = {}

    def step(x: np.ndarray, y: np.ndarray) -> None:
        key = id(x)
        if key not in cache:
            cache[key] = (torch.from_numpy(x), torch.from_numpy(y))
        tx, ty = cache[key]
        h = torch.relu(tx @ W1 + b1)
        h = torch.relu(h @ W2 + b2)
        score = h @ W3 + b3
        loss = torch.relu(1 - ty * score).mean() + 1e-4 * sum((p * p).sum() for p in ps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


# ----------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------

Step = Callable[[np.ndarray, np.ndarray], None]


def _steps_for(step: Step, batches: list, seconds: float) -> int:
    """Warm ``step`` up and return how many steps take about ``seconds``."""
    start = time.perf_counter()
    warm = 0
    while time.perf_counter() - start < 0.2 or warm < 20:
        step(*batches[warm % len(batches)])
        warm += 1
    return max(10, int(seconds * warm / (time.perf_counter() - start)))


def _timed_run(step: Step, batches: list, n: int) -> tuple[float, float]:
    k = len(batches)
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    for i in range(n):
        step(*batches[i % k])
    elapsed = time.perf_counter() - t0
    f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    return n / elapsed, (f1 - f0) / n


def measure(
    steps: dict[str, Step], batches: list, repeats: int, seconds: float
) -> dict[str, tuple[float, float]]:
    """Median steps/s and minor page faults per step for each engine.

    The engines' timed runs are interleaved (round-robin), so a burst of
    background load slows all of them rather than one.
    """
    counts = {name: _steps_for(step, batches, seconds) for name, step in steps.items()}
    rates: dict[str, list[float]] = {name: [] for name in steps}
    faults: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            rate, fault = _timed_run(step, batches, counts[name])
            rates[name].append(rate)
            faults[name].append(fault)
    return {
        name: (statistics.median(rates[name]), statistics.median(faults[name])) for name in steps
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=0.15, help="length of one timed run")
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS/OpenMP threads (default: the library's)"
    )
    args = parser.parse_args(argv)
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)

    engines: dict[str, tuple[Callable, Callable | None]] = {
        "chainrule": (chainrule_mlp, chainrule_tiny),
        "chainrule-nn": (chainrule_nn_mlp, None),
        "numpy": (numpy_mlp, numpy_tiny),
    }
    if torch is not None:
        engines["torch"] = (torch_mlp, torch_tiny)
    workloads = [
        ("MLP 784-256-10, B=32", lambda: mlp_setup(32), 0),
        ("MLP 784-256-10, B=256", lambda: mlp_setup(256), 0),
        ("tiny 2-16-16-1, B=100", tiny_setup, 1),
    ]
    versions = f"numpy {np.__version__}, " + (
        f"torch {torch.__version__}" if torch is not None else "torch: not installed"
    )
    threads = args.threads or "library default"
    print(f"{versions}; threads: {threads}; load average {os.getloadavg()[0]:.2f}")
    print(f"median of {args.repeats} interleaved runs of ~{args.seconds}s each, float32\n")
    header = f"{'workload':24} {'engine':10} {'steps/s':>9} {'faults/step':>12}"
    print(header)
    print("-" * len(header))
    summary = []
    for name, setup, which in workloads:
        params, batches = setup()
        steps = {
            engine: builders[which](params)
            for engine, builders in engines.items()
            if builders[which] is not None
        }
        results = measure(steps, batches, args.repeats, args.seconds)
        for engine, (rate, faults) in results.items():
            print(f"{name:24} {engine:10} {rate:9.0f} {faults:12.2f}")
        summary.append((name, {engine: rate for engine, (rate, _) in results.items()}))
    print("\nratios (chainrule / other; higher is better for chainrule)")
    for name, rates in summary:
        parts = [f"vs numpy {rates['chainrule'] / rates['numpy']:.2f}x"]
        if "chainrule-nn" in rates:
            parts.append(f"chainrule-nn vs numpy {rates['chainrule-nn'] / rates['numpy']:.2f}x")
        if "torch" in rates:
            parts.append(f"vs torch {rates['chainrule'] / rates['torch']:.2f}x")
        print(f"  {name:24} " + ", ".join(parts))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
