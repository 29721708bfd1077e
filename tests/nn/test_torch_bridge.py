"""nn.torch_bridge: to_torch / from_torch give the same outputs and gradients as chainrule.

Every test that needs PyTorch skips cleanly without it; the tests of the
missing-torch path run in a subprocess where ``import torch`` fails.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor
from nn import functional as F  # noqa: N812
from nn.activations import activation

try:
    import torch
except ImportError:  # the bridge is optional: its tests skip
    torch = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch is not installed: pip install 'chainrule[torch]'"
)
ROOT = Path(__file__).resolve().parents[2]

# (output atol, output rtol) per dtype; gradients use the same
TOLERANCE = {np.float32: (1e-5, 1e-5), np.float64: (1e-12, 1e-10)}


def _activation(draw: st.DrawFn) -> nn.Module:
    kind = draw(
        st.sampled_from(
            ["identity", "relu", "leaky", "tanh", "sigmoid", "softplus", "mish", "softmax", "log"]
        )
    )
    if kind == "leaky":
        return nn.LeakyReLU(draw(st.sampled_from([0.01, 0.1, 0.3])))
    if kind == "softmax":
        return nn.Softmax(axis=draw(st.sampled_from([-1, 0, 1])))
    if kind == "log":
        return nn.LogSoftmax(axis=draw(st.sampled_from([-1, 1])))
    return activation(kind)


@st.composite
def models(draw: st.DrawFn) -> tuple[nn.Module, type, int]:
    """A random Sequential of Linear layers and activations (or an MLP), its dtype and n_in."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**16))
    sizes = draw(st.lists(st.integers(1, 9), min_size=2, max_size=5))
    if draw(st.booleans()):
        act = draw(st.sampled_from(["relu", "tanh", "leaky_relu", "mish", "softplus", "sigmoid"]))
        return nn.MLP(sizes, activation=act, dtype=dtype, seed=seed), dtype, sizes[0]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], dtype=dtype, seed=seed + i))
        if draw(st.booleans()):
            layers.append(_activation(draw))
    if draw(st.booleans()) and len(layers) > 1:  # a nested Sequential
        cut = draw(st.integers(1, len(layers) - 1))
        layers = [nn.Sequential(*layers[:cut]), *layers[cut:]]
    return nn.Sequential(*layers), dtype, sizes[0]


def _assert_close(ours: np.ndarray, theirs: np.ndarray, dtype: type) -> None:
    atol, rtol = TOLERANCE[dtype]
    assert ours.dtype == theirs.dtype == dtype
    np.testing.assert_allclose(ours, theirs, atol=atol, rtol=rtol)


def _torch_layout(name: str, grad: np.ndarray) -> np.ndarray:
    """A chainrule gradient in PyTorch's layout: Linear weights are transposed."""
    return grad.T if name.endswith("weight") else grad


# --------------------------------------------------------------------------
# Same outputs, same gradients
# --------------------------------------------------------------------------


@needs_torch
@given(models(), st.integers(1, 6), st.integers(0, 2**16), st.sampled_from(["ce", "mse"]))
def test_same_outputs_and_gradients(spec, batch, seed, loss_name):
    model, dtype, n_in = spec
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, n_in)).astype(dtype)
    torch_model = model.to_torch()

    x_ours = Tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = model(x_ours), torch_model(x_theirs)
    _assert_close(out_ours.data, out_theirs.detach().numpy(), dtype)

    if loss_name == "ce":
        target = rng.integers(0, out_ours.shape[1], size=batch)
        loss_ours = F.cross_entropy(out_ours, target)
        loss_theirs = torch.nn.functional.cross_entropy(out_theirs, torch.tensor(target))
    else:
        target = rng.normal(size=out_ours.shape).astype(dtype)
        loss_ours = F.mse(out_ours, target)
        loss_theirs = torch.nn.functional.mse_loss(out_theirs, torch.tensor(target))
    _assert_close(np.asarray(loss_ours.data), loss_theirs.detach().numpy(), dtype)

    model.zero_grad()
    loss_ours.backward()
    loss_theirs.backward()
    _assert_close(x_ours.grad, x_theirs.grad.numpy(), dtype)
    ours = model.named_parameters()
    theirs = list(torch_model.named_parameters())
    assert len(ours) == len(theirs) > 0
    for (name, p), (torch_name, tp) in zip(ours, theirs):
        assert name.rsplit(".", 1)[-1] == torch_name.rsplit(".", 1)[-1]
        grad = np.zeros_like(p.data) if p.grad is None else p.grad
        _assert_close(_torch_layout(name, grad), tp.grad.numpy(), dtype)


