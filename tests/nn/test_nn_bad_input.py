"""Bad input to nn: a clear error of a fitting type, and nothing changed (parameters, files)."""

from __future__ import annotations

import io
import json
import warnings
import zipfile

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor, Value
from nn import ModelFileError, Module

TENSOR_ARCH = {"model": "nn.MLP", "engine": "tensor", "layer_sizes": [2, 3, 2],
               "activation": "relu", "output_activation": None, "bias": True, "dtype": "float64"}


def _npy(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, arr, allow_pickle=False)
    return buffer.getvalue()


def _record(architecture=None, **changes) -> bytes:
    record = {"format": "chainrule.model", "version": 1, "saved_from": "MLP",
              "architecture": architecture, **changes}
    return json.dumps(record).encode()


def _archive(path, members: list[tuple[str, bytes]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members:
                zf.writestr(name, data)


def _mlp_members(model: Module, **replace: bytes) -> list[tuple[str, bytes]]:
    members = [(f"{name}.npy", _npy(value)) for name, value in model.state_dict().items()]
    members = [(name, replace.get(name, data)) for name, data in members]
    return [*members, ("chainrule_model.json", _record(model._architecture()))]


def _snapshot(model: Module) -> list[np.ndarray]:
    return [np.array(p.data, copy=True) for p in model.parameters()]


def _unchanged(model: Module, before: list[np.ndarray]) -> bool:
    return all(np.array_equal(p.data, old) for p, old in zip(model.parameters(), before))


@pytest.fixture
def model() -> nn.MLP:
    return nn.MLP([2, 3, 2], seed=0)


def _refused(model, path, error, match) -> None:
    before = _snapshot(model)
    with pytest.raises(error, match=match):
        model.load(path)
    assert _unchanged(model, before)


# -- damaged or hostile files --------------------------------------------------


def test_a_truncated_file_is_refused(tmp_path, model):
    nn.MLP([2, 3, 2], seed=1).save(tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "m.npz").write_bytes(data[: len(data) // 2])
    _refused(model, tmp_path / "m.npz", ModelFileError, "damaged zip archive")


def test_a_flipped_data_byte_fails_the_crc_and_changes_nothing(tmp_path, model):
    nn.MLP([2, 3, 2], seed=1).save(tmp_path / "m.npz")
    data = bytearray((tmp_path / "m.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "m.npz") as zf:
        info = zf.getinfo("layers.2.bias.npy")
    # local header (30 bytes + name + extra) then the .npy: flip the last data byte
    name_len = len(info.filename.encode())
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    last = info.header_offset + 30 + name_len + extra_len + info.compress_size - 1
    data[last] ^= 0xFF
    (tmp_path / "m.npz").write_bytes(bytes(data))
    _refused(model, tmp_path / "m.npz", ModelFileError,
             r"damaged or unreadable member 'layers\.2\.bias\.npy' \(Bad CRC-32")


def test_an_encrypted_member_is_refused(tmp_path, model):
    _archive(tmp_path / "m.npz", _mlp_members(model))
    data = bytearray((tmp_path / "m.npz").read_bytes())
    name = b"layers.0.bias.npy"
    central = data.index(b"PK\x01\x02")  # the first central directory entry
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1  # general purpose flag bit 0: encrypted, needs a password
    (tmp_path / "m.npz").write_bytes(bytes(data))
    _refused(model, tmp_path / "m.npz", ModelFileError,
             r"unreadable member 'layers\.0\.bias\.npy' \(File .* is encrypted")


def test_a_member_whose_header_claims_more_than_it_stores_is_refused(tmp_path, model):
    short = _npy(np.zeros(2))[:-8]  # header says 2 float64, data holds 1
    _archive(tmp_path / "m.npz", _mlp_members(model, **{"layers.2.bias.npy": short}))
    _refused(model, tmp_path / "m.npz", ModelFileError, "stores 8 bytes: the file is truncated")


@pytest.mark.parametrize(
    ("array", "match"),
    [(np.zeros(2, np.float32), "as float32; the model expects float64"),
     (np.zeros(2, np.int64), "dtype int64; model parameters are floating-point"),
     (np.zeros(3), r"shape \(3,\); the model expects \(2,\)"),
     (np.array([0.0, np.nan]), "nan or inf")],
    ids=["float32", "int64", "shape", "nan"],
)
def test_a_member_of_the_wrong_kind_is_refused(tmp_path, model, array, match):
    _archive(tmp_path / "m.npz", _mlp_members(model, **{"layers.2.bias.npy": _npy(array)}))
    _refused(model, tmp_path / "m.npz", ModelFileError, match)


def test_a_member_that_is_not_an_array_is_refused(tmp_path, model):
    _archive(tmp_path / "m.npz", _mlp_members(model, **{"layers.2.bias.npy": b"not npy"}))
    _refused(model, tmp_path / "m.npz", ModelFileError, "member 'layers.2.bias' that is not an")


def test_an_unknown_member_is_refused(tmp_path, model):
    _archive(tmp_path / "m.npz", [*_mlp_members(model), ("run.sh", b"rm -rf ~")])
    _refused(model, tmp_path / "m.npz", ModelFileError, "member 'run.sh' that is neither")


def test_duplicate_members_are_refused(tmp_path, model):
    members = _mlp_members(model)
    _archive(tmp_path / "m.npz", [*members, members[0]])
    _refused(model, tmp_path / "m.npz", ModelFileError, "two members named 'layers.0.weight.npy'")


@pytest.mark.parametrize(
    ("record", "match"),
    [(b"{not json", "not valid JSON"),
     (json.dumps({"format": "other"}).encode(), "not a chainrule model record"),
     (_record(TENSOR_ARCH, version=99), "newer chainrule .*format 99"),
     (_record(TENSOR_ARCH, version="1"), "invalid format version '1'"),
     (_record([1, 2]), "architecture record that is not a JSON object")],
    ids=["json", "format", "newer", "version-type", "architecture-type"],
)
def test_a_bad_record_is_refused(tmp_path, model, record, match):
    members = [m for m in _mlp_members(model) if m[0] != "chainrule_model.json"]
    _archive(tmp_path / "m.npz", [*members, ("chainrule_model.json", record)])
    _refused(model, tmp_path / "m.npz", ModelFileError, match)
    with pytest.raises(ModelFileError, match=match):
        nn.load(tmp_path / "m.npz")


def test_load_of_a_missing_file_is_file_not_found(tmp_path, model):
    _refused(model, tmp_path / "nope.npz", FileNotFoundError, "nope.npz")


# -- nn.load of a bad architecture record ------------------------------------------


@pytest.mark.parametrize(
    ("change", "match"),
    [({"layer_sizes": [2, -3, 2]}, "layer sizes \\[2, -3, 2\\]; expected a list"),
     ({"layer_sizes": [2]}, "at least two integers"),
     ({"layer_sizes": [2, True, 2]}, "at least two integers"),
     ({"activation": "swish"}, "unknown activation 'swish'"),
     ({"activation": {"name": "leaky_relu", "negative_slope": "steep"}}, "finite float"),
     ({"activation": {"name": "relu", "inplace": True}}, "has no setting 'inplace'"),
     ({"model": "torch.nn.Module"}, "unknown model type 'torch.nn.Module'"),
     ({"engine": "value"}, "runs on the tensor engine"),
     ({"dtype": "complex128"}, "dtype 'complex128' is not one of"),
     ({"bias": "yes"}, "records bias 'yes'"),
     ({"extra": 1}, "keys .* expected"),
     ({"layer_sizes": [2, 4, 2]}, r"shape \(2, 3\); the model expects \(2, 4\)")],
    ids=["negative", "short", "bool", "activation", "setting-type", "setting", "model",
         "engine", "dtype", "bias", "extra-key", "sizes-vs-arrays"],
)
def test_nn_load_refuses_a_bad_architecture(tmp_path, model, change, match):
    members = [m for m in _mlp_members(model) if m[0] != "chainrule_model.json"]
    _archive(tmp_path / "m.npz", [*members, ("chainrule_model.json",
                                             _record({**TENSOR_ARCH, **change}))])
    with pytest.raises(ModelFileError, match=match):
        nn.load(tmp_path / "m.npz")


@pytest.mark.parametrize("limit", [0, -1, True, 2.5, "10"])
def test_nn_load_checks_max_parameters(tmp_path, model, limit):
    model.save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="max_parameters must be an int >= 1 or None"):
        nn.load(tmp_path / "m.npz", max_parameters=limit)


def test_nn_load_limit_is_adjustable(tmp_path, model):
    model.save(tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match=r"17 parameters .* max_parameters=10"):
        nn.load(tmp_path / "m.npz", max_parameters=10)
    assert nn.load(tmp_path / "m.npz", max_parameters=17).sizes == [2, 3, 2]


def test_big_endian_and_fortran_order_arrays_load(tmp_path, model):
    saved = nn.MLP([2, 3, 2], seed=5)
    state = saved.state_dict()
    replace = {"layers.0.weight.npy": _npy(np.asfortranarray(state["layers.0.weight"])),
               "layers.2.bias.npy": _npy(state["layers.2.bias"].astype(">f8"))}
    _archive(tmp_path / "m.npz", _mlp_members(saved, **replace))
    model.load(tmp_path / "m.npz")
    for a, b in zip(model.parameters(), saved.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    bias = model.layers[2].bias.data
    assert bias.dtype == np.float64 and bias.dtype.isnative


# -- saving -------------------------------------------------------------------------


def test_save_into_a_missing_directory_creates_nothing(tmp_path, model):
    with pytest.raises(FileNotFoundError):
        model.save(tmp_path / "missing" / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_onto_a_directory_is_refused(tmp_path, model):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory; give a file name"):
        model.save(tmp_path / "d")
    assert list((tmp_path / "d").iterdir()) == []


class _Odd(Module):
    def __init__(self, key: str) -> None:
        self.table = {key: Value(1.0)}


def test_save_refuses_a_name_a_zip_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="cannot store a parameter named"):
        _Odd("a\x00b").save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="not valid text"):
        _Odd("\udcff").save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_two_parameters_under_one_name_are_refused_not_dropped():
    class Clash(Module):
        def __init__(self) -> None:
            self.t = {"a.b": Value(1.0), "a": {"b": Value(2.0)}}

    with pytest.raises(ValueError, match=r"both named 't\.a\.b'"):
        Clash().state_dict()


# -- load_state_dict ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, [("layers.0.weight", 1)], "weights"])
def test_load_state_dict_of_the_wrong_type_is_a_type_error(model, bad):
    before = _snapshot(model)
    with pytest.raises(TypeError, match="expects a mapping"):
        model.load_state_dict(bad)
    assert _unchanged(model, before)


def test_load_state_dict_refuses_nan_and_changes_nothing(model):
    state = {k: v + 1.0 for k, v in model.state_dict().items()}
    state["layers.2.weight"][0, 0] = np.inf
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"'layers\.2\.weight' holds nan or inf"):
        model.load_state_dict(state)
    assert _unchanged(model, before)


# -- fit --------------------------------------------------------------------------------


def _fit_refused(model, error, match, **kwargs) -> None:
    X, y = nn.make_moons(20, noise=0.1, seed=0)
    args = {"model": model, "loss_fn": nn.functional.cross_entropy, "X": X, "y": y,
            "optimizer": optim.SGD(model.parameters(), lr=0.1), "epochs": 2, **kwargs}
    before = _snapshot(model)
    with pytest.raises(error, match=match):
        nn.fit(**args)
    assert _unchanged(model, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"epochs": -1}, ValueError, "epochs must be >= 0"),
     ({"epochs": 2.5}, TypeError, "epochs must be an int"),
     ({"epochs": True}, TypeError, "epochs must be an int"),
     ({"loss_fn": "cross_entropy"}, TypeError, "needs a loss function"),
     ({"optimizer": optim.SGD(nn.MLP([2, 3, 2]).parameters(), lr=0.1)}, ValueError,
      "holds none of this model's parameters"),
     ({"y": np.zeros(19, int)}, ValueError, "X has 20 samples but y has 19"),
     ({"X": np.zeros((20, 3))}, ValueError, "expects inputs with 2 features"),
     ({"batch_size": 0}, ValueError, "batch_size must lie in")],
    ids=["negative-epochs", "float-epochs", "bool-epochs", "loss", "foreign-optimizer",
         "lengths", "features", "batch"],
)
def test_fit_refuses_bad_arguments_and_changes_nothing(model, kwargs, error, match):
    _fit_refused(model, error, match, **kwargs)


def test_fit_of_a_model_without_parameters_says_so():
    class Empty(Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="the Empty has no parameters"):
        nn.fit(Empty(), nn.functional.mse, np.zeros((4, 2)), np.zeros(4), optim.SGD(
            [Tensor(np.zeros(1), requires_grad=True)], lr=0.1))


def test_fit_on_data_with_nan_stops_before_changing_the_parameters(model):
    X, y = nn.make_moons(20, noise=0.1, seed=0)
    X[3, 0] = np.nan
    before = _snapshot(model)
    with pytest.warns(RuntimeWarning, match="epoch 0, batch 0: the loss is nan"):
        history = nn.fit(model, nn.functional.cross_entropy, X, y,
                         optim.SGD(model.parameters(), lr=0.1), epochs=3)
    assert history.stopped_early and history.epochs == 0
    assert _unchanged(model, before)
