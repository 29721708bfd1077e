"""Shared cases for the Value property tests: each op with inputs away from kinks and poles."""

from __future__ import annotations

from autograd import Value
from autograd.testing import positive_floats, values

positive_values = positive_floats(0.05, 10).map(Value)

UNARY = {
    "exp": (lambda v: v.exp(), values(-5, 5)),
    "log": (lambda v: v.log(), positive_values),
    "sqrt": (lambda v: v.sqrt(), positive_values),
    "tanh": (lambda v: v.tanh(), values(-4, 4)),
    "sigmoid": (lambda v: v.sigmoid(), values(-8, 8)),
    "softplus": (lambda v: v.softplus(), values(-8, 8)),
    "mish": (lambda v: v.mish(), values(-8, 8)),
    "relu": (lambda v: v.relu(), values(away_from=(0.0,))),
    "leaky_relu": (lambda v: v.leaky_relu(0.1), values(away_from=(0.0,))),
    "abs": (lambda v: v.abs(), values(away_from=(0.0,))),
    "sign": (lambda v: v.sign(), values(away_from=(0.0,))),
    "sin": (lambda v: v.sin(), values()),
    "cos": (lambda v: v.cos(), values()),
    "neg": (lambda v: -v, values()),
    "square": (lambda v: v**2, values()),
    "cube": (lambda v: v**3, values(-3, 3)),
    "cube_root_of_positive": (lambda v: v ** (1 / 3), positive_values),
    "reciprocal": (lambda v: 1.0 / v, values(away_from=(0.0,), margin=0.1)),
    "exp_base": (lambda v: 2.5**v, values(-3, 3)),
}