@needs_torch
@given(models(), st.integers(1, 5), st.integers(0, 2**16))
def test_from_torch_same_outputs(spec, batch, seed):
    model, dtype, n_in = spec
    torch_model = model.to_torch()
    with torch.no_grad():  # give every parameter new values, drawn by torch
        generator = torch.Generator().manual_seed(seed)
        for p in torch_model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) * 0.5)
    back = nn.from_torch(torch_model)
    x = np.random.default_rng(seed).normal(size=(batch, n_in)).astype(dtype)
    expected = torch_model(torch.from_numpy(x)).detach().numpy()
    _assert_close(back(Tensor(x)).data, expected, dtype)


@needs_torch
def test_float64_matches_to_rounding():
    model = nn.MLP([8, 16, 16, 4], activation="mish", output_activation="softmax", seed=3)
    x = np.random.default_rng(0).normal(size=(32, 8))
    ours = model(Tensor(x)).data
    theirs = model.to_torch()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@needs_torch
def test_tied_weights_stay_tied():
    square = nn.Linear(4, 4, seed=0)
    model = nn.Sequential(square, nn.Tanh(), square)
    torch_model = model.to_torch()
    assert torch_model[0] is torch_model[2]
    assert len(list(torch_model.parameters())) == 2
    x = np.random.default_rng(1).normal(size=(3, 4))
    F.mse(model(Tensor(x)), np.ones((3, 4))).backward()
    torch.nn.functional.mse_loss(torch_model(torch.from_numpy(x)), torch.ones(3, 4)).backward()
    # both uses of the shared weight add their gradient, on both sides
    np.testing.assert_allclose(square.weight.grad.T, torch_model[0].weight.grad.numpy(), 1e-12)
    back = nn.from_torch(torch_model)
    assert back[0] is back[2]


@needs_torch
def test_softplus_above_torch_threshold():
    # torch returns x itself above threshold 20; chainrule computes ln(1 + e^x): < 2e-9 apart
    x = np.array([[19.0, 21.0, 30.0, 700.0, -700.0]])
    ours = nn.Softplus()(Tensor(x)).data
    theirs = nn.Softplus().to_torch()(torch.from_numpy(x)).numpy()
    assert np.all(np.abs(ours - theirs) < 2.1e-9)
    assert np.all(np.isfinite(ours))


# --------------------------------------------------------------------------
# Layout, dtypes, parameters, structure, copies
# --------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_layout_is_transposed(dtype):
    layer = nn.Linear(3, 5, dtype=dtype, seed=0)
    torch_layer = layer.to_torch()
    assert type(torch_layer) is torch.nn.Linear
    assert layer.weight.shape == (3, 5)
    assert tuple(torch_layer.weight.shape) == (5, 3)
    assert torch_layer.weight.dtype == getattr(torch, np.dtype(dtype).name)
    assert np.array_equal(torch_layer.weight.detach().numpy(), layer.weight.data.T)
    assert np.array_equal(torch_layer.bias.detach().numpy(), layer.bias.data)
    back = nn.from_torch(torch_layer)
    assert back.weight.data.dtype == dtype and back.weight.shape == (3, 5)
    assert back.weight.data.flags.c_contiguous  # row-major, as nn.Linear makes its own


@needs_torch
def test_no_bias_and_training_mode_carry_over():
    model = nn.Sequential(nn.Linear(2, 3, bias=False, seed=0), nn.ReLU()).eval()
    torch_model = model.to_torch()
    assert torch_model[0].bias is None
    assert not torch_model.training and not torch_model[1].training
    back = nn.from_torch(torch_model)
    assert back[0].bias is None and not back.training
    assert [name for name, _ in back.named_parameters()] == ["0.weight"]


