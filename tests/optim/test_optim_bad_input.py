"""Bad input to the optimizers: a clear error of a fitting type, and the optimizer unchanged.

``load_state_dict`` checks values, not only structure: nan/inf moments, negative second
moments or Adagrad sums, a non-finite or negative lr and complex arrays are refused.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from autograd import Value
from optim import SGD, Adagrad, Adam, RMSprop


def _trained(cls, array_param, **kw):
    """An optimizer over one Value and one array parameter after three steps."""
    v, a = Value(0.5), array_param([1.0, -2.0])
    opt = cls([v, a], **kw)
    for k in range(3):
        v.grad, a.grad = 0.3 * (k + 1), np.array([1.0, -0.5]) * (k + 1)
        opt.step()
    return opt, v, a


def _same_state(first, second) -> bool:
    if isinstance(first, dict):
        return (isinstance(second, dict) and first.keys() == second.keys()
                and all(_same_state(first[k], second[k]) for k in first))
    if isinstance(first, list | tuple):
        return len(first) == len(second) and all(map(_same_state, first, second))
    if isinstance(first, np.ndarray):
        return np.array_equal(first, second)
    return first == second


def _assert_refused(opt, bad, error, match):
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(bad)
    assert _same_state(opt.state_dict(), before)  # nothing half-loaded


def _edit(sd, path, value):
    sd = copy.deepcopy(sd)
    target = sd
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return sd


# (optimizer, its settings, where in the state dict, the bad value, error type, message)
VALUE_CASES = [
    (Adam, {}, ("state", 0, "exp_avg"), float("nan"), ValueError, "'exp_avg' holds nan or inf"),
    (Adam, {}, ("state", 1, "exp_avg"), np.array([np.inf, 0.0]), ValueError, "nan or inf"),
    (Adam, {}, ("state", 0, "exp_avg_sq"), -1e-3, ValueError, "'exp_avg_sq' holds negative"),
    (Adam, {}, ("state", 1, "exp_avg_sq"), np.array([0.1, -0.1]), ValueError, "negative"),
    (Adam, {"amsgrad": True}, ("state", 1, "max_exp_avg_sq"), np.array([-1.0, 1.0]), ValueError,
     "'max_exp_avg_sq' holds negative"),
    (Adagrad, {}, ("state", 0, "sum"), -0.5, ValueError, "'sum' holds negative"),
    (Adagrad, {}, ("state", 1, "sum"), np.array([1.0, -1.0]), ValueError, "'sum' holds negative"),
    (RMSprop, {}, ("state", 1, "square_avg"), np.array([-1.0, 1.0]), ValueError, "negative"),
    (RMSprop, {}, ("state", 0, "square_avg"), float("inf"), ValueError, "nan or inf"),
    (SGD, {"momentum": 0.9}, ("state", 1, "momentum_buffer"), np.array([np.nan, 0.0]),
     ValueError, "'momentum_buffer' holds nan"),
    (Adam, {}, ("state", 1, "exp_avg"), np.array([1 + 2j, 0.0]), ValueError, "complex numbers"),
    (Adam, {}, ("state", 0, "exp_avg"), 1 + 2j, ValueError, "must be a real number"),
    (Adam, {}, ("state", 1, "exp_avg"), np.array(["a", "b"]), ValueError, "real numbers"),
    (Adam, {}, ("state", 1, "exp_avg"), [[1.0], [1.0, 2.0]], ValueError, "not an array of numbers"),
    (Adam, {}, ("state", 1, "exp_avg"), np.array([True, False]), ValueError, "dtype bool"),
    (Adam, {}, ("state", 0, "step"), float("inf"), ValueError, "'step' must be a finite"),
    (Adam, {}, ("param_groups", 0, "lr"), float("nan"), ValueError, "Invalid lr"),
    (Adam, {}, ("param_groups", 0, "lr"), float("inf"), ValueError, "Invalid lr.*finite"),
    (Adam, {}, ("param_groups", 0, "lr"), -0.01, ValueError, "Invalid lr"),
    (Adam, {}, ("param_groups", 0, "lr"), 0.01 + 0j, ValueError, "Invalid lr"),
    (Adam, {}, ("param_groups", 0, "eps"), float("inf"), ValueError, "Invalid eps"),
    (RMSprop, {}, ("param_groups", 0, "alpha"), float("nan"), ValueError, "Invalid alpha"),
    (Adam, {}, ("param_groups", 0, "params"), 2, ValueError,
     "'params' of parameter group 0 must be a list of parameter indices"),
    (Adam, {}, ("param_groups", 0, "params"), "ab", ValueError, "must be a list of parameter"),
    (Adam, {}, ("param_groups", 0, "params"), ["0", "x"], ValueError,
     "index 'x' is not an integer"),
    (Adam, {}, ("param_groups", 0, "params"), [0, -1], ValueError, "index -1 is not an integer"),
]


@pytest.mark.parametrize(
    ("cls", "kw", "path", "value", "error", "match"),
    VALUE_CASES,
    ids=[f"{c[0].__name__}-{'.'.join(map(str, c[2]))}={c[3]!r:.12}" for c in VALUE_CASES],
)
def test_load_state_dict_refuses_bad_values_and_changes_nothing(
    cls, kw, path, value, error, match, array_param
):
    opt, _, _ = _trained(cls, array_param, **kw)
    _assert_refused(opt, _edit(opt.state_dict(), path, value), error, match)


def test_a_state_too_large_for_float32_is_refused(array_param):
    opt, _, _ = _trained(Adam, lambda data: array_param(data, dtype=np.float32))
    bad = _edit(opt.state_dict(), ("state", 1, "exp_avg"), np.array([1e300, 0.0]))
    _assert_refused(opt, bad, ValueError, "too large for the parameter's dtype")


@pytest.mark.parametrize(
    ("bad", "match"),
    [(None, "expects the dict returned by state_dict.*got None"),
     ([("state", {})], "got list"),
     ("state", "got str")],
    ids=["None", "list", "str"],
)
def test_load_state_dict_of_the_wrong_type_is_a_type_error(bad, match, array_param):
    opt, _, _ = _trained(Adam, array_param)
    _assert_refused(opt, bad, TypeError, match)


def test_param_groups_of_the_wrong_type_say_what_was_expected(array_param):
    opt, _, _ = _trained(Adam, array_param)
    bad = {"state": {}, "param_groups": None}
    _assert_refused(opt, bad, ValueError, "'param_groups' must be a list of dicts.*got None")


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda p: SGD(p, lr=float("inf")), "lr"),
        (lambda p: SGD(p, lr=float("nan")), "lr"),
        (lambda p: Adam(p, lr=1e-3 + 0j), "lr"),
        (lambda p: Adam(p, weight_decay=float("inf")), "weight_decay"),
        (lambda p: Adagrad(p, initial_accumulator_value=float("nan")), "initial_accumulator_value"),
        (lambda p: RMSprop(p, momentum=float("inf")), "momentum"),
    ],
)
def test_constructors_refuse_non_finite_hyper_parameters(make, name):
    with pytest.raises(ValueError, match=f"Invalid {name}: .*finite real number"):
        make([Value(1.0)])
