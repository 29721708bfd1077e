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
from .value import Value

__all__ = [
    "Value",
    "backward",
    "current_scope",
    "enable_grad",
    "gc_paused",
    "is_grad_enabled",
    "name_scope",
    "no_grad",
    "topological_order",
]
