"""autograd.onnx: every Tensor op exported to ONNX and run by onnxruntime gives the engine's values.

The cases come from each op's record (``checks.samples``, or ``checks.domain``
for elementwise ops), so an op added to the registry is tested here with no
further code. Skips cleanly without onnx or onnxruntime (``pip install
'chainrule[onnx]'``); the missing-package paths are in ``test_onnx_optional.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import autograd  # noqa: E402
from autograd import Tensor, Value, define_op, no_grad, softmax_cross_entropy, where  # noqa: E402
from autograd.onnx import (  # noqa: E402
    REFUSED,
    UnsupportedOpError,
    _export_by_formulas,
    export,
    mapping,
)
from autograd.ops import REGISTRY, registered_ops  # noqa: E402

TENSOR_OPS = [op.name for op in registered_ops(engine="tensor")]
# float32: the 1e-5; float64: onnxruntime computes in float64, so much closer
TOLERANCE = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}
EXTREMES = np.array([-1000.0, -30.0, -1.0, -1e-8, -0.0, 0.0, 1e-30, 1e-8, 1.0, 30.0, 1000.0])


def run(model, *inputs):
    """onnxruntime's outputs of ``model`` (a ModelProto) on ``inputs``, in the graph's order."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def cases(name, rng):
    """``(inputs, params)`` pairs for an op: its samples, or points of its domain."""
    op = REGISTRY[name]
    if op.checks.samples is not None:
        return op.checks.samples(rng)
    shapes = {1: [(2, 3), ()], 2: [(3, 1), (4,)]}[op.arity]
    inputs = []
    for (lo, hi), shape in zip(op.checks.domain, shapes):
        inputs.append(rng.uniform(lo, hi, size=shape))
    return [(tuple(inputs), dict(op.checks.params))]


def check_op(name, exporter, dtype, scale=1.0):
    op = REGISTRY[name]
    for inputs, params in cases(name, np.random.default_rng(0)):
        inputs = [np.asarray(x * scale, dtype) for x in inputs]

        def fn(*xs, params=params):
            return op(*xs, **params)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the engine at ±1000
            expected = fn(*[Tensor(x) for x in inputs]).data
        (got,) = run(exporter(fn, *inputs), *inputs)
        assert got.dtype == expected.dtype and got.shape == expected.shape, (name, params)
        assert np.allclose(got, expected, equal_nan=True, **TOLERANCE[dtype]), (
            f"{name} {params}: largest difference {np.nanmax(np.abs(got - expected))}"
        )


# ----------------------------------------------------------------------------
# Every op of the registry
# ----------------------------------------------------------------------------


def test_mapping_lists_every_tensor_op_and_refuses_none_today():
    table = mapping()
    assert list(table) == TENSOR_OPS
    assert all(text and not text.startswith("refused") for text in table.values())
    assert REFUSED == {}
    assert table["linear"].startswith("Gemm") and table["var"].startswith("its forward formula")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", TENSOR_OPS)
