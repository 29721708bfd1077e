"""Property tests: the vectorised Value block, array parameters and PyTorch agree on random runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optim
from autograd import Value

unit = st.floats(0.0, 0.99)
lr = st.floats(1e-4, 0.5)
wd = st.sampled_from([0.0, 0.01, 0.3])

CONFIGS = st.one_of(
    st.builds(
        lambda lr, m, nest, wd: (
            "SGD",
            {"lr": lr, "momentum": m, "nesterov": nest and m > 0, "weight_decay": wd},
        ),
        lr,
        unit,
        st.booleans(),
        wd,
    ),
    st.builds(
        lambda lr, d, acc, wd: (
            "Adagrad",
            {"lr": lr, "lr_decay": d, "initial_accumulator_value": acc, "weight_decay": wd},
        ),
        lr,
        st.floats(0.0, 0.1),
        st.floats(0.0, 1.0),
        wd,
    ),
    st.builds(
        lambda lr, a, m, c, wd: (
            "RMSprop",
            {"lr": lr, "alpha": a, "momentum": m, "centered": c, "weight_decay": wd},
        ),
        lr,
        st.floats(0.5, 0.999),
        unit,
        st.booleans(),
        wd,
    ),
    st.builds(
        lambda name, lr, b1, b2, ams, wd: (
            name,
            {"lr": lr, "betas": (b1, b2), "amsgrad": ams, "weight_decay": wd},
        ),
        st.sampled_from(["Adam", "AdamW"]),
        lr,
        unit,
        st.floats(0.5, 0.999),
        st.booleans(),
        wd,
    ),
)


@st.composite
def runs(draw):
    name, kwargs = draw(CONFIGS)
    n = draw(st.integers(1, 5))
    steps = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    start = rng.normal(size=n)
    grads = rng.normal(size=(steps, n)) * rng.choice([1e-3, 1.0, 100.0])
    # Some parameters get no gradient on some steps (None): they must be skipped.
    skip = rng.random((steps, n)) < 0.2
    return name, kwargs, start, grads, skip


def run_values(name, kwargs, start, grads, skip):
    params = [Value(float(v)) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    for g_row, s_row in zip(grads, skip):
        for p, g, s in zip(params, g_row, s_row):
            p.grad = None if s else float(g)
        opt.step()
    return np.array([p.data for p in params])


def run_arrays(name, kwargs, start, grads, skip, array_param):
    params = [array_param([v]) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    for g_row, s_row in zip(grads, skip):
        for p, g, s in zip(params, g_row, s_row):
            p.grad = None if s else np.array([g])
        opt.step()
    return np.array([p.data[0] for p in params])


# The fixtures only hand out a class / the torch module: nothing to reset between examples.
stateless_fixtures = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@stateless_fixtures
@given(runs())
def test_value_block_equals_array_parameters(array_param, run):
    values = run_values(*run)
    arrays = run_arrays(*run, array_param)
    np.testing.assert_allclose(values, arrays, rtol=1e-13, atol=1e-300)


@stateless_fixtures
@given(runs())
def test_random_runs_match_torch(torch, run):
    name, kwargs, start, grads, skip = run
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    opt = getattr(torch.optim, name)(params, **kwargs)
    for g_row, s_row in zip(grads, skip):
        for p, g, s in zip(params, g_row, s_row):
            p.grad = None if s else torch.tensor(g, dtype=torch.float64)
        opt.step()
    expected = np.array([p.item() for p in params])
    np.testing.assert_allclose(run_values(*run), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_mixed_group_of_values_and_arrays(name, array_param):
    a, b = Value(1.0), Value(-2.0)
    t = array_param([[0.5, -0.5]])
    opt = getattr(optim, name)([a, t, b], lr=0.1)
    ref = [array_param([1.0]), array_param([[0.5, -0.5]]), array_param([-2.0])]
    ref_opt = getattr(optim, name)(ref, lr=0.1)
    for k in range(5):
        a.grad, b.grad, t.grad = 0.3 * k, -1.0, np.array([[1.0, 2.0]]) * k
        ref[0].grad, ref[2].grad, ref[1].grad = np.array([0.3 * k]), np.array([-1.0]), t.grad
        opt.step()
        ref_opt.step()
    assert [a.data, b.data] == [ref[0].data[0], ref[2].data[0]]
    np.testing.assert_array_equal(t.data, ref[1].data)
