"""Learning-rate schedules: micrograd's linear decay and PyTorch's StepLR/ExponentialLR/Cosine."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from optim import SGD, CosineAnnealingLR, ExponentialLR, LinearDecay, StepLR


def two_group_sgd(lrs=(0.5, 0.2)):
    return SGD([{"params": [Value(1.0)], "lr": lrs[0]}, {"params": [Value(2.0)], "lr": lrs[1]}])


def rates(sched, steps):
    out = [sched.get_last_lr()]
    for _ in range(steps):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out


def test_linear_decay_is_micrograds_schedule():
    opt = SGD([Value(0.0)], lr=1.0)
    sched = LinearDecay(opt, end_lr=0.1, total_steps=100)
    got = rates(sched, 120)
    for k in range(100):
        assert got[k][0] == pytest.approx(1.0 - 0.9 * k / 100, rel=1e-15, abs=1e-15)
    assert all(r[0] == pytest.approx(0.1) for r in got[100:])
    assert opt.param_groups[0]["lr"] == got[-1][0]


def test_linear_decay_start_lr_overrides_group_lr():
    opt = SGD([Value(0.0)], lr=0.3)
    sched = LinearDecay(opt, end_lr=0.0, total_steps=4, start_lr=1.0)
    assert [r[0] for r in rates(sched, 5)] == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0])


def test_linear_decay_matches_torch_linear_lr(torch):
    x = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([x], lr=1.0)
    tsched = torch.optim.lr_scheduler.LinearLR(
        topt, start_factor=1.0, end_factor=0.1, total_iters=100
    )
    sched = LinearDecay(SGD([Value(0.0)], lr=1.0), end_lr=0.1, total_steps=100)
    for _ in range(130):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-9)
        topt.step()
        tsched.step()
        sched.step()


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (StepLR, "StepLR", {"step_size": 7, "gamma": 0.5}),
        (ExponentialLR, "ExponentialLR", {"gamma": 0.95}),
        (CosineAnnealingLR, "CosineAnnealingLR", {"T_max": 20, "eta_min": 0.01}),
        (CosineAnnealingLR, "CosineAnnealingLR", {"T_max": 10}),
    ],
)
def test_schedules_match_torch(torch, ours, theirs, kwargs):
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b], "lr": 0.2}])
    tsched = getattr(torch.optim.lr_scheduler, theirs)(topt, **kwargs)
    sched = ours(two_group_sgd(), **kwargs)
    seen = set()
    for _ in range(50):
        ours_lr, their_lr = sched.get_last_lr(), tsched.get_last_lr()
        assert ours_lr == pytest.approx(their_lr, rel=1e-9, abs=1e-14)
        assert [g["lr"] for g in sched.optimizer.param_groups] == ours_lr
        seen.add(round(ours_lr[0], 12))
        topt.step()
        tsched.step()
        sched.step()
    assert len(seen) > 3  # the rate really changed


def test_closed_forms():
    sched = StepLR(two_group_sgd(), step_size=3, gamma=0.1)
    assert [r[0] for r in rates(sched, 7)] == pytest.approx(
        [0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005, 0.005]
    )
    sched = CosineAnnealingLR(two_group_sgd(), T_max=4, eta_min=0.1)
    got = [r[1] for r in rates(sched, 4)]
    expected = [0.1 + 0.1 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(5)]
    assert got == pytest.approx(expected)
    assert got[-1] == pytest.approx(0.1)


def test_schedule_drives_the_optimizer():
    w = Value(1.0)
    opt = SGD([w], lr=1.0)
    sched = ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        w.grad = 1.0
        opt.step()
        sched.step()
    assert w.data == pytest.approx(1.0 - (1.0 + 0.5 + 0.25))


def test_scheduler_state_dict_round_trip():
    sched = CosineAnnealingLR(two_group_sgd(), T_max=10, eta_min=0.01)
    rates(sched, 4)
    saved = sched.state_dict()
    resumed = CosineAnnealingLR(two_group_sgd(), T_max=3)
    resumed.load_state_dict(saved)
    assert resumed.T_max == 10
    assert resumed.get_last_lr() == sched.get_last_lr()
    assert rates(resumed, 5) == rates(sched, 5)


def test_scheduler_load_rejects_bad_state():
    sched = StepLR(two_group_sgd(), step_size=2)
    before = sched.state_dict()
    with pytest.raises(ValueError, match="expects keys"):
        sched.load_state_dict({"last_epoch": 3})
    with pytest.raises(ValueError, match="parameter groups"):
        sched.load_state_dict({**before, "base_lrs": [0.1]})
    with pytest.raises(ValueError, match="gamma"):
        sched.load_state_dict({**before, "gamma": "big"})
    assert sched.state_dict() == before


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda o: StepLR(o, step_size=0), "step_size"),
        (lambda o: StepLR(o, step_size=2, gamma=-1.0), "gamma"),
        (lambda o: ExponentialLR(o, gamma=-0.5), "gamma"),
        (lambda o: CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1.0), "eta_min"),
        (lambda o: LinearDecay(o, end_lr=0.1, total_steps=0), "total_steps"),
        (lambda o: LinearDecay(o, end_lr=-0.1, total_steps=10), "end_lr"),
    ],
)
def test_bad_schedule_arguments(make, name):
    opt = two_group_sgd()
    with pytest.raises(ValueError, match=name):
        make(opt)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.2]


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="optimizer"):
        StepLR([Value(1.0)], step_size=2)
