"""Optimizers, learning-rate schedules and 2-D test surfaces (builds on ``autograd`` only).

Every optimizer works on any parameter with ``.data`` and ``.grad`` — scalar
:class:`autograd.Value` and array :class:`autograd.Tensor` alike — and
follows ``torch.optim``'s formulas, defaults, parameter groups and
``state_dict`` layout; each docstring puts the lecture's formula next to it.
"""

from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LinearDecay, LRScheduler, StepLR
from .optimizer import Optimizer
from .rmsprop import RMSProp, RMSprop
from .sgd import SGD
from .state_json import state_dict_from_json, state_dict_to_json
from .surfaces import (
    BEALE,
    ROSENBROCK,
    SADDLE,
    SIX_HUMP_CAMEL,
    SURFACES,
    Minimum,
    OptimizationPath,
    Surface,
    optimize,
)

__all__ = [
    "BEALE",
    "ROSENBROCK",
    "SADDLE",
    "SGD",
    "SIX_HUMP_CAMEL",
    "SURFACES",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LinearDecay",
    "Minimum",
    "OptimizationPath",
    "Optimizer",
    "RMSProp",
    "RMSprop",
    "StepLR",
    "Surface",
    "optimize",
    "state_dict_from_json",
    "state_dict_to_json",
]
