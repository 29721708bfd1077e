"""optim.state_dict_to_json / state_dict_from_json: JSON text that resumes a run bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_optim_base import ALL, ALL_IDS

import optim
from autograd import Value


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=ALL_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_json_round_trip_resumes_the_exact_trajectory(cls, kw, dtype, array_param,
                                                      rosenbrock_grad):
    x, y = Value(-1.2), Value(1.0)
    p = array_param([[-1.2, 1.0]], dtype=dtype)
    opt = cls([{"params": [x, y]}, {"params": [p], "lr": kw["lr"] / 2}], **kw)

    def run(opt, x, y, p, steps):
        out = []
        for _ in range(steps):
            opt.zero_grad()
            (x * x + (y - 1) ** 2 * 3).backward()
            p.grad = rosenbrock_grad(p.data[0].astype(np.float64))[None].astype(dtype)
            opt.step()
            out.append((x.data, y.data, p.data.tobytes()))
        return out

    run(opt, x, y, p, 25)
    text = optim.state_dict_to_json(opt.state_dict())
    assert isinstance(json.loads(text), dict)  # plain JSON text
    x2, y2, p2 = Value(x.data), Value(y.data), array_param(p.data.copy(), dtype=dtype)
    opt2 = cls([{"params": [x2, y2]}, {"params": [p2]}], lr=123.0)
    opt2.load_state_dict(optim.state_dict_from_json(text))
    assert run(opt2, x2, y2, p2, 30) == run(opt, x, y, p, 30)  # bit for bit


def test_json_keeps_array_dtype_and_shape(array_param):
    p = array_param(np.zeros((2, 0, 3)), dtype=np.float32)
    q = array_param([[1.0, 2.0]], dtype=np.float32)
    opt = optim.Adam([p, q])
    p.grad, q.grad = np.zeros((2, 0, 3), np.float32), np.ones((1, 2), np.float32)
    opt.step()
    back = optim.state_dict_from_json(optim.state_dict_to_json(opt.state_dict()))
    assert back["state"]["0"]["exp_avg"].shape == (2, 0, 3)  # a tolist() would lose this
    assert back["state"]["1"]["exp_avg_sq"].dtype == np.float32


def test_value_and_scalar_only_state_is_plain_json():
    x = Value(1.0)
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    x.grad = 2.0
    opt.step()
    text = optim.state_dict_to_json(opt.state_dict())
    assert "__ndarray__" not in text
    assert json.loads(text)["state"]["0"]["momentum_buffer"] == 2.0


def test_json_refuses_nan_state():
    x = Value(1.0)
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    x.grad = float("nan")
    opt.step()
    with pytest.raises(ValueError, match="nan or inf, which JSON cannot represent"):
        optim.state_dict_to_json(opt.state_dict())


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"a": {"__ndarray__": {"dtype": "float64", "shape": [2], "data": [1]}}}', "needs 2"),
        ('{"a": {"__ndarray__": {"dtype": "object", "shape": [1], "data": [1]}}}', "numeric"),
        ('{"a": {"__ndarray__": {"dtype": "float64", "shape": [-1], "data": []}}}', "shape"),
        ('{"a": {"__ndarray__": {"dtype": "float64", "shape": [1], "data": ["x"]}}}', "numbers"),
        ('{"a": {"__ndarray__": {"dtype": "nonsense", "shape": [1], "data": [1]}}}', "dtype"),
        ('{"a": {"__ndarray__": [1, 2]}}', "dtype, shape and data"),
    ],
)
def test_from_json_refuses_malformed_text(text, match):
    with pytest.raises(ValueError, match=match):
        optim.state_dict_from_json(text)
