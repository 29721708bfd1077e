"""Exporting to ONNX, and inference: chainrule vs onnxruntime (and PyTorch) on the same model.

Run: ``python benchmarks/bench_onnx.py [--repeats 15] [--seconds 0.2] [--threads 1]``

Workload: an MLP 784-256-10 (ReLU), float32, fixed random weights; forward
passes (inference, no graph) on batches of 1, 32 and 256 fixed random rows.

* export: ``model.to_onnx(path, x[:1])`` (with the dynamic-batch check, which
  traces twice) and ``dynamic_batch=False``, each the median of ``--repeats``;
* inference per batch: chainrule (``nn.predict``: a forward pass under
  ``no_grad``), onnxruntime (``InferenceSession.run`` on the exported file,
  ``--threads`` intra-op threads) and PyTorch (``torch.no_grad``), each the
  median over ``--repeats`` timed runs of about ``--seconds``; the ratio is
  chainrule's time over onnxruntime's. The outputs are checked equal to 1e-5
  first. Columns of a missing package are skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np

import nn

try:
    import onnxruntime
except ImportError:  # pragma: no cover - depends on the environment
    onnxruntime = None
try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None


def per_call(fn: Callable[[], object], seconds: float, repeats: int) -> float:
    """Median seconds per call over ``repeats`` runs of about ``seconds`` each."""
    fn()  # warm up
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds / 4:  # calibrate: calls per run
        fn()
        calls += 1
    n = max(1, round(calls * seconds / (time.perf_counter() - start)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime/torch threads")
    args = parser.parse_args()

    model = nn.MLP([784, 256, 10], dtype=np.float32, seed=0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 784)).astype(np.float32)
    path = Path(tempfile.mkdtemp()) / "mlp.onnx"

    def export_dynamic() -> None:
        model.to_onnx(path, X[:1])

    def export_static() -> None:
        model.to_onnx(path, X[:1], dynamic_batch=False)

    print(f"MLP 784-256-10 float32; medians of {args.repeats} runs")
    exports = (("export, dynamic batch", export_dynamic), ("export, fixed batch", export_static))
    for name, fn in exports:
        print(f"{name:24} {per_call(fn, args.seconds, args.repeats) * 1e3:8.2f} ms")
    export_dynamic()
    print(f"file: {path.stat().st_size:,} bytes")

    session = None
    if onnxruntime is not None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = args.threads
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
    torch_model = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        torch_model = model.to_torch()

    print(f"\ninference (µs per batch; onnxruntime/torch with {args.threads} thread(s))")
    header = ("batch", 6), ("chainrule", 10), ("onnxruntime", 12), ("PyTorch", 9), ("ratio", 14)
    print(" ".join(f"{name:>{width}}" for name, width in header), "(chainrule / onnxruntime)")
    for batch in (1, 32, 256):
        x = X[:batch]
        ours = per_call(lambda x=x: nn.predict(model, x), args.seconds, args.repeats)
        row = f"{batch:6d} {ours * 1e6:10.1f}"
        if session is not None:
            (logits,) = session.run(None, {"input": x})
            assert np.allclose(logits, nn.predict(model, x), rtol=1e-5, atol=1e-5)
            theirs = per_call(lambda x=x: session.run(None, {"input": x}), args.seconds,
                              args.repeats)
            row += f" {theirs * 1e6:12.1f}"
        else:
            row += f" {'-':>12}"
        if torch_model is not None:
            tx = torch.from_numpy(x)

            def torch_forward(tx: object = tx) -> object:
                with torch.no_grad():
                    return torch_model(tx)

            row += f" {per_call(torch_forward, args.seconds, args.repeats) * 1e6:9.1f}"
        else:
            row += f" {'-':>9}"
        if session is not None:
            row += f" {ours / theirs:13.2f}×"
        print(row)


if __name__ == "__main__":
    main()
