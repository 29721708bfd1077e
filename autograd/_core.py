"""The one backprop core shared by :class:`~autograd.Value` and :class:`~autograd.Tensor`.

Node protocol
-------------
Anything the core walks is a *node* with these attributes:

``_prev``
    An ordered tuple of parent nodes (the operands of the operation that made
    the node; empty for a leaf). Duplicates are allowed (``x * x``).
``_local``
    Either a tuple of numbers aligned with ``_prev``, the local derivatives
    ``∂node/∂parent`` (scalar nodes: the core multiplies them by the upstream
    gradient itself, the fast path), or ``None`` when the node uses ``_vjp``.
``_vjp(grad)``
    Given the gradient of the loss with respect to this node (the *upstream*
    gradient), return a tuple aligned with ``_prev`` holding each parent's
    contribution (``None`` for a parent that needs no gradient). For a scalar
    node this is ``local_derivative * grad``; for a tensor node it is a
    vector-Jacobian product already reduced to the parent's shape.
``grad``
    The public gradient: a number (``Value``, starts at 0.0) or an array or
    ``None`` (``Tensor``, starts as ``None``). During a pass the core parks
    the old value, uses the slot for this pass's gradient and adds the old
    value back at the end.
``_requires_grad``
    ``False`` for constants: the core neither visits them nor asks for their
    gradient.

The core never inspects data, so one walk serves scalars and arrays. Backward
rules live on module-level functions or are precomputed numbers, never in
closures that capture their own output node: a finished graph holds no
reference cycles and is freed by reference counting the moment it becomes
unreachable.

Gradient accumulation follows PyTorch: a second ``backward()`` adds to the
``.grad`` already there. Within one pass the core keeps its own table of
*this pass's* gradients, so accumulated values from an earlier pass are never
propagated twice.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import FrameType
from typing import Any, Protocol

import numpy as np

from ._backend import QUIET, native

__all__ = [
    "UNREACHED",
    "Node",
    "backward",
    "current_scope",
    "enable_grad",
    "gc_paused",
    "gradients",
    "is_grad_enabled",
    "name_scope",
    "no_grad",
    "topological_order",
]


class Node(Protocol):
    """The protocol a graph node satisfies (see the module docstring)."""

    _prev: tuple[Any, ...]
    _requires_grad: bool

    _local: Any  # a tuple of numbers, or None
    grad: Any

    def _vjp(self, grad: Any) -> tuple[Any, ...]: ...

    def _vjp_graph(self, grad: Any) -> tuple[Any, ...]: ...


# --------------------------------------------------------------------------
# Grad mode and name scopes (thread-local)
# --------------------------------------------------------------------------


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope: tuple[str, ...] = ()


# The native extension keeps the same two attributes in C thread-locals, where its ops read them.
_state: Any = _State() if native is None else native.thread_state


def is_grad_enabled() -> bool:
    """Return whether operations currently record a graph (thread-local)."""
    return _state.grad_enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context in which operations record no graph (thread-local).

    Results computed inside have no parents and need no memory for backward,
    as with ``torch.no_grad()``. Use it for evaluation and parameter updates::

        with no_grad():
            y = model(x)        # y._prev == ()

    The previous mode is restored on exit, also when an exception escapes.
    """
    previous = _state.grad_enabled
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Context that turns graph recording back on inside :func:`no_grad`."""
    previous = _state.grad_enabled
    _state.grad_enabled = True
    try:
        yield
    finally:
        _state.grad_enabled = previous


def current_scope() -> tuple[str, ...]:
    """Return the active name scope, outermost first (``()`` at top level)."""
    return _state.scope


class name_scope:  # noqa: N801 - used like a function, as contextlib's helpers are
    """Record ``name`` on every node created inside (nested scopes stack).

    ``nn`` modules open a scope per submodule so that ``viz.draw_graph`` can
    collapse a huge graph by module::

        with name_scope("layer0"):
            h = (w * x + b).relu()      # h.scope == ("layer0",)

    ``with`` yields the full scope tuple. A class rather than a generator
    context manager: it is entered once per neuron in scalar models, so it is
    kept cheap, and the scope tuples are shared (entering ``"layer0"`` inside
    ``("MLP",)`` always gives the same tuple object), so nodes refer to a few
    long-lived tuples rather than one new tuple per call. The native
    extension has the same class in C.
    """

    __slots__ = ("_name", "_previous")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name_scope needs a non-empty string, got {name!r}")
        self._name = name
        self._previous: tuple[str, ...] = ()

    def __enter__(self) -> tuple[str, ...]:
        self._previous = previous = _state.scope
        key = (previous, self._name)
        scope = _SCOPES.get(key)
        if scope is None:
            if len(_SCOPES) >= 4096:
                _SCOPES.clear()
            scope = _SCOPES[key] = (*previous, self._name)
        _state.scope = scope
        return scope

    def __exit__(self, *exc_info: object) -> None:
        _state.scope = self._previous


_SCOPES: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}  # shared scope tuples
if native is not None:
    name_scope = native.name_scope  # type: ignore[misc]  # the same class, in C


class gc_paused:  # noqa: N801 - used like a function, as contextlib's helpers are
    """Pause Python's cyclic garbage collector, restoring its state on exit.

    Graphs built by this engine contain no reference cycles, so reference
    counting frees them; the cyclic collector only re-scans the live graph
    again and again as it grows (about half of a scalar training step when
    left on). :func:`backward` runs inside this context, and training loops
    over thousands of scalar nodes may wrap their whole step in it::

        with gc_paused():
            loss = model_loss()
            loss.backward()

    Exception-safe and re-entrant: the collector is re-enabled on exit only
    if it was enabled on entry. A class rather than a generator context
    manager: it is entered on every backward pass, so it is kept cheap.
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = was_enabled = gc.isenabled()
        if was_enabled:
            gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._was_enabled:
            gc.enable()


