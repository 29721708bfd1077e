"""The backprop core: order, accumulation, no recursion, no cycles, grad mode, scopes."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

import autograd
from autograd import Value, name_scope, no_grad, topological_order


def test_reused_node_accumulates():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_diamond_accumulates_each_path_once():
    x = Value(2.0)
    a = x * 3.0
    b = x.exp()
    y = a * b  # both paths lead to x
    y.backward()
    assert x.grad == pytest.approx(3 * b.data + a.data * b.data)


def test_second_backward_accumulates_like_pytorch():
    x = Value(2.0)
    y = (x * x).tanh()
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * first)
    # intermediate nodes accumulate too, and old values are not propagated twice
    x.grad = 0.0
    y.backward()
    assert x.grad == pytest.approx(first)


def test_topological_order_visits_each_node_once_parents_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node._prev:
            assert position[id(parent)] < position[id(node)]


def test_a_million_node_chain_backprops_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    with autograd.gc_paused():
        for _ in range(1_000_000):
            y = y + 1.0
        y.backward()
    assert x.grad == 1.0 and y.data == 1_000_001.0
    assert sys.getrecursionlimit() == limit
    del y  # freeing a deep chain must not overflow the C stack either


def test_graph_holds_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        a = Value(2.0)
        out = ((a * a).tanh() + a.exp()).relu() / 3.0
        out.backward()
        for _ in range(3):
            out = out * out + a  # a deeper graph, then drop it
        out.backward()
        del out
        # Everything was freed by reference counting: the collector finds nothing.
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_gc_paused_restores_state_on_exception():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), autograd.gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_backward_restores_grads_when_a_rule_raises():
    class Exploding(Value):
        __slots__ = ()

        def _vjp(self, grad):
            raise RuntimeError("broken rule")

    a = Value(1.0)
    a.grad = 5.0
    mid = a * 2.0
    boom = Exploding(0.0, (mid,), "boom")
    boom._local = None  # force the generic vjp path
    with pytest.raises(RuntimeError, match="broken rule"):
        autograd.backward((boom,), (1.0,))
    assert a.grad == 5.0 and mid.grad == 0.0 and boom.grad == 0.0


def test_no_grad_is_thread_local():
    seen = {}

    def worker():
        a = Value(1.0)
        seen["prev"] = (a * 2)._prev

    with no_grad():
        assert not autograd.is_grad_enabled()
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert len(seen["prev"]) == 1  # the other thread still records
    assert autograd.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    a = Value(1.0)
    with no_grad(), autograd.enable_grad():
        assert (a * 2)._prev == (a,)


def test_name_scope_is_recorded_and_nested():
    a = Value(1.0)
    with name_scope("model"), name_scope("layer0"):
        b = a * 2
    assert b.scope == ("model", "layer0")
    assert (a * 2).scope == ()
    with pytest.raises(ValueError):
        with name_scope(""):
            pass


def test_trace_reports_every_step_in_engine_order():
    x = Value(2.0, label="x")
    y = x * 3.0
    z = y.tanh()
    steps = []
    autograd.backward((z,), (1.0,), trace=lambda n, g, c: steps.append((n, g, c)))
    assert [s[0] for s in steps] == [z, y, x]
    assert steps[0][2][0] == pytest.approx(1 - z.data**2)
    assert steps[1][2][0] == pytest.approx(3 * (1 - z.data**2))
    assert x.grad == pytest.approx(steps[1][2][0])


def test_backward_argument_mismatch():
    with pytest.raises(ValueError, match="roots"):
        autograd.backward((Value(1.0),), ())
