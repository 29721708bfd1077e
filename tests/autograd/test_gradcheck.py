"""The gradient checker, itself tested against deliberately wrong backward rules."""

from __future__ import annotations

import math

import pytest

from autograd import GradcheckError, Value, define_op, gradcheck


def wrong_tanh(factor):
    """tanh with a derivative off by ``factor``: the bug gradcheck exists to catch."""
    return define_op(
        "tanh_wrong",
        forward=lambda m, x: m.tanh(x),
        derivative=lambda m, out: factor * (1 - out * out),
        register=False,
    )


def test_correct_rules_pass():
    a, b = Value(0.7, label="a"), Value(-1.3, label="b")
    result = gradcheck(lambda a, b: (a * b).tanh() + a ** b.exp() - (a / b).sigmoid(), a, b)
    assert result and result.passed and result.max_rel_error < 1e-6


def test_wrong_rule_off_by_a_thousandth_is_caught():
    x = Value(0.4, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_tanh(1.001), x, atol=1e-8, rtol=1e-5)
    message = str(info.value)
    assert "input 0 ('x')" in message and "analytical" in message and "numerical" in message
    assert "abs error" in message and "rel error" in message


def test_wrong_rule_is_caught_with_default_tolerances_when_off_by_a_percent():
    with pytest.raises(GradcheckError):
        gradcheck(wrong_tanh(1.01), Value(0.4))


def test_result_object_when_not_raising():
    x = Value(0.4)
    result = gradcheck(wrong_tanh(1.001), x, atol=1e-8, rtol=1e-5, raise_exception=False)
    assert not result
    (failure,) = result.failures
    assert failure.input_index == 0
    assert failure.analytical == pytest.approx(1.001 * failure.numerical, rel=1e-6)
    assert failure.rel_error == pytest.approx(1e-3, rel=1e-3)


def test_inputs_are_left_untouched():
    x = Value(0.4)
    x.grad = 2.5
    gradcheck(lambda v: v.exp() * v, x)
    assert x.data == 0.4 and x.grad == 2.5


def test_cotangent_is_random_not_ones():
    # For several outputs a sum() cotangent would hide a swapped pair of gradients.
    a, b = Value(0.3), Value(0.9)

    # e^a and e^b, each with the other's derivative: a swapped pair of rules.
    exp_first = define_op(
        "exp_first", forward=lambda m, x, y: m.exp(x),
        derivative=lambda m, x, y: (m.exp(y), 0.0), register=False,
    )
    exp_second = define_op(
        "exp_second", forward=lambda m, x, y: m.exp(y),
        derivative=lambda m, x, y: (0.0, m.exp(x)), register=False,
    )

    def swapped(a, b):
        return [exp_first(a, b), exp_second(a, b)]

    assert not gradcheck(swapped, a, b, raise_exception=False)


def test_nan_matches_nan_and_bad_inputs_are_rejected():
    assert gradcheck(lambda v: v.sqrt(), Value(-1.0))  # nan vs nan: agree
    with pytest.raises(TypeError, match="pass Value or Tensor"):
        gradcheck(lambda v: v, 1.0)
    with pytest.raises(TypeError, match="must return"):
        gradcheck(lambda v: 3.0, Value(1.0))
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0))
    assert math.isfinite(gradcheck(lambda v: v * v, Value(2.0)).max_abs_error)