def test_every_tensor_op_round_trips_through_onnxruntime(name, dtype):
    if name in REFUSED:  # an op with no ONNX form is refused by name, nothing else
        op = REGISTRY[name]
        inputs, params = cases(name, np.random.default_rng(0))[0]
        with pytest.raises(UnsupportedOpError, match=name):
            export(lambda *xs: op(*xs, **params), *inputs)
        return
    check_op(name, export, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", TENSOR_OPS)
def test_every_tensor_op_through_its_forward_formula(name, dtype):
    """The path an op you define takes: its forward formula, evaluated with ONNX nodes."""
    check_op(name, _export_by_formulas, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", [n for n in TENSOR_OPS if REGISTRY[n].checks.samples])
def test_sampled_ops_at_large_inputs(name, dtype):
    """Reductions, softmaxes, cross entropy, matmul at inputs ×1000: stable, as the engine."""
    check_op(name, export, dtype, scale=1000.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name", [op.name for op in registered_ops(engine="tensor") if op.checks.samples is None]
)
def test_elementwise_ops_at_extreme_inputs(name, dtype):
    op = REGISTRY[name]
    params = dict(op.checks.params)
    x = EXTREMES.astype(dtype)
    inputs = [x] if op.arity == 1 else [x[:, None], x[None, :]]

    def fn(*xs):
        return op(*xs, **params)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = fn(*[Tensor(a) for a in inputs]).data
    for exporter in (export, _export_by_formulas):
        (got,) = run(exporter(fn, *inputs), *inputs)
        assert got.dtype == expected.dtype
        assert np.allclose(got, expected, equal_nan=True, **TOLERANCE[dtype]), name


def test_log1p_keeps_the_digits_of_tiny_inputs():
    x = np.array([1e-30, 1e-12, -1e-9, 3e-7, -0.5, 1e6, np.inf, -1.0], np.float32)
    (got,) = run(export(lambda t: t.log1p(), x), x)
    with np.errstate(divide="ignore"):
        assert np.array_equal(got[6:], np.log1p(x[6:]))
    assert np.allclose(got[:6], np.log1p(x[:6]), rtol=2e-7, atol=0)  # Log(1 + x) gives 0 here


# ----------------------------------------------------------------------------
# Indexing: numpy's meaning, every form
# ----------------------------------------------------------------------------

X4 = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
INDICES = [
    0, -1, (0, 1), (slice(None), 1), (Ellipsis, -1), (slice(1, None), slice(None, None, -1)),
    (slice(None, None, -2),), (None, 0, Ellipsis, None), (slice(-10, 10), slice(2, 0, -1)),
    (slice(None), slice(None), slice(-1, -5, -2)), (1, slice(None), None, 2), (slice(5, 1),),
    (None,), (Ellipsis,), (1, 2, 3, 4),
    (slice(None), [0, 2, 2, -1]), ([1, 0],), (Ellipsis, [4, 0]), ((0, 0, 1),), (np.array(1),),
    (slice(None), np.array([True, False, True])), (slice(None), np.array([[0, 1], [2, 0]])),
    ([0, 1], [1, 2]), (0, slice(None), [1, 2]), ([0, 1], slice(None), 0),
    (X4[..., 0] > 30,), (X4 > 50,), (slice(1, 3), [0, 0]),
]


@pytest.mark.parametrize("index", INDICES, ids=[f"index{i}" for i in range(len(INDICES))])
def test_getitem_matches_numpy(index):
    expected = X4[index]
    (got,) = run(export(lambda t: t[index], X4), X4)
    assert got.shape == expected.shape and np.array_equal(got, expected)


def test_basic_indexing_is_slicing_and_one_index_array_a_gather():
    def ops(index):
        return [n.op_type for n in export(lambda t: t[index], X4).graph.node][:-1]

    assert ops((slice(None), slice(1, 3))) == ["Slice"]
    assert ops((Ellipsis, 0, None)) == ["Slice", "Squeeze", "Unsqueeze"]
    assert ops((slice(None), [2, 0])) == ["Gather"]
    assert ops(([0, 1], [1, 2])) == ["Reshape", "Gather"]  # numpy's positions, gathered


def test_scatter_of_a_second_order_graph():
    """A gradient recorded with create_graph (its indexing adjoint is scatter) exports too."""

    def gradient(x):
        return autograd.grad(lambda t: (t[[0, 0, 2]] ** 3).sum())(x)

    x = np.array([0.5, -1.0, 2.0, 3.0])
    model = export(gradient, x)
    assert "ScatterND" in [n.op_type for n in model.graph.node]
    (got,) = run(model, x)
    assert np.allclose(got, [2 * 3 * 0.25, 0.0, 3 * 4.0, 0.0], rtol=1e-12)


# ----------------------------------------------------------------------------
# Constants, parameters, names, outputs
# ----------------------------------------------------------------------------


def test_constants_keep_the_engines_dtypes():
    x = np.array([[1.0, -2.0], [0.5, 4.0]], np.float32)
    c64 = np.array([2.0, 3.0])  # a float64 array: numpy computes in float64
    constant = Tensor([1.5, -0.5], dtype=np.float32)  # no requires_grad: an initializer

    def fn(t):
        return (t * 0.1 + 2) ** 2 - constant, t * c64, t + np.array([1, 2])

    outputs = fn(Tensor(x))
    got = run(export(fn, x), x)
    for g, e in zip(got, outputs):
        assert g.dtype == e.dtype and np.allclose(g, e.data, rtol=1e-6)
    assert [g.dtype for g in got] == [np.float32, np.float64, np.float32]


def test_parameters_are_named_initializers():
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="weight")
    W2 = Tensor(rng.normal(size=(2, 2)), requires_grad=True, label="weight")
    b = Tensor(np.zeros(2), requires_grad=True)
    x = rng.normal(size=(4, 3))

    def fn(t):
        return ((t @ W).tanh() @ W2 + b) @ W2

    model = export(fn, Tensor(x, label="features"))
    assert [i.name for i in model.graph.input] == ["features"]
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    assert {"weight", "weight_1", "parameter"} <= set(initializers)
    assert np.array_equal(initializers["weight"], W.data)
    assert np.allclose(run(model, x)[0], fn(Tensor(x)).data, rtol=1e-12)
    named = export(fn, x, parameter_names={"W1": W, "W2": W2, "b": b})
    assert {"W1", "W2", "b"} <= {i.name for i in named.graph.initializer}
    assert [n for n in (i.name for i in named.graph.initializer) if n.startswith("W2")] == ["W2"]


def test_input_and_output_names_and_several_outputs():
    x, y = np.arange(3.0), np.ones(3)
    model = export(lambda a, b: (a * b, a, (a + b).sum()), x, y,
                   input_names=["a", "b"], output_names=["product", "same", "total"])
    assert [i.name for i in model.graph.input] == ["a", "b"]
    assert [o.name for o in model.graph.output] == ["product", "same", "total"]
    product, same, total = run(model, x, y)
    assert np.array_equal(product, x) and np.array_equal(same, x) and total == 6.0
    default = export(lambda a: (a, a), x)
    assert [o.name for o in default.graph.output] == ["output0", "output1"]
    assert [i.name for i in default.graph.input] == ["x0"]


def test_output_that_does_not_depend_on_the_input_is_a_constant():
    x = np.ones(2)
    (got,) = run(export(lambda t: Tensor([1.0, 2.0]) * 3, x), x)
    assert np.array_equal(got, [3.0, 6.0])


def test_exports_inside_no_grad_and_leaves_the_example_alone():
    x = Tensor(np.ones((2, 2)))
    with no_grad():
        model = export(lambda t: t.exp().sum(axis=1), x)
    assert not x.requires_grad and x.grad is None
    assert np.allclose(run(model, x.data)[0], np.e * 2)


# ----------------------------------------------------------------------------
# Dynamic batch
# ----------------------------------------------------------------------------


def _mlp(rng):
    W1 = Tensor(rng.normal(size=(4, 8)), requires_grad=True)
    W2 = Tensor(rng.normal(size=(8, 3)), requires_grad=True)
    return lambda x: autograd.linear(x, W1).relu().reshape(x.shape[0], 2, 4).sum(axis=1) @ W2[:4]


def test_dynamic_batch_runs_on_any_batch_size():
    rng = np.random.default_rng(0)
    fn = _mlp(rng)
    model = export(fn, rng.normal(size=(1, 4)), dynamic_batch=True)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert model.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for n in (1, 7, 64):
        x = rng.normal(size=(n, 4))
        (got,) = run(model, x)
        assert np.allclose(got, fn(Tensor(x)).data, rtol=1e-12)
    static = export(fn, rng.normal(size=(2, 4)))
    assert static.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    # shapes written relative to the input: a new leading axis, a row, a flattened batch
    free = export(lambda t: (t.broadcast_to(2, *t.shape), t[0], t.reshape(-1)), np.ones((3, 2)),
                  dynamic_batch=True)
    x = rng.normal(size=(5, 2))
    for got, expected in zip(run(free, x), (np.broadcast_to(x, (2, 5, 2)), x[0], x.ravel())):
        assert np.array_equal(got, expected)
    assert [d.dim_param for d in free.graph.output[2].type.tensor_type.shape.dim] == ["output2_0"]


@pytest.mark.parametrize(
    ("fn", "where_"),
    [
        (lambda t: t.reshape(t.shape[0] * 3), "reshape0/shape"),
        (lambda t: where(t.data > 0, t, 0.0), "where0/condition"),
        (lambda t: t.broadcast_to(t.shape[0], *t.shape), "broadcast_to0/shape"),
        (lambda t: softmax_cross_entropy(t, [0, 1]), "fails on a batch of 3"),
    ],
)
def test_dynamic_batch_refuses_a_graph_that_depends_on_the_batch(fn, where_, tmp_path):
    path = tmp_path / "model.onnx"
    with pytest.raises(ValueError, match="dynamic_batch=True") as info:
        export(fn, np.ones((2, 3)), dynamic_batch=True, path=path)
    assert where_ in str(info.value) and "dynamic_batch=False" in str(info.value)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_dynamic_batch_needs_a_batch_axis():
    with pytest.raises(ValueError, match="leading"):
        export(lambda t: t * 2, np.float64(3.0), dynamic_batch=True)


# ----------------------------------------------------------------------------
# Refusals, files
# ----------------------------------------------------------------------------


def test_an_op_without_onnx_form_is_refused_by_name_and_nothing_is_written(tmp_path):
    cbrt = define_op(
        "cbrt_for_test",
        forward=lambda m, x: np.cbrt(x),  # numpy, not m: no ONNX form
        derivative=lambda m, out: 1 / (3 * out * out),
        value=False,
        register=False,
    )
    path = tmp_path / "model.onnx"
    with pytest.raises(UnsupportedOpError, match="'cbrt_for_test'") as info:
        export(lambda t: cbrt(t.exp()) + 1, np.ones(3), path=path)
    assert "math namespace m" in str(info.value)
    assert not list(tmp_path.iterdir())
    step = define_op("step_for_test", forward=lambda m, x: 1.0 if x > 0 else 0.0,
                     derivative=lambda m, x: 0.0, value=False, register=False)
    with pytest.raises(UnsupportedOpError, match=r"'step_for_test'.*m\.where"):
        export(lambda t: step(t), np.array(1.0))


def test_an_op_you_define_is_exported_through_its_formula():
    swish = define_op(
        "swish_for_test",
        forward=lambda m, x, beta=1.0: x * m.sigmoid(beta * x),
        derivative=lambda m, x, beta: (s := m.sigmoid(beta * x)) * (1 + beta * x * (1 - s)),
        value=False,
        register=False,
    )
    # an unregistered op that shares a registered op's name is not mistaken for it
    double_exp = define_op("exp", forward=lambda m, x: 2 * m.exp(x), derivative=lambda m, out: out,
                           value=False, register=False)
    x = np.linspace(-5, 5, 11, dtype=np.float32)
    for op, params in ((swish, {"beta": 1.5}), (double_exp, {})):
        expected = op(Tensor(x), **params).data
        (got,) = run(export(lambda t, op=op, params=params: op(t, **params), x), x)
        assert got.dtype == np.float32 and np.allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_values_and_non_tensors_are_refused():
    with pytest.raises(TypeError, match="Value"):
        export(lambda v: v * 2, Value(1.0))
    with pytest.raises(TypeError, match="Value"):
        export(lambda t: Value(t.item()), np.ones(1))
    with pytest.raises(TypeError, match="output 1 is a float"):
        export(lambda t: (t, 2.0), np.ones(1))
    with pytest.raises(ValueError, match="2 name"):
        export(lambda t: t, np.ones(1), output_names=["a", "b"])


def test_writes_a_file_atomically_and_deterministically(tmp_path):
    rng = np.random.default_rng(0)
    fn, x = _mlp(rng), rng.normal(size=(3, 4))
    path = tmp_path / "model.onnx"
    model = export(fn, x, path=path)
    assert path.read_bytes() == model.SerializeToString()
    assert export(fn, x).SerializeToString() == path.read_bytes()  # deterministic
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no temporary file left
    onnx.checker.check_model(onnx.load(path), full_check=True)
    calls = []
    with pytest.raises(ValueError, match="does not exist"):
        export(lambda t: calls.append(t) or t, x, path=tmp_path / "missing" / "m.onnx")
    assert calls == []  # checked before tracing


def test_opset_is_checked_and_older_opsets_run():
    x = np.linspace(-2, 2, 5)
    model = export(lambda t: t.mish().logsumexp(), x, opset=18)
    assert model.opset_import[0].version == 18
    assert np.isclose(run(model, x)[0], Tensor(x).mish().logsumexp().item(), rtol=1e-12)
    with pytest.raises(ValueError, match="opset"):
        export(lambda t: t, x, opset=17)
