"""Never silently wrong: the functional API, threads, all-or-nothing accumulation, anomaly
detection, create_graph's reference cycle and gradcheck's own arguments (issue 13)."""

from __future__ import annotations

import gc
import math
import threading
import warnings

import numpy as np
import pytest

import autograd
from autograd import (
    AnomalyError,
    Tensor,
    Value,
    detect_anomaly,
    grad,
    gradcheck,
    gradients,
    hessian,
    hvp,
    jacobian,
    value_and_grad,
)

# ----------------------------------------------------------------------------
# 1. The functional API never returns zeros for an argument it was asked to differentiate
# ----------------------------------------------------------------------------


def cube_sum(x):
    return (x**3).sum()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Tensor([1.0, 2.0]),
        lambda: Tensor([1.0, 2.0], requires_grad=True).detach(),
        lambda: Tensor([1.0, 2.0], requires_grad=False, dtype=np.float64),
    ],
    ids=["plain", "detached", "explicit_false"],
)
def test_grad_differentiates_a_tensor_without_requires_grad(make):
    np.testing.assert_allclose(np.asarray(grad(cube_sum)(make()).data), [3.0, 12.0])
    value, g = value_and_grad(cube_sum)(make())
    assert float(value.data) == 9.0
    np.testing.assert_allclose(np.asarray(g.data), [3.0, 12.0])
    jac = jacobian(lambda x: x**2)(make())
    np.testing.assert_allclose(np.asarray(jac.data), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(np.asarray(hessian(cube_sum)(make()).data), np.diag([6.0, 12.0]))
    np.testing.assert_allclose(np.asarray(hvp(cube_sum, make(), np.ones(2)).data), [6.0, 12.0])


def test_argnums_accepts_numpy_integers_and_rejects_the_rest():
    assert grad(lambda x, y: x * y, argnums=np.int64(1))(2.0, 3.0) == 2.0
    assert grad(lambda x, y: x * y, argnums=(np.int32(0), 1))(2.0, 3.0) == (3.0, 2.0)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x: x, argnums=1.0)(2.0)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x: x, argnums=True)(2.0)
    with pytest.raises(ValueError, match="out of range"):
        grad(lambda x: x, argnums=3)(2.0)


def test_hvp_says_when_v_does_not_fit_x():
    with pytest.raises(ValueError, match="v must be one too"):
        hvp(lambda x: x**3, 2.0, np.ones(3))
    with pytest.raises(ValueError, match=r"v has shape \(3,\) but x has shape \(2,\)"):
        hvp(cube_sum, np.array([1.0, 2.0]), np.ones(3))
    assert hvp(lambda x: x**3, 2.0, 1.0) == 12.0


# ----------------------------------------------------------------------------
# 2. Threads: concurrent passes through a shared leaf add up exactly
# ----------------------------------------------------------------------------


def _hammer(make_leaf, step, threads=4, passes=300):
    leaf = make_leaf()
    barrier = threading.Barrier(threads)

    def work():
        barrier.wait()
        for _ in range(passes):
            step(leaf)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return leaf


def test_concurrent_tensor_backward_is_exact():
    W = _hammer(
        lambda: Tensor(np.ones((3, 3)), requires_grad=True), lambda W: (W * 2).sum().backward()
    )
    np.testing.assert_array_equal(W.grad, np.full((3, 3), 2 * 4 * 300))


def test_concurrent_value_backward_is_exact():
    w = _hammer(lambda: Value(1.5), lambda w: (w * 2 + w * w).backward())
    assert w.grad == (2 + 2 * 1.5) * 4 * 300


# ----------------------------------------------------------------------------
# 3. All or nothing covers the final accumulation
# ----------------------------------------------------------------------------


