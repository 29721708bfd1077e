"""Trajectories against ``torch.optim`` (float64) on Rosenbrock over 200 steps, rtol 1e-6."""

from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Value
from optim import ROSENBROCK, optimize

START = (-1.2, 1.0)
STEPS = 200

# (our class, our kwargs, torch class, torch kwargs)
CASES = [
    ("SGD", {"lr": 1e-3}, "SGD", {"lr": 1e-3}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9}, "SGD", {"lr": 1e-3, "momentum": 0.9}),
    (
        "SGD",
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
        "SGD",
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
    ),
    (
        "SGD",
        {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.1},
        "SGD",
        {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.1},
    ),
    ("Adagrad", {"lr": 0.5}, "Adagrad", {"lr": 0.5}),
    (
        "Adagrad",
        {"lr": 0.5, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1},
        "Adagrad",
        {"lr": 0.5, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1},
    ),
    ("RMSprop", {"lr": 1e-2}, "RMSprop", {"lr": 1e-2}),
    ("RMSProp", {"lr": 1e-3, "momentum": 0.9}, "RMSprop", {"lr": 1e-3, "momentum": 0.9}),
    ("RMSprop", {"lr": 1e-3, "centered": True}, "RMSprop", {"lr": 1e-3, "centered": True}),
    (
        "RMSprop",
        {"lr": 1e-3, "centered": True, "momentum": 0.9, "weight_decay": 0.1},
        "RMSprop",
        {"lr": 1e-3, "centered": True, "momentum": 0.9, "weight_decay": 0.1},
    ),
    ("Adam", {"lr": 0.05}, "Adam", {"lr": 0.05}),
    (
        "Adam",
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1},
        "Adam",
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1},
    ),
    ("AdamW", {"lr": 0.05}, "AdamW", {"lr": 0.05}),
    (
        "AdamW",
        {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.5, "amsgrad": True},
        "AdamW",
        {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.5, "amsgrad": True},
    ),
]
IDS = [f"{c[0]}-{'-'.join(f'{k}={v}' for k, v in c[1].items())}" for c in CASES]


def torch_path(torch, cls, kwargs, start=START, steps=STEPS):
    x = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, cls)([x], **kwargs)
    path = [x.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        f.backward()
        opt.step()
        path.append(x.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize(("ours", "our_kw", "theirs", "their_kw"), CASES, ids=IDS)
def test_value_trajectory_matches_torch(torch, ours, our_kw, theirs, their_kw):
    expected = torch_path(torch, theirs, their_kw)
    got = optimize(ROSENBROCK, lambda p: getattr(optim, ours)(p, **our_kw), START, STEPS).points
    assert np.isfinite(expected).all()
    # The run must actually move, or matching would prove nothing.
    assert np.linalg.norm(expected[-1] - expected[0]) > 0.05
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(("ours", "our_kw", "theirs", "their_kw"), CASES, ids=IDS)
def test_array_trajectory_matches_torch(
    torch, ours, our_kw, theirs, their_kw, array_param, rosenbrock_grad
):
    expected = torch_path(torch, theirs, their_kw)
    p = array_param(START)
    opt = getattr(optim, ours)([p], **our_kw)
    path = [p.data.copy()]
    for _ in range(STEPS):
        opt.zero_grad()
        assert p.grad is None
        p.grad = rosenbrock_grad(p.data)
        opt.step()
        path.append(p.data.copy())
    np.testing.assert_allclose(np.array(path), expected, rtol=1e-6, atol=1e-12)


def test_param_groups_match_torch(torch):
    """x and y in two groups with their own lr and betas, as in PyTorch."""
    tx = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam(
        [{"params": [tx]}, {"params": [ty], "lr": 0.01, "betas": (0.5, 0.9)}], lr=0.05
    )
    x, y = Value(-1.2), Value(1.0)
    opt = optim.Adam([{"params": [x]}, {"params": [y], "lr": 0.01, "betas": (0.5, 0.9)}], lr=0.05)
    for _ in range(100):
        topt.zero_grad()
        ((1 - tx) ** 2 + 100 * (ty - tx**2) ** 2).backward()
        topt.step()
        opt.zero_grad()
        ROSENBROCK(x, y).backward()
        opt.step()
    assert (x.data, y.data) == pytest.approx((tx.item(), ty.item()), rel=1e-6)


@pytest.mark.parametrize("cls", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_skipped_grads_match_torch(torch, cls):
    """A parameter whose grad is None on some steps is skipped, its state untouched (PyTorch)."""
    kwargs = {"lr": 1e-3, "momentum": 0.9} if cls == "SGD" else {"lr": 0.05}
    tx = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, cls)([tx, ty], **kwargs)
    x, y = Value(-1.2), Value(1.0)
    opt = getattr(optim, cls)([x, y], **kwargs)
    for k in range(60):
        topt.zero_grad()
        ((1 - tx) ** 2 + 100 * (ty - tx**2) ** 2).backward()
        opt.zero_grad()
        ROSENBROCK(x, y).backward()
        if k % 3 == 1:
            ty.grad = None
            y.grad = None
        topt.step()
        opt.step()
    assert np.isfinite([x.data, y.data]).all()
    assert abs(x.data + 1.2) > 0.01
    assert (x.data, y.data) == pytest.approx((tx.item(), ty.item()), rel=1e-6)