@needs_torch
def test_activation_parameters_kept():
    model = nn.Sequential(nn.LeakyReLU(0.2), nn.Softmax(axis=0), nn.LogSoftmax(axis=1))
    torch_model = model.to_torch()
    assert torch_model[0].negative_slope == 0.2
    assert torch_model[1].dim == 0 and torch_model[2].dim == 1
    back = nn.from_torch(torch_model)
    assert back[0].negative_slope == 0.2
    assert back[1].axis == 0 and back[2].axis == 1


@needs_torch
def test_every_activation_maps_to_its_namesake():
    names = ["Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softplus", "Mish", "Softmax"]
    model = nn.Sequential(*(getattr(nn, name)() for name in [*names, "LogSoftmax"]))
    torch_model = model.to_torch()
    assert [type(m).__name__ for m in torch_model] == [*names, "LogSoftmax"]
    assert [type(m).__name__ for m in nn.from_torch(torch_model)] == [*names, "LogSoftmax"]


@needs_torch
def test_mlp_becomes_a_flat_torch_sequential():
    model = nn.MLP([4, 6, 2], activation="tanh", output_activation="sigmoid", seed=0)
    torch_model = nn.to_torch(model)
    assert type(torch_model) is torch.nn.Sequential
    assert [type(m).__name__ for m in torch_model] == ["Linear", "Tanh", "Linear", "Sigmoid"]
    assert [name for name, _ in torch_model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


@needs_torch
@given(models())
def test_round_trip_gives_identical_arrays(spec):
    model, dtype, _ = spec
    back = nn.from_torch(model.to_torch())
    ours, theirs = model.state_dict(), back.state_dict()
    assert len(ours) == len(theirs)
    for a, b in zip(ours.values(), theirs.values()):
        assert a.dtype == b.dtype == dtype and np.array_equal(a, b)
    # and torch -> chainrule -> torch gives identical torch tensors
    torch_model = model.to_torch()
    again = nn.from_torch(torch_model).to_torch()
    for (n1, p1), (n2, p2) in zip(torch_model.named_parameters(), again.named_parameters()):
        assert n1 == n2 and p1.dtype == p2.dtype and torch.equal(p1, p2)


@needs_torch
def test_nested_sequential_keeps_its_structure():
    torch_model = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU()),
        torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(4, 2))),
    )
    back = nn.from_torch(torch_model)
    assert type(back[0]) is nn.Sequential and type(back[1][0]) is nn.Sequential
    assert [name for name, _ in back.named_parameters()] == [
        name for name, _ in torch_model.named_parameters()
    ]
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    expected = torch_model(x).detach().numpy()
    np.testing.assert_allclose(back(Tensor(x.numpy())).data, expected, atol=1e-6)
    assert nn.Sequential(nn.Sequential(nn.Tanh())).to_torch()[0][0].__class__ is torch.nn.Tanh


@needs_torch
def test_arrays_are_copied_not_shared():
    model = nn.Sequential(nn.Linear(2, 2, seed=0))
    torch_model = model.to_torch()
    before = model[0].weight.data.copy()
    with torch.no_grad():
        torch_model[0].weight.add_(1.0)
    assert np.array_equal(model[0].weight.data, before)
    back = nn.from_torch(torch_model)
    copied = back[0].weight.data.copy()
    with torch.no_grad():
        torch_model[0].weight.mul_(2.0)
    assert np.array_equal(back[0].weight.data, copied)


@needs_torch
def test_to_torch_leaves_torch_random_state_alone():
    state = torch.get_rng_state()
    nn.MLP([16, 32, 4], seed=0).to_torch()
    assert torch.equal(torch.get_rng_state(), state)


# --------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------


