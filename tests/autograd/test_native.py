"""The native core (``autograd._native``) against the pure-Python reference.

`.ci/run` runs the whole suite twice, once on each engine; the tests here
check what only a comparison shows: the two engines give the same numbers
bit for bit, the generated C ops are today's registry, the engine in use is
reported, and the node storage leaves the cyclic garbage collector out
except where a cycle can form.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from autograd import Tensor, Value, _backend, _cgen

ROOT = Path(__file__).resolve().parents[2]
native_only = pytest.mark.skipif(
    _backend.native is None, reason=f"the native extension is not active: {_backend.REASON}"
)

# A workload touching every path the engines implement separately: Value ops (generated C),
# the C backward walk, micrograd-style training with nn.scalar, Tensor ops (C node
# constructors and _vjp glue), broadcasting, masks at their edges, optim on both.
WORKLOAD = r"""
import json, math, random
import numpy as np
import autograd
from autograd import Tensor, Value
import nn, nn.functional as F, nn.scalar, optim

out = {"engine": autograd._backend.ENGINE}
def hexes(values):
    if isinstance(values, list):
        return [h for v in values for h in hexes(v)]
    return [float(v).hex() for v in np.asarray(values, dtype=np.float64).ravel()]

# Value: every registered unary op at ordinary and edge points, first derivatives
from autograd.ops import REGISTRY
points = [-2.5, -1.0, -0.0, 0.0, 0.3, 1.0, 7.0, 1e-300, 710.0, -math.inf, math.inf]
for name, op in sorted(REGISTRY.items()):
    if "value" not in op.engines or len(op.inputs) != 1 or op.params:
        continue
    vals, grads = [], []
    for p in points:
        x = Value(p)
        method = getattr(x, name, None)
        y = method() if method is not None else op(x)
        y.backward()
        vals.append(y.data)
        grads.append(x.grad)
    out["value_" + name] = hexes(vals) + hexes(grads)
a, b = Value(-4.0), Value(2.0)
c = a + b; d = a * b + b**3; c += c + 1; c += 1 + c + (-a); d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu(); e = c - d; f = e**2; g = f / 2.0; g += 10.0 / f; g.backward()
out["readme"] = hexes([g.data, a.grad, b.grad])

# micrograd's demo, three steps
random.seed(1337)
model = nn.scalar.MLP(2, [16, 16, 1])
rng = np.random.default_rng(0)
X = rng.standard_normal((40, 2)).tolist()
ys = [1.0 if x0 * x1 > 0 else -1.0 for x0, x1 in X]
losses = []
for k in range(3):
    scores = [model([Value(x0), Value(x1)]) for x0, x1 in X]
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(ys, scores)) * (1.0 / len(ys))
    loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= (1.0 - 0.9 * k / 100) * p.grad
    losses.append(loss.data)
out["demo"] = hexes(losses + [p.data for p in model.parameters()])

