"""Module.to_onnx: an nn model as an ONNX file that onnxruntime runs with the same outputs.

Skips cleanly without onnx or onnxruntime (``pip install 'chainrule[onnx]'``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import nn  # noqa: E402
import optim  # noqa: E402
from autograd import Tensor  # noqa: E402
from nn import functional as F  # noqa: E402, N812
from nn.activations import ACTIVATIONS  # noqa: E402

TOLERANCE = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x})
    return out


@settings(max_examples=20)
@given(
    st.lists(st.integers(1, 7), min_size=2, max_size=4),
    st.sampled_from(sorted(ACTIVATIONS)),
    st.sampled_from([np.float32, np.float64]),
    st.integers(1, 9),
    st.integers(0, 2**16),
)
def test_every_activation_in_an_mlp(tmp_path_factory, sizes, activation, dtype, batch, seed):
    model = nn.MLP(sizes, activation=activation, output_activation="log_softmax", dtype=dtype,
                   seed=seed)
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    model.to_onnx(path, np.zeros((1, sizes[0])))
    x = np.random.default_rng(seed).normal(scale=3.0, size=(batch, sizes[0])).astype(dtype)
    got, expected = run(path, x), nn.predict(model, x)
    assert got.dtype == expected.dtype == dtype
    assert np.allclose(got, expected, **TOLERANCE[dtype])


def test_nested_sequential_names_initializers_like_named_parameters(tmp_path):
    model = nn.Sequential(
        nn.Sequential(nn.Linear(3, 4, seed=0), nn.LeakyReLU(0.2)),
        nn.Linear(4, 2, bias=False, seed=1),
        nn.Softmax(axis=-1),
    )
    path = tmp_path / "model.onnx"
    proto = model.to_onnx(path, np.ones((2, 3)), input_name="features", output_name="probs")
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["probs"]
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    for name, p in model.named_parameters():
        assert np.array_equal(initializers[name], p.data)
    # float64: LeakyReLU through its formula (onnxruntime's LeakyRelu is float32 only)
    nodes = [n.op_type for n in proto.graph.node]
    assert nodes == ["Gemm", "Greater", "Mul", "Where", "MatMul", "Softmax", "Identity"]
    assert proto.graph.node[0].name.startswith("Sequential/")  # the module path of each node
    x = np.random.default_rng(0).normal(size=(5, 3))
    session = ort.InferenceSession(str(path))
    assert np.allclose(session.run(None, {"features": x})[0], nn.predict(model, x), rtol=1e-12)


def test_float32_layers_are_onnx_layers(tmp_path):
    model = nn.MLP([3, 4, 4, 2], activation="leaky_relu", output_activation="softmax",
                   dtype=np.float32, seed=0)
    proto = model.to_onnx(tmp_path / "m.onnx", np.ones((1, 3)))
    assert [n.op_type for n in proto.graph.node] == [
        "Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm", "Softmax", "Identity"
    ]


def test_trained_digits_model_gives_the_same_predictions(tmp_path):
    pytest.importorskip("sklearn")
    X, y = nn.load_digits()
    X = X.astype(np.float32)
    X_train, X_test, y_train, _ = nn.train_test_split(X, y, 0.25, seed=0, stratify=True)
    model = nn.MLP([64, 32, 10], dtype=np.float32, seed=0)
    nn.fit(model, F.cross_entropy, X_train, y_train, optim.Adam(model.parameters(), lr=0.01),
           epochs=5, batch_size=32, progress=False)
    path = tmp_path / "digits.onnx"
    model.to_onnx(path, X_test[:1])
    got, expected = run(path, X_test), nn.predict(model, X_test)
    assert got.dtype == np.float32 and got.shape == (len(X_test), 10)
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1))


def test_an_array_example_takes_the_models_dtype(tmp_path):
    model = nn.MLP([2, 3, 1], dtype=np.float32, seed=0)
    proto = model.to_onnx(tmp_path / "m.onnx", np.ones((1, 2)))  # a float64 example
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    proto = model.to_onnx(tmp_path / "m.onnx", Tensor(np.ones((1, 2))))  # a Tensor: as given
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE


def test_fixed_batch_when_asked(tmp_path):
    model = nn.MLP([2, 3, 1], seed=0)
    proto = model.to_onnx(tmp_path / "m.onnx", np.ones((4, 2)), dynamic_batch=False)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4


def test_scalar_models_are_refused(tmp_path):
    model = nn.scalar.MLP(2, [3, 1])
    with pytest.raises(TypeError, match=r"nn\.scalar"):
        model.to_onnx(tmp_path / "m.onnx", np.ones((1, 2)))
    assert not list(tmp_path.iterdir())
