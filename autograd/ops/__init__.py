"""The op registry: every operation's forward and derivative, written once.

``REGISTRY`` maps an op's name to its :class:`Op` record. ``Value`` and
``Tensor`` methods, ``create_graph=True``, the command line's EXPR functions,
the activation lists, the plots and the tests all read it. Define your own op
with :func:`define_op` (see the README's "Adding an op").
"""

from . import elementwise, linalg, reductions, shapes  # noqa: F401  (registers the ops)
from ._math import ARRAY, FLOAT, NODE, Masked
from ._record import REGISTRY, Op, OpChecks, define_op, registered_ops

__all__ = [
    "ARRAY",
    "FLOAT",
    "NODE",
    "REGISTRY",
    "Masked",
    "Op",
    "OpChecks",
    "define_op",
    "registered_ops",
    "unary_functions",
]


def unary_functions(engine: str = "value") -> list[str]:
    """Names of the one-input functions (``exp`` … ``tan``) available on ``engine``.

    The one list the command line's EXPR functions, the activation plots and
    the README table are built from.
    """
    return [op.name for op in registered_ops(engine=engine, kind="function", arity=1)]