# --------------------------------------------------------------------------
# Graph walk
# --------------------------------------------------------------------------


def topological_order(roots: Node | Iterable[Node]) -> list[Node]:
    """Return every node reachable from ``roots``, parents before children.

    Iterative depth-first search (no recursion: a chain of a million nodes is
    fine); each node appears once however often it is reused. Constants
    (``_requires_grad`` false) are left out.
    """
    items: Iterable[Node] = (roots,) if hasattr(roots, "_prev") else roots  # type: ignore[assignment]
    order: list[Node] = []
    visited: set[int] = set()
    add_visited = visited.add
    append = order.append
    for root in items:
        if id(root) in visited or not root._requires_grad:
            continue
        add_visited(id(root))
        # Stack of (node, iterator over its parents); a node is emitted once
        # all its parents have been emitted.
        stack = [(root, iter(root._prev))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                pid = id(parent)
                if pid not in visited and parent._requires_grad:
                    add_visited(pid)
                    stack.append((parent, iter(parent._prev)))
                    break
            else:
                stack.pop()
                append(node)
    return order


class _Unreached:
    """Marks a node during a backward pass that no gradient has reached yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unreached>"


UNREACHED: Any = _Unreached()

Trace = Callable[[Node, Any, tuple[Any, ...]], None]

_PASS_LOCK = threading.RLock()
# Set by autograd.anomaly while detect_anomaly() is active: wraps the trace hook with checks.
_anomaly_hook: list[Callable[[Trace | None], Trace] | None] = [None]


_EXPANDED: Any = object()  # stack marker: the node below it has had its parents pushed


def _collect(roots: Sequence[Node], saved: list[Any]) -> list[Node]:
    """Reachable nodes in topological order (parents first), parking old grads in ``saved``.

    Iterative post-order DFS. A node's ``.grad`` is set to :data:`UNREACHED`
    when it is expanded, which doubles as the visited mark (no set of ids).
    A node is emitted when the marker pushed above its parents comes back to
    the top, i.e. after all of its parents; in a DAG an expanded parent is
    always already emitted, so the order is topological.
    """
    order: list[Node] = []
    emit = order.append
    keep = saved.append
    for root in roots:
        stack = [root]
        pop = stack.pop
        push = stack.append
        while stack:
            node = pop()
            if node is _EXPANDED:
                emit(pop())
                continue
            old = node.grad
            if old is UNREACHED or not node._requires_grad:
                continue
            keep((node, old))
            node.grad = UNREACHED
            push(node)
            push(_EXPANDED)
            for parent in node._prev:
                if parent.grad is not UNREACHED:
                    push(parent)
    return order


def _add_contributions(prev: tuple[Node, ...], contributions: Sequence[Any]) -> None:
    for parent, contribution in zip(prev, contributions):
        if contribution is not None and parent._requires_grad:
            old = parent.grad
            parent.grad = contribution if old is UNREACHED else old + contribution


def _walk(order: list[Node], trace: Trace | None, create_graph: bool) -> None:
    """Push every reached node's gradient to its parents, children before parents."""
    if create_graph:
        # Gradients are nodes: every rule is evaluated with recorded operations.
        with enable_grad():
            for node in reversed(order):
                grad = node.grad
                if grad is UNREACHED or not node._prev:
                    continue
                contributions = node._vjp_graph(grad)
                if trace is not None:
                    trace(node, grad, contributions)
                _add_contributions(node._prev, contributions)
    elif trace is None:
        for node in reversed(order):
            grad = node.grad
            if grad is UNREACHED:
                continue
            prev = node._prev
            if not prev:
                continue
            local = node._local
            if local is not None:
                # Scalar fast path: the node stored its local derivatives.
                for parent, derivative in zip(prev, local):
                    old = parent.grad
                    if old is UNREACHED:
                        parent.grad = derivative * grad
                    else:
                        parent.grad = old + derivative * grad
            else:
                _add_contributions(prev, node._vjp(grad))
    else:
        for node in reversed(order):
            grad = node.grad
            if grad is UNREACHED:
                continue
            prev = node._prev
            contributions = node._vjp(grad) if prev else ()
            trace(node, grad, contributions)
            _add_contributions(prev, contributions)


def _run(
    roots: Sequence[Node],
    grads: Sequence[Any],
    trace: Trace | None,
    create_graph: bool,
    inputs: Sequence[Node] | None,
) -> list[Any] | None:
    """One backward pass. With ``inputs``, return their gradients and restore every ``.grad``."""
    if len(roots) != len(grads):
        raise ValueError(f"backward got {len(roots)} roots but {len(grads)} gradients")
    for root in roots:
        if not root._requires_grad:
            raise RuntimeError(
                "backward() was called on a result that does not require grad: none of the "
                "inputs it was computed from requires grad (or it was computed under no_grad())"
            )
    if _anomaly_hook[0] is not None:
        trace = _anomaly_hook[0](trace)
    # One pass at a time: the walk keeps its state in the nodes' shared grad slots, so
    # passes in several threads through a shared leaf would corrupt each other.
    # Rules compute IEEE results (1/0 = inf, 0·inf = nan) without numpy warnings, as
    # PyTorch does; nan and inf are for anomaly detection to report, not for stderr.
    native_pass = _native_pass if trace is None and not create_graph and inputs is None else None
    if native_pass is not None and QUIET is not None:
        # The same collect / walk / accumulate / restore, in C (autograd/_native.c), which
        # also pauses the collector and numpy's warnings (QUIET: numpy's state set in C).
        with _PASS_LOCK:
            native_pass(tuple(roots), tuple(grads))
        return None
    with _PASS_LOCK, gc_paused(), np.errstate(all="ignore"):
        if native_pass is not None:
            native_pass(tuple(roots), tuple(grads))
            return None
        saved: list[tuple[Node, Any]] = []
        try:
            order = _collect(roots, saved)
            for root, grad in zip(roots, grads):
                old = root.grad
                root.grad = grad if old is UNREACHED else old + grad
            _walk(order, trace, create_graph)
            if inputs is not None:
                collected = {id(node) for node, _ in saved}
                found = [x.grad if id(x) in collected else UNREACHED for x in inputs]
                for node, old in saved:
                    node.grad = old
                return [None if g is UNREACHED else g for g in found]
            float_ = float
            for node, old in saved:
                new = node.grad
                if new is UNREACHED:
                    node.grad = old
                elif old is not None and not (type(old) is float_ and old == 0.0):
                    node.grad = _accumulate(node, old, new)  # onto an earlier backward's
        except BaseException:
            # All or nothing, also for the accumulation above: every .grad as it was.
            for node, old in saved:
                node.grad = old
            raise
    return None


_native_pass: Callable[..., None] | None = None if native is None else native.backward_pass



def _accumulate(node: Node, old: Any, new: Any) -> Any:
    """``old + new`` as PyTorch accumulates, refusing a stale gradient of another shape."""
    old_shape, new_shape = getattr(old, "shape", None), getattr(new, "shape", None)
    if old_shape != new_shape:
        name = getattr(node, "label", "") or f"a node of shape {new_shape}"
        raise ValueError(
            f"cannot accumulate into the .grad of {name}: it holds an array of shape "
            f"{old_shape} but this backward's gradient has shape {new_shape} (a stale "
            "gradient from another model?). Set .grad = None (zero_grad()) first; every "
            ".grad was left as it was."
        )
    return old + new


def backward(
    roots: Sequence[Node],
    grads: Sequence[Any],
    *,
    trace: Trace | None = None,
    create_graph: bool = False,
) -> None:
    """Backpropagate ``grads`` from ``roots`` into every reachable node's ``.grad``.

    Visits each node once in reverse topological order, asks it for its
    parents' contributions and sums them into the parents. During the walk a
    node's ``.grad`` slot holds only *this* pass's gradient; the value it had
    before is added back at the end, so a second ``backward()`` accumulates
    exactly as in PyTorch, and earlier gradients are never propagated twice.
    Nothing is written in place into an array another gradient might share.

    All or nothing: if a backward rule raises, or an earlier ``.grad`` cannot be
    added to (a stale gradient of another shape), every ``.grad`` is restored
    to what it was before the call and the exception propagates.

    Thread-safe: passes from several threads run one at a time (a lock), so
    gradients through a shared leaf add up exactly.

    ``trace``, when given, is called as ``trace(node, upstream, contributions)``
    for every reached node in the engine's real order: this is how ``viz``
    steps through backprop without a second implementation of it.

    ``create_graph=True`` evaluates every backward rule with recorded
    operations (``node._vjp_graph``): ``grads`` must then be nodes, and every
    ``.grad`` becomes a node that can itself be backpropagated (second
    derivatives, Hessian-vector products). That ``.grad`` is computed from the
    node it belongs to, a reference cycle (``x → x.grad → … → x``) that only
    the cyclic garbage collector frees; a warning says so, as PyTorch's does.
    :func:`gradients` returns the same nodes without storing them: no cycle.

    The cyclic garbage collector is paused during the walk (see
    :func:`gc_paused`).
    """
    if create_graph:
        warn_create_graph_cycle(stacklevel=3)
    _run(roots, grads, trace, create_graph, None)


def _outside_package(default: int) -> int:
    """The ``stacklevel`` of the innermost caller outside the autograd package."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None:
        if not os.path.abspath(frame.f_code.co_filename).startswith(package):
            return level
        frame = frame.f_back
        level += 1
    return default


def warn_create_graph_cycle(stacklevel: int) -> None:
    """Say what ``backward(create_graph=True)`` leaves behind (PyTorch warns likewise)."""
    stacklevel = _outside_package(stacklevel)
    warnings.warn(
        "backward(create_graph=True) makes each .grad a node computed from its own tensor: a "
        "reference cycle (x -> x.grad -> ... -> x) that only the cyclic garbage collector "
        "frees. Use autograd.gradients(..., create_graph=True) (or grad/hessian/hvp), which "
        "return the gradients without storing them, or set .grad = None when done.",
        UserWarning,
        stacklevel=stacklevel,
    )


def gradients(
    roots: Sequence[Node],
    grads: Sequence[Any],
    inputs: Sequence[Node],
    *,
    create_graph: bool = False,
) -> list[Any]:
    """Return ∂(Σ grads·roots)/∂input for each of ``inputs``, leaving every ``.grad`` untouched.

    The side-effect-free form of :func:`backward` (``torch.autograd.grad``):
    ``None`` for an input no gradient reached. With ``create_graph=True`` the
    results are nodes recorded in the graph, so they can be differentiated
    again.
    """
    result = _run(roots, grads, None, create_graph, inputs)
    assert result is not None
    return result
