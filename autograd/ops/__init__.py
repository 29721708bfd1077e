"""The op registry: every operation's forward and derivative, written once.

``REGISTRY`` maps an op's name to its :class:`Op` record. ``Value`` and
``Tensor`` methods, ``create_graph=True``, the command line's EXPR functions,
the activation lists, the plots and the tests all read it. Define your own op
with :func:`define_op` (see the README's "Adding an op").
"""

from . import elementwise, linalg, losses, reductions, shapes  # noqa: F401  (registers the ops)
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
    "activations",
    "define_op",
    "markdown_table",
    "registered_ops",
    "unary_functions",
]


def unary_functions(engine: str = "value") -> list[str]:
    """Names of the one-input functions (``exp`` … ``tan``) available on ``engine``.

    The one list the command line's EXPR functions, the activation plots and
    the README table are built from.
    """
    return [op.name for op in registered_ops(engine=engine, kind="function", arity=1)]


def activations(trainable: bool = False) -> list[str]:
    """Names of the ops marked as activation functions, in registry order.

    With ``trainable=True``, only those a gradient flows through (not
    ``sign``, whose derivative is 0 everywhere): what ``--activation`` offers.
    """
    names = []
    for op in registered_ops(kind="function", arity=1):
        if not op.activation:
            continue
        if trainable:
            probes = (-1.5, 0.5, 2.0)
            defaults = tuple(op.defaults.get(p) for p in op.params)
            flows = [op._derivative(FLOAT, (x,), op._forward(FLOAT, (x,), defaults), defaults)[0]
                     for x in probes]
            if all(d is None or d == 0 for d in flows):
                continue
        names.append(op.name)
    return names


def markdown_table() -> str:
    """The registry as the README's table: every op, its label, engines and formula.

    A test checks that README.md holds exactly this table, so the README
    lists what the registry holds, no more, no less.
    """
    rows = ["| op | shown as | Value | Tensor | what it computes |", "|---|---|---|---|---|"]
    for op in REGISTRY.values():
        summary = " ".join(op.doc.split("\n\n")[0].split()).replace("|", "\\|")
        rows.append(
            f"| `{op.name}` | `{op.label}` | {'✓' if 'value' in op.engines else ''} "
            f"| {'✓' if 'tensor' in op.engines else ''} | {summary} |"
        )
    return "\n".join(rows)
