"""Module base: parameter discovery, naming, train/eval, repr, state dicts and .npz files."""

from __future__ import annotations

import os

import numpy as np
import pytest

from autograd import Value, topological_order
from nn.module import Module


class Affine(Module):
    def __init__(self) -> None:
        self.w = [Value(1.0), Value(2.0)]
        self.b = Value(0.5)

    def forward(self, x):
        return self.w[0] * x[0] + self.w[1] * x[1] + self.b


class Net(Module):
    def __init__(self) -> None:
        self.first = Affine()
        self.blocks = [Affine(), Affine()]
        self.table = {"extra": Value(3.0)}
        self.tied = self.first.b  # the same Value again: listed once
        self.rate = 0.1  # not a parameter

    def forward(self, x):
        h = self.first(x)
        return self.blocks[1]([self.blocks[0](x), h])


def test_parameters_are_ordered_and_deduplicated():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "first.w.0",
        "first.w.1",
        "first.b",
        "blocks.0.w.0",
        "blocks.0.w.1",
        "blocks.0.b",
        "blocks.1.w.0",
        "blocks.1.w.1",
        "blocks.1.b",
        "table.extra",
    ]
    params = net.parameters()
    assert len({id(p) for p in params}) == len(params) == 10
    assert params[2] is net.first.b


def test_a_module_referring_to_its_parent_does_not_loop():
    net = Net()
    net.first.owner = net
    assert len(net.parameters()) == 10


def test_zero_grad_and_train_eval():
    net = Net()
    out = net([Value(1.0), Value(2.0)])
    out.backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())
    assert net.eval() is net
    assert not net.training and not net.blocks[1].training
    net.train()
    assert net.training and net.first.training


def test_call_opens_nested_name_scopes():
    net = Net()
    out = net([1.0, 2.0])
    assert out.scope == ("Net", "blocks.1")
    scopes = {node.scope for node in topological_order(out) if node._prev}
    assert scopes == {("Net", "first"), ("Net", "blocks.0"), ("Net", "blocks.1")}


def test_forward_must_be_implemented():
    with pytest.raises(NotImplementedError, match="Module must implement forward"):
        Module()(1)


def test_repr_lists_submodules():
    text = repr(Net())
    assert text.startswith("Net(\n")
    assert "(first): Affine()" in text and "(blocks.1): Affine()" in text


def test_state_dict_is_a_copy_of_float64_arrays():
    net = Net()
    state = net.state_dict()
    assert state["first.w.1"].shape == () and state["first.w.1"].dtype == np.float64
    state["first.w.1"][()] = 99.0
    assert net.first.w[1].data == 2.0


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    for i, p in enumerate(a.parameters()):
        p.data = float(i) + 0.25
    b.load_state_dict(a.state_dict())
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda s: s.pop("blocks.0.b"), KeyError, "missing keys \\['blocks.0.b'\\]"),
        (lambda s: s.update(bogus=np.array(1.0)), KeyError, "unexpected keys \\['bogus'\\]"),
        (lambda s: s.update({"table.extra": np.ones(2)}), ValueError, "'table.extra'.*shape"),
        (
            lambda s: s.update({"first.b": np.array(1, dtype=np.int64)}),
            ValueError,
            "'first.b'.*dtype float64, got int64",
        ),
    ],
)
def test_load_state_dict_checks_everything_before_changing_anything(edit, error, match):
    net = Net()
    before = [p.data for p in net.parameters()]
    state = {k: v + 10.0 for k, v in net.state_dict().items()}
    edit(state)
    with pytest.raises(error, match=match):
        net.load_state_dict(state)
    assert [p.data for p in net.parameters()] == before


def test_save_and_load_npz(tmp_path):
    a, b = Net(), Net()
    for i, p in enumerate(a.parameters()):
        p.data = -float(i)
    path = tmp_path / "model.npz"
    a.save(path)
    assert b.load(path) is b
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    with np.load(path, allow_pickle=False) as archive:  # plain arrays, no pickle
        assert sorted(archive.files) == sorted([*a.state_dict(), "chainrule_model.json"])
        for name, value in a.state_dict().items():
            np.testing.assert_array_equal(archive[name], value)
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_save_failure_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    net = Net()
    path = tmp_path / "model.npz"
    net.save(path)
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(OSError, match="disk full"):
        net.save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.npz"]


def test_load_rejects_a_mismatching_file(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weight=np.ones(3))
    net = Net()
    with pytest.raises(KeyError, match=r"unexpected keys \['weight'\]"):
        net.load(path)


def test_load_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"first.w.0": np.array([{"a": 1}], dtype=object)})
    net = Net()
    before = [p.data for p in net.parameters()]
    with pytest.raises(ValueError, match="allow_pickle"):
        net.load(path)
    assert [p.data for p in net.parameters()] == before


def test_parameters_is_named_parameters_without_names():
    import numpy as np

    from autograd import Tensor, Value
    from nn import MLP, Module, scalar

    class Mixed(Module):
        def __init__(self):
            self.a = Value(1.0)
            self.blocks = [MLP([3, 4, 2], seed=0), {"x": Tensor(np.ones(2), requires_grad=True)}]
            self.tied = self.a
            self.mlp = scalar.MLP(2, [3, 1])

    for model in (Mixed(), MLP([5, 3, 3, 2], seed=1), scalar.MLP(3, [4, 4, 1])):
        named = [p for _, p in model.named_parameters()]
        assert [id(p) for p in model.parameters()] == [id(p) for p in named]
