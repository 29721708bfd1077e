"""Resident memory (RSS) over long training runs: chainrule against its peers, in the same run.

Workloads, each run in a fresh process (so one cannot inherit the other's memory):

* tensor: an MLP 64-128-10 on 1,600 random samples in batches of 32, Adam (lr 1e-3),
  10,000 steps through ``nn.fit``; the peer is PyTorch (same network, data, batches,
  optimizer; skipped if torch is not installed).
* scalar: micrograd's demo network MLP(2, [16, 16, 1]) on 100 two-moons points in
  batches of 5, hinge loss, SGD lr 0.05, 1,000 steps through ``nn.fit``; the peer is
  micrograd 0.1.0 (the same network, batches and update; skipped if not installed).

RSS (``VmRSS`` from ``/proc/self/status``, Linux) is printed at intervals; the
*growth* is the RSS at the end minus the RSS after the first interval (imports,
warm-up and the first allocations are not growth). A leak shows as growth that
keeps rising with the steps.

Run: ``python benchmarks/bench_memory.py`` (about a minute and a half, most of it
micrograd; ``--tensor-steps`` and ``--scalar-steps`` change the lengths).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def rss_mb() -> float:
    """The current resident set size in MB (Linux ``/proc``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class Recorder:
    """Records ``(steps, RSS)`` every ``every`` steps."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.samples: list[tuple[int, float]] = []

    def after(self, steps: int) -> None:
        if steps % self.every == 0:
            self.samples.append((steps, rss_mb()))


# -- tensor workload ---------------------------------------------------------------


def _tensor_data():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1600, 64)).astype(np.float32)  # 50 batches of 32 per epoch
    y = rng.integers(0, 10, size=1600)
    return X, y


def chainrule_tensor(steps: int, rec: Recorder) -> None:
    import nn
    import optim

    X, y = _tensor_data()
    model = nn.MLP([64, 128, 10], dtype=X.dtype, seed=0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    per_epoch = len(X) // 32

    def record(epoch: int, history: object) -> None:
        for s in range(epoch * per_epoch + 1, (epoch + 1) * per_epoch + 1):
            rec.after(s)

    nn.fit(model, nn.functional.cross_entropy, X, y, opt, epochs=-(-steps // per_epoch),
           batch_size=32,
           progress=False, metric=None, callbacks=[record])


def torch_tensor(steps: int, rec: Recorder) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    X, y = _tensor_data()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    per_epoch = len(X) // 32
    step = 0
    while step < steps:
        order = torch.from_numpy(rng.permutation(len(X)))
        for b in range(per_epoch):
            idx = order[b * 32 : (b + 1) * 32]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
            step += 1
            rec.after(step)
            if step == steps:
                return


# -- scalar workload ---------------------------------------------------------------


def _moons() -> tuple[list[list[float]], list[int]]:
    import nn

    X, y = nn.make_moons(100, noise=0.1, seed=1)
    return X.tolist(), [2 * int(v) - 1 for v in y]


def chainrule_scalar(steps: int, rec: Recorder) -> None:
    import numpy as np

    import nn
    import optim

    X, y = _moons()
    random.seed(1337)
    model = nn.scalar.MLP(2, [16, 16, 1])
    opt = optim.SGD(model.parameters(), lr=0.05)
    per_epoch = len(X) // 5

    def record(epoch: int, history: object) -> None:
        for s in range(epoch * per_epoch + 1, (epoch + 1) * per_epoch + 1):
            rec.after(s)

    nn.fit(model, nn.HingeLoss(), np.array(X), np.array(y), opt, epochs=-(-steps // per_epoch),
           batch_size=5, progress=False, callbacks=[record])


def micrograd_scalar(steps: int, rec: Recorder) -> None:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = _moons()
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    order = list(range(len(X)))
    shuffle = random.Random(0)
    step = 0
    while step < steps:
        shuffle.shuffle(order)
        for b in range(0, len(X), 5):
            batch = order[b : b + 5]
            scores = [model([Value(X[i][0]), Value(X[i][1])]) for i in batch]
            losses = [(1 + -y[i] * s).relu() for i, s in zip(batch, scores)]
            loss = sum(losses) * (1.0 / len(losses))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.05 * p.grad
            step += 1
            rec.after(step)
            if step == steps:
                return


WORKERS: dict[str, Callable[[int, Recorder], None]] = {
    "chainrule-tensor": chainrule_tensor,
    "torch-tensor": torch_tensor,
    "chainrule-scalar": chainrule_scalar,
    "micrograd-scalar": micrograd_scalar,
}


def run_worker(name: str, steps: int, every: int) -> list[tuple[int, float]] | None:
    """Run one workload in a fresh interpreter; ``None`` if its library is not installed."""
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--steps", str(steps), "--every", str(every)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode == 3:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{proc.stderr}")
    return [tuple(s) for s in json.loads(proc.stdout.strip().splitlines()[-1])]


def report(title: str, runs: dict[str, list[tuple[int, float]] | None]) -> None:
    print(f"\n{title}")
    present = {name: samples for name, samples in runs.items() if samples}
    names = list(present)
    print("  steps  " + "".join(f"{n:>20}" for n in names))
    for i, (steps, _) in enumerate(next(iter(present.values()))):
        print(f"  {steps:>5}  " + "".join(f"{present[n][i][1]:>17.1f} MB" for n in names))
    growth = {n: s[-1][1] - s[0][1] for n, s in present.items()}
    print("  growth " + "".join(f"{growth[n]:>+17.1f} MB" for n in names)
          + f"   (end − after {present[names[0]][0][0]} steps)")
    for name, samples in runs.items():
        if not samples:
            print(f"  {name}: not installed, skipped")
    if len(names) == 2:
        a, b = names
        print(f"  final RSS ratio {a}/{b}: {present[a][-1][1] / present[b][-1][1]:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tensor-steps", type=int, default=10_000)
    parser.add_argument("--scalar-steps", type=int, default=1_000)
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--every", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        try:
            worker = WORKERS[args.worker]
            rec = Recorder(args.every)
            worker(args.steps, rec)
        except ImportError:
            raise SystemExit(3) from None
        print(json.dumps(rec.samples))
        return
    for option, steps, per_epoch in (("--tensor-steps", args.tensor_steps, 50),
                                     ("--scalar-steps", args.scalar_steps, 20)):
        if steps < 10 * per_epoch or steps % (10 * per_epoch):
            parser.error(f"{option} must be a multiple of {10 * per_epoch} (whole epochs)")
    tensor_every, scalar_every = args.tensor_steps // 10, args.scalar_steps // 10
    report(
        f"tensor: MLP 64-128-10, batch 32, Adam, {args.tensor_steps:,} steps",
        {n: run_worker(n, args.tensor_steps, tensor_every)
         for n in ("chainrule-tensor", "torch-tensor")},
    )
    report(
        f"scalar: MLP(2, [16, 16, 1]) on moons, batch 5, hinge, SGD, {args.scalar_steps:,} steps",
        {n: run_worker(n, args.scalar_steps, scalar_every)
         for n in ("chainrule-scalar", "micrograd-scalar")},
    )


if __name__ == "__main__":
    main()
