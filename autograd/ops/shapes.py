"""Shape ops (Tensor only): views and rearrangements, and their adjoints.

Each adjoint is itself an op, so ``create_graph`` records it: ``reshape`` is
undone by ``reshape``, ``transpose`` by the inverse permutation, indexing by
``scatter`` (whose own adjoint is indexing again).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ._record import OpChecks, define_op


def _inverse(permutation: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(np.argsort(permutation).tolist())


RESHAPE = define_op(
    "reshape",
    forward=lambda m, x, *, shape: m.reshape(x, shape),
    vjp=lambda m, g, x: (m.reshape(g, x.shape),),
    kind="shape",
    doc="The same elements in a new ``shape``; gradient reshaped back.",
    checks=OpChecks(
        samples=lambda rng: [((rng.normal(size=(2, 6)),), {"shape": (3, 4)})],
        torch=lambda torch, x, shape: x.reshape(shape),
    ),
)

TRANSPOSE = define_op(
    "transpose",
    forward=lambda m, x, *, axes: m.transpose(x, axes),
    vjp=lambda m, g, axes: (m.transpose(g, _inverse(axes)),),
    kind="shape",
    doc="Permute the axes; gradient: the inverse permutation.",
    checks=OpChecks(
        samples=lambda rng: [((rng.normal(size=(2, 3, 4)),), {"axes": (2, 0, 1)})],
        torch=lambda torch, x, axes: x.permute(axes),
    ),
)

BROADCAST_TO = define_op(
    "broadcast_to",
    forward=lambda m, x, *, shape: m.broadcast_to(x, shape),
    vjp=lambda m, g: (g,),  # the engine sums g back to the input's shape
    kind="shape",
    doc="Repeat along new or length-1 axes to ``shape``; gradient summed back.",
    checks=OpChecks(
        samples=lambda rng: [((rng.normal(size=(3, 1)),), {"shape": (2, 3, 4)})],
        torch=lambda torch, x, shape: x.broadcast_to(shape),
    ),
)

GETITEM = define_op(
    "getitem",
    forward=lambda m, x, *, index, accumulate: x[index],
    vjp=lambda m, g, x, index, accumulate: (m.scatter(g, shape=x.shape, index=index,
                                                      accumulate=accumulate),),
    kind="shape",
    doc="numpy indexing; the gradient is scattered back (repeated integer indices add up).",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(3, 4)),), {"index": (slice(None), np.array([0, 0, 2])),
                                          "accumulate": True}),
            ((rng.normal(size=(3, 4)),), {"index": (slice(1, 3),), "accumulate": False}),
        ],
        torch=lambda torch, x, index, accumulate: x[index],
    ),
)

SCATTER = define_op(
    "scatter",
    forward=lambda m, values, *, shape, index, accumulate: m.scatter(values, shape, index,
                                                                     accumulate),
    vjp=lambda m, g, index: (g[index],),
    kind="shape",
    doc="Zeros of ``shape`` with ``values`` added at ``index``: the adjoint of indexing.",
    checks=OpChecks(
        samples=lambda rng: [
            ((rng.normal(size=(3, 2)),), {"shape": (3, 4), "index": (slice(None), np.array([1, 1])),
                                          "accumulate": True}),
        ],
        torch=None,
        torch_missing="index_put with accumulate; checked against finite differences",
    ),
)


def _pieces(g: Any, axis: int, edges: list[int]) -> list[Any]:
    lead = (slice(None),) * axis
    return [g[(*lead, slice(a, b))] for a, b in itertools.pairwise(edges)]


def _concatenate_vjp(m: Any, g: Any, xs: tuple[Any, ...], axis: int) -> tuple[Any, ...]:
    edges = [0]
    for x in xs:
        edges.append(edges[-1] + x.shape[axis])
    return tuple(_pieces(g, axis, edges))


CONCATENATE = define_op(
    "concatenate",
    forward=lambda m, *xs, axis: m.concatenate(xs, axis),
    vjp=_concatenate_vjp,
    kind="shape",
    doc="Join tensors along an existing ``axis``; the gradient is split back into the pieces.",
    checks=OpChecks(
        samples=lambda rng: [((rng.normal(size=(2, 3)), rng.normal(size=(1, 3))), {"axis": 0})],
        torch=lambda torch, *xs, axis: torch.cat(xs, dim=axis),
    ),
)

STACK = define_op(
    "stack",
    forward=lambda m, *xs, axis: m.stack(xs, axis),
    vjp=lambda m, g, xs, axis: tuple(g[(*(slice(None),) * axis, i)] for i in range(len(xs))),
    kind="shape",
    doc="Join same-shape tensors along a new ``axis``; the gradient is sliced back.",
    checks=OpChecks(
        samples=lambda rng: [((rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), {"axis": 1})],
        torch=lambda torch, *xs, axis: torch.stack(xs, dim=axis),
    ),
)