@needs_torch
def test_from_torch_lists_every_unsupported_layer_and_what_is_supported():
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(2, 3),
        torch.nn.Dropout(),
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.BatchNorm1d(3)),
    )
    with pytest.raises(TypeError) as info:
        nn.from_torch(torch_model)
    message = str(info.value)
    assert "layer '1' (torch.nn.Dropout)" in message
    assert "layer '2.1' (torch.nn.BatchNorm1d)" in message
    for supported in ["Sequential", "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid"]:
        assert supported in message
    for supported in ["Softplus", "Mish", "Softmax"]:
        assert supported in message


@needs_torch
@pytest.mark.parametrize(
    ("layer", "words"),
    [
        (lambda: torch.nn.Softmax(), "dim=None"),
        (lambda: torch.nn.LogSoftmax(), "dim=None"),
        (lambda: torch.nn.Softplus(beta=2.0), "beta=2.0"),
        (lambda: torch.nn.Softplus(threshold=5.0), "threshold=5.0"),
        (lambda: torch.nn.Linear(2, 2).half(), "torch.float16"),
    ],
)
def test_from_torch_refuses_unsupported_settings(layer, words):
    with pytest.raises(ValueError, match="from_torch cannot convert") as info:
        nn.from_torch(torch.nn.Sequential(torch.nn.Identity(), layer()))
    assert "layer '1'" in str(info.value) and words in str(info.value)


@needs_torch
def test_from_torch_refuses_subclasses_and_non_modules():
    class Scaled(torch.nn.Linear):
        def forward(self, x):
            return 2 * super().forward(x)

    with pytest.raises(TypeError, match="Scaled"):
        nn.from_torch(torch.nn.Sequential(Scaled(2, 2)))
    with pytest.raises(TypeError, match=r"torch\.nn\.Module, got MLP"):
        nn.from_torch(nn.MLP([2, 2]))


@needs_torch
def test_to_torch_refuses_what_has_no_torch_layer():
    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError) as info:
        nn.Sequential(nn.Linear(2, 2), nn.Sign(), Custom()).to_torch()
    message = str(info.value)
    assert "layer '1' (nn.Sign)" in message and "gradient is 0" in message
    assert "layer '2'" in message and "Custom" in message
    assert "Supported: nn.Linear, nn.Sequential" in message
    with pytest.raises(TypeError, match=r"nn\.scalar\.MLP.*scalar \(Value\) model"):
        nn.scalar.MLP(2, [3, 1]).to_torch()
    with pytest.raises(TypeError, match="takes an nn Module, got list"):
        nn.to_torch([nn.ReLU()])


def test_module_that_contains_itself_is_refused():
    pytest.importorskip("torch")
    loop = nn.Sequential(nn.ReLU())
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        loop.to_torch()


# --------------------------------------------------------------------------
# torch stays optional
# --------------------------------------------------------------------------


def _run_without_torch(code: str) -> subprocess.CompletedProcess:
    blocker = "import sys\nsys.modules['torch'] = None  # import torch now raises ImportError\n"
    return subprocess.run(
        [sys.executable, "-c", blocker + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_nn_works_without_torch_and_the_bridge_says_how_to_install_it():
    result = _run_without_torch(
        """
        import numpy as np
        import nn
        from autograd import Tensor

        model = nn.MLP([3, 4, 2], seed=0)
        assert model(Tensor(np.ones((1, 3)))).shape == (1, 2)
        for call in (model.to_torch, lambda: nn.from_torch(object())):
            try:
                call()
            except ImportError as error:
                print(error)
            else:
                raise SystemExit("no ImportError")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "pip install 'chainrule[torch]'" in line and "torch==2.13.0" in line


def test_importing_nn_does_not_import_torch():
    code = "import sys, nn; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_extras_pin_torch_exactly():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert extras["torch"] == ["torch==2.13.0"]  # any other spec downloads gigabytes here
    assert {spec.split(">")[0] for spec in extras["onnx"]} == {"onnx", "onnxruntime"}
    for name, specs in extras.items():  # wherever torch appears, exactly this pin
        for spec in specs:
            if spec.split("=")[0].split(">")[0].split("<")[0].strip() == "torch":
                assert spec == "torch==2.13.0", f"extra {name!r}: {spec}"
