"""The Optimizer base: groups, zero_grad, skipping, state_dict round trips and validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import optim
from autograd import Value
from optim import ROSENBROCK, SGD, Adagrad, Adam, AdamW, RMSProp

ALL = [
    (SGD, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    (Adagrad, {"lr": 0.3, "lr_decay": 0.01}),
    (RMSProp, {"lr": 1e-3, "momentum": 0.5, "centered": True}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.1}),
]
ALL_IDS = [cls.__name__ for cls, _ in ALL]


def value_run(opt, x, y, steps):
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ROSENBROCK(x, y).backward()
        opt.step()
        out.append((x.data, y.data))
    return out


def array_run(opt, p, grad_fn, steps):
    out = []
    for _ in range(steps):
        opt.zero_grad()
        p.grad = grad_fn(p.data)
        opt.step()
        out.append(tuple(p.data.tolist()))
    return out


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=ALL_IDS)
def test_state_dict_round_trip_resumes_the_exact_trajectory(cls, kw):
    x, y = Value(-1.2), Value(1.0)
    opt = cls([x, y], **kw)
    value_run(opt, x, y, 30)
    saved = json.loads(json.dumps(opt.state_dict()))  # plain JSON, no pickle
    x2, y2 = Value(x.data), Value(y.data)
    opt2 = cls([x2, y2], lr=123.0)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    assert value_run(opt2, x2, y2, 40) == value_run(opt, x, y, 40)  # bit for bit


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=ALL_IDS)
def test_array_state_dict_round_trip(cls, kw, array_param, rosenbrock_grad):
    p = array_param([-1.2, 1.0])
    opt = cls([p], **kw)
    array_run(opt, p, rosenbrock_grad, 30)
    saved = opt.state_dict()
    p2 = array_param(p.data.copy())
    opt2 = cls([p2], **kw)
    opt2.load_state_dict(saved)
    assert array_run(opt2, p2, rosenbrock_grad, 40) == array_run(opt, p, rosenbrock_grad, 40)


def test_state_dict_layout(array_param):
    a, b = Value(1.0), Value(2.0)
    t = array_param([[1.0, 2.0]])
    opt = Adam([{"params": [a, t]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert opt.state_dict()["state"] == {}
    a.grad, b.grad, t.grad = 1.0, -1.0, np.ones((1, 2))
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert set(sd["state"]) == {0, 1, 2}
    assert sd["state"][0] == {
        "step": 1.0,
        "exp_avg": pytest.approx(0.1),
        "exp_avg_sq": pytest.approx(0.001),
    }
    assert isinstance(sd["state"][0]["exp_avg"], float)
    assert sd["state"][1]["exp_avg"].shape == (1, 2)
    sd["state"][1]["exp_avg"][...] = 99.0  # a copy: the optimizer is unaffected
    assert opt.state_dict()["state"][1]["exp_avg"][0, 0] == pytest.approx(0.1)


def fresh_adam():
    x, y = Value(-1.2), Value(1.0)
    opt = Adam([{"params": [x]}, {"params": [y], "lr": 0.01}], lr=0.05)
    value_run(opt, x, y, 5)
    return opt, x, y


def corrupt(kind, sd):
    if kind == "top-level keys":
        del sd["param_groups"]
    elif kind == "group count":
        sd["param_groups"].pop()
    elif kind == "group size":
        sd["param_groups"][0]["params"].append(7)
    elif kind == "hyper-parameter names":
        sd["param_groups"][1]["momentum"] = 0.9
    elif kind == "hyper-parameter value":
        sd["param_groups"][1]["betas"] = (0.9, 1.5)
    elif kind == "state keys":
        del sd["state"][1]["exp_avg_sq"]
    elif kind == "state index":
        sd["state"][5] = sd["state"][0]
    elif kind == "state value":
        sd["state"][1]["exp_avg"] = "zero"
    elif kind == "step":
        sd["state"][0]["step"] = -1.0
    return sd


BAD = {
    "top-level keys": "exactly the keys",
    "group count": "1 parameter groups",
    "group size": "2 parameters",
    "hyper-parameter names": "unexpected \\['momentum'\\]",
    "hyper-parameter value": "beta2",
    "state keys": "exp_avg_sq",
    "state index": "refers to no parameter",
    "state value": "must be a real number",
    "step": "'step'",
}


@pytest.mark.parametrize("kind", BAD)
def test_load_state_dict_validates_and_changes_nothing(kind):
    opt, x, y = fresh_adam()
    control, cx, cy = fresh_adam()
    bad = corrupt(kind, opt.state_dict())
    # A valid first group must not be loaded when a later part is invalid.
    if "param_groups" in bad:
        bad["param_groups"][0]["lr"] = 42.0
    with pytest.raises(ValueError, match=BAD[kind]):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 0.05
    assert value_run(opt, x, y, 10) == value_run(control, cx, cy, 10)


def test_load_state_dict_rejects_wrong_shapes(array_param):
    p = array_param([1.0, 2.0])
    opt = Adam([p])
    p.grad = np.ones(2)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = np.zeros(3)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        opt.load_state_dict(sd)
    np.testing.assert_array_equal(
        opt.state_dict()["state"][0]["exp_avg"], before["state"][0]["exp_avg"]
    )


def test_params_with_grad_none_are_skipped(array_param):
    a, b = Value(1.0), Value(2.0)
    t, u = array_param([1.0, 1.0]), array_param([5.0])
    opt = Adam([a, b, t, u], lr=0.1)
    a.grad, b.grad, t.grad, u.grad = 1.0, None, np.ones(2), None
    opt.step()
    assert a.data == pytest.approx(0.9) and b.data == 2.0
    np.testing.assert_allclose(t.data, [0.9, 0.9])
    assert u.data[0] == 5.0 and u.writes == 0
    state = opt.state_dict()["state"]
    assert state[1]["step"] == 0.0 and state[0]["step"] == 1.0  # b's state is untouched
    assert 3 not in state  # u was never stepped
    b.grad = 1.0
    opt.step()
    assert b.data == pytest.approx(1.9)  # b's first real step is bias-corrected as step 1


def test_zero_grad(array_param):
    v, t = Value(1.0), array_param([1.0])
    opt = SGD([v, t], lr=0.1)
    v.grad, t.grad = 3.0, np.ones(1)
    opt.zero_grad()
    assert v.grad == 0.0 and isinstance(v.grad, float) and t.grad is None
    t.grad = np.ones(1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(t.grad, [0.0])


def test_array_update_goes_through_the_data_setter(array_param):
    t = array_param([1.0, 2.0])
    data_before = t.data
    opt = SGD([t], lr=0.5)
    t.grad = np.array([1.0, 1.0])
    opt.step()
    assert t.writes == 1 and t.data is data_before  # in place, via the setter
    np.testing.assert_array_equal(t.data, [0.5, 1.5])


def test_param_groups_and_add_param_group():
    a, b, c = Value(1.0), Value(1.0), Value(1.0)
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    opt.add_param_group({"params": [c], "weight_decay": 1.0})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.1]
    assert opt.param_groups[2]["weight_decay"] == 1.0
    for p in (a, b, c):
        p.grad = 1.0
    opt.step()
    assert (a.data, b.data, c.data) == pytest.approx((0.9, 0.5, 0.8))
    opt.param_groups[0]["lr"] = 0.2  # changed rates take effect (how schedulers work)
    a.grad = 1.0
    opt.step()
    assert a.data == pytest.approx(0.7)


def test_duplicate_and_invalid_parameters():
    a = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        SGD([a, a])
    opt = SGD([a])
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty"):
        SGD([])
    with pytest.raises(TypeError, match="wrap it in a list"):
        SGD(a)
    with pytest.raises(TypeError, match=r"\.data and \.grad"):
        SGD([1.0])
    with pytest.raises(TypeError, match="'params'"):
        opt.add_param_group([a])
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda p: SGD(p, lr=-0.1), "lr"),
        (lambda p: SGD(p, momentum=-0.9), "momentum"),
        (lambda p: SGD(p, nesterov=True), "nesterov"),
        (lambda p: SGD(p, weight_decay=-1.0), "weight_decay"),
        (lambda p: Adagrad(p, eps=-1e-10), "eps"),
        (lambda p: Adagrad(p, lr_decay=-1.0), "lr_decay"),
        (lambda p: Adagrad(p, initial_accumulator_value=-1.0), "initial_accumulator_value"),
        (lambda p: RMSProp(p, alpha=1.5), "alpha"),
        (lambda p: RMSProp(p, momentum=-0.1), "momentum"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "beta1"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "beta2"),
        (lambda p: Adam(p, betas=0.9), "betas"),
        (lambda p: Adam(p, lr="fast"), "lr"),
        (lambda p: AdamW(p, weight_decay=-0.01), "weight_decay"),
        (lambda p: Adam([{"params": p, "lr": -1.0}]), "lr"),
    ],
)
def test_bad_hyper_parameters_name_the_parameter(make, name):
    with pytest.raises(ValueError, match=f"Invalid {name}"):
        make([Value(1.0)])


def test_repr():
    text = repr(Adam([Value(1.0), Value(2.0)], lr=0.5))
    assert text.startswith("Adam (") and "Parameter Group 0" in text
    assert "lr: 0.5" in text and "betas: (0.9, 0.999)" in text and "params: 2" in text


def test_closure_returns_the_loss():
    x, y = Value(-1.2), Value(1.0)
    opt = SGD([x, y], lr=1e-3)

    def closure():
        opt.zero_grad()
        loss = ROSENBROCK(x, y)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.data == pytest.approx(24.2)
    assert x.data != -1.2


def test_changed_settings_get_their_state_lazily():
    x, y = Value(-1.2), Value(1.0)
    opt = Adam([x, y], lr=0.05)
    value_run(opt, x, y, 3)
    opt.param_groups[0]["amsgrad"] = True
    value_run(opt, x, y, 3)
    assert set(opt.state_dict()["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_lecture_momentum_form_gives_the_same_trajectory():
    """Lecture: v_t = γv_{t−1} + α∇f, x_t = x_{t−1} − v_t.  PyTorch: b_t = γb_{t−1} + ∇f, x −= αb_t.

    By induction v_t = α·b_t, so the two trajectories agree (up to rounding).
    """
    alpha, gamma = 1e-3, 0.9
    px, py = -1.2, 1.0
    vx = vy = 0.0
    lecture = []
    for _ in range(200):
        gx, gy = ROSENBROCK.gradient(px, py)
        vx, vy = gamma * vx + alpha * gx, gamma * vy + alpha * gy
        px, py = px - vx, py - vy
        lecture.append((px, py))
    path = optim.optimize(ROSENBROCK, lambda p: SGD(p, lr=alpha, momentum=gamma), (-1.2, 1.0), 200)
    np.testing.assert_allclose(path.points[1:], np.array(lecture), rtol=1e-10)
    assert np.linalg.norm(path.points[-1] - path.points[0]) > 1.0


def _tensor_class():
    try:
        from autograd import Tensor
    except ImportError:
        pytest.skip("autograd.Tensor is not available yet")
    return Tensor


@pytest.mark.parametrize(("cls", "kw"), ALL, ids=ALL_IDS)
def test_real_tensor_matches_values(cls, kw):
    Tensor = _tensor_class()
    t = Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    x, y = Value(-1.2), Value(1.0)
    topt, vopt = cls([t], **kw), cls([x, y], **kw)
    for _ in range(20):
        topt.zero_grad()
        assert t.grad is None
        version = t._version
        ((1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2).backward()
        topt.step()
        assert t._version > version  # updated through the data setter
        vopt.zero_grad()
        ROSENBROCK(x, y).backward()
        vopt.step()
        np.testing.assert_allclose(t.data, [x.data, y.data], rtol=1e-12)


@pytest.mark.parametrize("weight_decay", [0.0, 0.5])
def test_plain_sgd_skips_values_without_grad(weight_decay):
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    opt = SGD([a, b, c], lr=0.1, weight_decay=weight_decay)
    a.grad, b.grad, c.grad = 1.0, None, -1.0
    opt.step()
    assert b.data == 2.0
    assert a.data == pytest.approx(1.0 - 0.1 * (1.0 + weight_decay * 1.0))
    assert c.data == pytest.approx(3.0 - 0.1 * (-1.0 + weight_decay * 3.0))
