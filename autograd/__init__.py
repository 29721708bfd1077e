"""chainrule's autodiff engine: scalar :class:`Value` and numpy :class:`Tensor` on one core."""

from ._core import (
    backward,
    current_scope,
    enable_grad,
    gc_paused,
    is_grad_enabled,
    name_scope,
    no_grad,
    topological_order,
)
from .gradcheck import GradcheckError, GradcheckFailure, GradcheckResult, gradcheck
from .value import Value

__all__ = [
    "GradcheckError",
    "GradcheckFailure",
    "GradcheckResult",
    "Value",
    "backward",
    "current_scope",
    "enable_grad",
    "gc_paused",
    "gradcheck",
    "is_grad_enabled",
    "name_scope",
    "no_grad",
    "topological_order",
]