def test_a_stale_gradient_of_another_shape_changes_nothing():
    a = Tensor(np.ones((10, 10)), requires_grad=True, label="a")
    b = Tensor(np.ones(2), requires_grad=True, label="b")
    a.grad = np.full((10, 10), 7.0)
    b.grad = np.ones(10)  # stale: from another model
    loss = (a * 2).sum() + (b * 3).sum()
    with pytest.raises(ValueError, match=r"'?b'?.*\(10,\).*\(2,\)"):
        loss.backward()
    np.testing.assert_array_equal(a.grad, np.full((10, 10), 7.0))
    np.testing.assert_array_equal(b.grad, np.ones(10))
    b.grad = None
    loss.backward()
    np.testing.assert_array_equal(a.grad, np.full((10, 10), 9.0))


# ----------------------------------------------------------------------------
# 9. Anomaly detection
# ----------------------------------------------------------------------------


def test_anomaly_names_the_forward_op_its_inputs_and_where_it_was_made():
    x = Tensor([1.0, 0.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        (x * 2).log()
    message = str(info.value)
    assert "'log'" in message and "inf" in message and "1 zero(s)" in message
    assert "test_reliability.py" in message


def test_anomaly_names_the_backward_rule():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        (x * 1.0).sqrt().sum().backward()
    message = str(info.value)
    assert "backward of 'sqrt'" in message and "test_reliability.py" in message
    assert x.grad is None  # all or nothing: nothing written


def test_anomaly_checks_values_too_and_is_off_again_afterwards():
    v = Value(0.0)
    with pytest.raises(AnomalyError, match="forward of 'log'"), detect_anomaly():
        (v * 1.0).log()
    assert not autograd.is_anomaly_enabled()
    assert (v * 1.0).log().data == -math.inf  # outside the context: IEEE, no error
    add = Value.__add__
    with detect_anomaly():
        assert Value.__add__ is not add
        assert (Value(1.0) + 2.0).data == 3.0
    assert Value.__add__ is add


def test_finite_computations_pass_under_anomaly_detection():
    with detect_anomaly():
        x = Tensor([0.5, 2.0], requires_grad=True)
        (x.tanh() * x.log()).sum().backward()
        v = Value(0.3)
        (v.sigmoid() * v).backward()
    assert np.all(np.isfinite(x.grad)) and math.isfinite(v.grad)


# ----------------------------------------------------------------------------
# 10. create_graph's reference cycle: said, and avoidable
# ----------------------------------------------------------------------------


def test_backward_with_create_graph_warns_about_its_reference_cycle():
    x = Value(3.0)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x**3).backward(create_graph=True)
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="autograd.gradients"):
        (t**3).sum().backward(create_graph=True)


def test_gradients_with_create_graph_leaves_no_cycle():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()
        gc.disable()
        try:
            before = len(gc.get_objects())
            for _ in range(20):
                x = Tensor([1.0, 2.0], requires_grad=True)
                (g,) = gradients([(x**3).sum()], [np.ones(())], [x], create_graph=True)
                (h,) = gradients([g.sum()], [np.ones(())], [x])
                del x, g, h
            unreachable = gc.collect()
            assert len(gc.get_objects()) - before < 50
        finally:
            gc.enable()
    assert unreachable == 0


# ----------------------------------------------------------------------------
# 8. gradcheck checks its own arguments and its step
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{"eps": 0}, {"eps": -1e-6}, {"atol": math.inf}, {"rtol": math.inf},
               {"rtol": 0.0}, {"atol": math.nan}],
)
def test_gradcheck_refuses_tolerances_that_would_pass_anything(kwargs):
    with pytest.raises(ValueError, match="positive and finite"):
        gradcheck(lambda v: v.sin(), Value(1.0), **kwargs)


def test_gradcheck_with_an_infinite_rtol_would_have_passed_a_sign_flip():
    from autograd import define_op

    flipped = define_op("sin_flipped", forward=lambda m, x: m.sin(x),
                        derivative=lambda m, x: -m.cos(x), register=False)
    assert not gradcheck(flipped, Value(1.0), raise_exception=False)


def test_gradcheck_divides_by_the_representable_step():
    assert gradcheck(lambda v: v.sin(), Value(1e8))
    assert gradcheck(lambda t: t.sin(), Tensor([1e8, -3e7], requires_grad=True))
