"""chainrule's autodiff engine: scalar :class:`Value` and numpy :class:`Tensor` on one core."""

from . import onnx as onnx  # autograd.onnx.export (onnx itself is imported when it runs)
from ._core import (
    backward,
    current_scope,
    enable_grad,
    gc_paused,
    gradients,
    is_grad_enabled,
    name_scope,
    no_grad,
    topological_order,
)
from ._tensor_functions import (
    concatenate,
    linear,
    maximum,
    minimum,
    softmax_cross_entropy,
    stack,
    where,
)
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .functional import grad, hessian, hvp, jacobian, value_and_grad
from .gradcheck import (
    GradcheckError,
    GradcheckFailure,
    GradcheckResult,
    gradcheck,
    gradgradcheck,
)
from .ops import Op, define_op
from .tensor import Tensor
from .value import Value

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "GradcheckFailure",
    "GradcheckResult",
    "Op",
    "Tensor",
    "Value",
    "backward",
    "concatenate",
    "current_scope",
    "define_op",
    "detect_anomaly",
    "enable_grad",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "hessian",
    "hvp",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "jacobian",
    "linear",
    "maximum",
    "minimum",
    "name_scope",
    "no_grad",
    "softmax_cross_entropy",
    "stack",
    "topological_order",
    "value_and_grad",
    "where",
]