# Tensor: the tiny MLP and the 784-style network through nn/optim, float32 and float64
for dtype in (np.float32, np.float64):
    rng = np.random.default_rng(1)
    net = nn.MLP([5, 8, 3], activation="tanh", dtype=dtype, seed=2)
    opt = optim.Adam(net.parameters(), lr=0.01)
    x = rng.standard_normal((16, 5)).astype(dtype)
    t = rng.integers(0, 3, 16)
    for _ in range(3):
        loss = F.cross_entropy(net(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    out["mlp_" + dtype.__name__] = hexes([loss.item()] + [p.data for p in net.parameters()])
w = Tensor(np.array([[-1.0, 0.0, 2.0], [0.5, -0.0, 3.0]]), requires_grad=True)
v = Tensor(np.array([0.0, 1.0, -2.0]), requires_grad=True)
y = ((w * v).relu().sqrt() + (w - v).abs() + w.clip(-0.5, 1.0) + autograd.where(w > 0, w, v)
     + autograd.maximum(w, v) + (w / (v + 1.0)) ** 2 + w.sum(axis=0, keepdims=True).exp()).mean()
y.backward()
out["tensor_ops"] = hexes([y.item()]) + hexes(w.grad) + hexes(v.grad)
print(json.dumps(out))
"""


def _run_workload(engine_off: bool) -> dict[str, object]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop(_backend.DISABLE_VARIABLE, None)
    if engine_off:
        env[_backend.DISABLE_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-c", WORKLOAD], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@native_only
def test_both_engines_give_the_same_numbers_bit_for_bit():
    native = _run_workload(engine_off=False)
    python = _run_workload(engine_off=True)
    assert native.pop("engine") == "native"
    assert python.pop("engine") == "python"
    assert native.keys() == python.keys()
    for key in native:
        assert native[key] == python[key], f"{key}: the engines differ"


def test_the_generated_c_ops_are_todays_registry():
    assert _cgen.main(["--check"]) == 0, "run python -m autograd._cgen and rebuild"


@pytest.mark.parametrize("off", [False, True])
def test_python_m_autograd_says_which_engine_runs(off):
    env = {**os.environ}
    env.pop(_backend.DISABLE_VARIABLE, None)
    if off:
        env[_backend.DISABLE_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "autograd"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    if off:
        assert first.startswith("engine: pure Python") and "CHAINRULE_NO_EXTENSION=1" in first
    elif _backend.native is not None:
        assert first.startswith("engine: native C extension")
    assert "g      = 24.7041" in done.stdout


@native_only
def test_op_nodes_are_not_tracked_by_the_cyclic_collector():
    a = Value(1.5)
    b = (a * 2.0).tanh() + a
    assert not gc.is_tracked(b)
    b.backward()
    assert a.grad == pytest.approx(1 + 2 * (1 - b.data + a.data) * (1 + b.data - a.data))


@native_only
def test_a_micrograd_closure_cycle_is_still_collected():
    import math

    class Freed:
        pass

    x = Value(0.5)
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward  # the closure refers to out: a cycle, as in micrograd
    out.backward()
    assert x.grad == pytest.approx(math.exp(0.5))
    assert gc.is_tracked(out)
    marker = Freed()
    out.label = marker  # any object hanging off the cycle
    ref = weakref.ref(marker)
    out = _backward = marker = None
    gc.collect()
    assert ref() is None


@native_only
def test_create_graph_cycles_are_still_collected():
    import warnings

    class Freed:
        pass

    x = Tensor([1.0, 2.0], requires_grad=True)
    marker = Freed()
    x.label = marker
    ref = weakref.ref(marker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x**3).sum().backward(create_graph=True)  # x.grad is a node computed from x
    v = Value(2.0)
    vmarker = Freed()
    v.label = vmarker
    vref = weakref.ref(vmarker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (v**3).backward(create_graph=True)
    assert v.grad.data == 12.0 and gc.is_tracked(v)
    del x, marker, v, vmarker
    gc.collect()
    assert ref() is None and vref() is None


@native_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sgd_update_in_one_pass_equals_numpy_bit_for_bit(dtype):
    import numpy as np

    rng = np.random.default_rng(3)
    x = rng.standard_normal((37, 11)).astype(dtype)
    g = rng.standard_normal((37, 11)).astype(dtype)
    expected = x.copy()
    expected -= 0.37 * g
    assert _backend.native.subtract_scaled(x, g, 0.37) is True
    assert x.tobytes() == expected.tobytes()
    # not applicable (changes nothing): another dtype, a strided view, overlapping memory
    before = x.copy()
    assert _backend.native.subtract_scaled(x, g.astype("float16"), 0.1) is False
    assert _backend.native.subtract_scaled(x[:, ::2], g[:, ::2], 0.1) is False
    assert _backend.native.subtract_scaled(x, x, 0.1) is False
    assert x.tobytes() == before.tobytes()


def _same(a, b) -> bool:
    """Same type, dtype, shape and bytes (so -0.0 differs from 0.0), or both None."""
    import numpy as np

    if a is None or b is None:
        return a is b
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _kernel_cases():
    import numpy as np

    rng = np.random.default_rng(11)
    m = rng.standard_normal((4, 3, 5)).astype(np.float32)
    v = rng.standard_normal(6)
    with_inf = np.array([[1.0, -np.inf, 2.0], [np.nan, -3.0, 0.5]])
    huge = np.full((3,), 3e38, np.float32)  # finite values whose float32 sum overflows
    return [
        ("sum", (m, (0, 2), False)),
        ("sum", (m, (1,), True)),
        ("sum", (v, (), False)),
        ("sum", (with_inf, (0, 1), False)),
        ("mean", (m, (0, 1, 2), False)),
        ("mean", (m, (2,), True)),
        ("mean", (np.zeros((0, 3)), (0,), False)),  # nan: an empty axis
        ("unreduce", (np.float32(2.5).reshape(()), (3, 4), (0, 1))),
        ("unreduce", (np.ones((1, 1)), (2, 3), (0, 1))),
        ("unreduce", (rng.standard_normal(3), (4, 3), (0,))),
        ("unreduce", (rng.standard_normal((4, 1)), (4, 5), (1,))),
        ("reshape", (m, (12, 5))),
        ("reshape", (m[:, ::2], (-1,))),
        ("reshape", ([[1.0, 2.0]], (2,))),
        ("transpose", (m, (2, 0, 1))),
        ("transpose", (m, None)),
        ("transpose", ([[1.0, 2.0]], (1, 0))),
        ("linear", (m[0], rng.standard_normal((5, 2)).astype(np.float32), None)),
        ("linear", (m, rng.standard_normal((5, 2)).astype(np.float32), np.ones(2, np.float32))),
        ("select", (m > 0, -m)),  # the product's -0.0 where not selected, as the reference
        ("select", (with_inf > 0, with_inf)),
        ("select", (huge > 0, huge)),
        ("select_times", (m > 0, m, 1.0)),
        ("select_times", (m > 0, m, 0.5)),
        ("select_times", (with_inf < 1, with_inf, 2.0)),
        ("select_times", (True, m, 3.0)),
        ("select_times", (np.bool_(False), m, 3.0)),
    ]


@native_only
@pytest.mark.parametrize("name, args", _kernel_cases())
def test_native_array_kernels_equal_their_python_reference_bit_for_bit(name, args):
    import numpy as np

    from autograd import tensor as tensor_module
    from autograd.ops import _math

    native = _backend.native
    if name in ("select", "select_times"):
        python = dict(zip(("select", "select_times"), tensor_module._PYTHON_SELECT))[name]
    else:
        python = _math.PYTHON_KERNELS[name]
    with np.errstate(all="ignore"):
        expected = python(*args)
        got = getattr(native, f"array_{name}")(*args)
    assert _same(got, expected)


@native_only
def test_native_array_kernels_report_bad_arguments():
    import numpy as np

    native = _backend.native
    with pytest.raises(TypeError, match="array_sum"):
        native.array_sum(np.ones(3))
    with pytest.raises(ValueError):  # numpy's own error, as from the Python kernel
        native.array_reshape(np.ones(3), (2, 2))
    with pytest.raises(ValueError):
        native.array_linear(np.ones((2, 3)), np.ones((2, 3)), None)


def test_a_leaf_gets_an_array_of_its_own_never_the_upstream_array_or_a_view():
    import numpy as np

    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    upstream = np.ones((2, 3))
    (x + 0.0).backward(upstream)  # add's rule passes the upstream array through
    assert x.grad is not upstream and x.grad.base is None
    upstream[...] = 7.0
    assert x.grad.tolist() == [[1.0] * 3] * 2
    w = Tensor(np.arange(6.0), requires_grad=True)
    w.reshape((2, 3)).sum().backward()  # reshape's rule returns a view of its gradient
    assert w.grad.base is None and w.grad.flags.c_contiguous
    assert w.grad.tolist() == [1.0] * 6
