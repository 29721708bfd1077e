"""A functional API over the backprop core: grad, value_and_grad, jacobian, hessian, hvp.

In JAX's style, these transform a function rather than read ``.grad``::

    from autograd import grad, hessian

    f = lambda x, y: x**2 * y + y.exp()
    grad(f)(3.0, 1.0)                 # ∂f/∂x = 2xy = 6.0
    grad(f, argnums=(0, 1))(3.0, 1.0) # (6.0, 9 + e)
    hessian(lambda x: x**3)(2.0)      # 12.0

Arguments may be numbers (lifted to :class:`Value`), numpy arrays or nested
lists (lifted to float64 :class:`Tensor`), or Value/Tensor nodes. Numbers in,
numbers out: a float for a Value argument, an ndarray for a Tensor argument.
When an argument already *is* a node, the result is a node recorded in the
graph (``create_graph``), which is what lets these transforms compose:
``grad(grad(f))`` is the second derivative and ``hessian`` is
``jacobian(grad(f))``. None of them touches any ``.grad``.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._core import gradients
from .value import Value

__all__ = ["grad", "hessian", "hvp", "jacobian", "value_and_grad"]


def _tensor_type() -> type | None:
    try:
        from .tensor import Tensor
    except ImportError:  # pragma: no cover - Tensor ships with autograd
        return None
    return Tensor


def _is_node(x: Any) -> bool:
    return hasattr(x, "_prev") and hasattr(x, "_requires_grad")


def _lift(x: Any, position: int, requires_grad: bool = True) -> Any:
    """Turn a number or array argument into a fresh leaf node.

    A node argument that is differentiated (``requires_grad``) but does not
    carry a gradient itself (a Tensor made without ``requires_grad=True``, or
    ``.detach()``-ed) is replaced by a fresh leaf with the same data, as JAX
    differentiates any argument: never a silent zero gradient.
    """
    if _is_node(x):
        if requires_grad and not x._requires_grad:
            return type(x)(x.data, requires_grad=True, dtype=x.data.dtype)
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    Tensor = _tensor_type()
    if Tensor is not None and isinstance(x, np.ndarray | list | tuple):
        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"argument {position} is an array of {array.dtype}; differentiable arguments "
                "are numbers, numeric arrays, Value or Tensor"
            )
        return Tensor(array.astype(np.float64), requires_grad=requires_grad)
    raise TypeError(
        f"argument {position} is a {type(x).__name__}; differentiable arguments are numbers, "
        "numeric arrays, Value or Tensor"
    )


def _as_index(n: Any) -> int:
    """An argument number: an int or numpy integer (not a bool, not a float)."""
    if isinstance(n, bool | np.bool_):
        raise TypeError(f"argnums must be ints, got {n!r}")
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError(f"argnums must be ints or a tuple of ints, got {n!r}") from None


def _normalize_argnums(argnums: int | Sequence[int], nargs: int) -> tuple[tuple[int, ...], bool]:
    single = not isinstance(argnums, Sequence | np.ndarray)
    if single:
        nums: tuple[int, ...] = (_as_index(argnums),)
    else:
        nums = tuple(_as_index(n) for n in argnums)  # type: ignore[union-attr]
    if not nums:
        raise ValueError("argnums must name at least one argument")
    if nargs == 0:
        raise TypeError("the function was called with no positional argument to differentiate")
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(
                f"argnums {n} is out of range for a function called with {nargs} positional "
                f"argument{'s' if nargs != 1 else ''}"
            )
    return tuple(n % nargs for n in nums), single


def _prepare(
    args: tuple[Any, ...], argnums: int | Sequence[int]
) -> tuple[list[Any], tuple[int, ...], bool, bool]:
    nums, single = _normalize_argnums(argnums, len(args))
    nested = any(_is_node(args[n]) for n in nums)
    # Every number or array argument becomes a node so that f can call methods
    # such as y.exp() on it; only args[argnums] are differentiated.
    lifted = [_lift(a, i, requires_grad=i in nums) for i, a in enumerate(args)]
    return lifted, nums, single, nested


def _seed_like(out: Any, array: np.ndarray | float, as_node: bool) -> Any:
    if isinstance(out, Value):
        return Value(float(array)) if as_node else float(array)
    seed = np.asarray(array, dtype=out.data.dtype).reshape(out.data.shape)
    return type(out)(seed) if as_node else seed


def _zero_like(x: Any, as_node: bool) -> Any:
    if isinstance(x, Value):
        return Value(0.0) if as_node else 0.0
    return type(x)(np.zeros_like(x.data)) if as_node else np.zeros_like(x.data)


def _plain(g: Any) -> Any:
    """A node's numbers: float for a Value, ndarray for a Tensor."""
    return g.data if isinstance(g, Value) else np.array(g.data)


def _check_scalar(out: Any, who: str) -> None:
    if not _is_node(out):
        raise TypeError(
            f"{who} needs f to return a scalar Value or one-element Tensor computed from its "
            f"arguments; it returned a {type(out).__name__}"
        )
    if not isinstance(out, Value) and np.size(out.data) != 1:
        raise TypeError(
            f"{who} needs f to return a scalar; it returned a Tensor of shape "
            f"{tuple(np.shape(out.data))}: use jacobian() for non-scalar outputs, or reduce it "
            "(e.g. .sum())"
        )


def _grads_of(out: Any, inputs: list[Any], nested: bool) -> list[Any]:
    if not out._requires_grad:
        found = [None] * len(inputs)
    else:
        seed = _seed_like(out, 1.0, nested)
        found = gradients((out,), (seed,), inputs, create_graph=nested)
    result = []
    for x, g in zip(inputs, found):
        if g is None:
            g = _zero_like(x, nested)
        elif not nested:
            g = _plain(g) if _is_node(g) else g
        result.append(g)
    return result


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing ``(f(*args), ∂f/∂args[argnums])`` in one pass.

    ``f`` must return a scalar (a Value or a one-element Tensor). With an int
    ``argnums`` the gradient is one object, with a tuple a tuple of them.
    """

    def wrapped(*args: Any) -> tuple[Any, Any]:
        lifted, nums, single, nested = _prepare(args, argnums)
        out = f(*lifted)
        _check_scalar(out, "grad")
        grads = _grads_of(out, [lifted[n] for n in nums], nested)
        value = out if nested else _plain(out)
        return value, (grads[0] if single else tuple(grads))

    return wrapped


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing the gradient of scalar ``f`` with respect to ``args[argnums]``.

    ``grad(f)(x)`` is ∂f/∂x; ``grad(grad(f))(x)`` is ∂²f/∂x² (the inner call
    sees a node and records its gradient in the graph).
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    return wrapped


def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing ∂f(args)/∂args[argnums], shaped ``out.shape + in.shape``.

    One backward pass per output element (reverse mode). For a Value output
    and Value input it is a float.
    """

    def wrapped(*args: Any) -> Any:
        lifted, nums, single, nested = _prepare(args, argnums)
        inputs = [lifted[n] for n in nums]
        out = f(*lifted)
        if not _is_node(out):
            raise TypeError(
                f"jacobian needs f to return a Value or Tensor; it returned a {type(out).__name__}"
            )
        out_shape = () if isinstance(out, Value) else tuple(np.shape(out.data))
        rows: list[list[Any]] = [[] for _ in inputs]
        for index in np.ndindex(out_shape):
            onehot = np.zeros(out_shape)
            onehot[index] = 1.0
            if out._requires_grad:
                seed = _seed_like(out, onehot, nested)
                found = gradients((out,), (seed,), inputs, create_graph=nested)
            else:
                found = [None] * len(inputs)
            for k, (x, g) in enumerate(zip(inputs, found)):
                rows[k].append(_zero_like(x, nested) if g is None else g)
        results = [_assemble(r, out_shape, x, nested) for r, x in zip(rows, inputs)]
        return results[0] if single else tuple(results)

    return wrapped


def _assemble(rows: list[Any], out_shape: tuple[int, ...], x: Any, nested: bool) -> Any:
    in_shape = () if isinstance(x, Value) else tuple(np.shape(x.data))
    if nested:
        if isinstance(x, Value) and not out_shape:
            return rows[0]
        if any(isinstance(r, Value) for r in rows):
            raise TypeError(
                "jacobian inside another transform needs Tensor arguments for a Tensor-valued f"
            )
        from ._tensor_functions import stack

        return stack(rows).reshape(out_shape + in_shape)
    stacked = np.array([_plain(r) if _is_node(r) else r for r in rows], dtype=np.float64)
    result = stacked.reshape(out_shape + in_shape)
    return float(result) if result.ndim == 0 else result


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing the matrix of second derivatives of scalar ``f``.

    ``hessian(f)(x)`` is ``jacobian(grad(f))(x)``: shaped ``x.shape + x.shape``
    for an array argument, a float for a number. With a tuple ``argnums`` the
    result is nested tuples ``H[i][j] = ∂²f/∂args[i]∂args[j]`` (as in JAX), so
    ``np.array(hessian(f, (0, 1))(x, y))`` is the 2×2 matrix of a function of
    two numbers.
    """
    if not isinstance(argnums, Sequence | np.ndarray):
        return jacobian(grad(f, argnums), argnums)
    nums = tuple(argnums)

    def wrapped(*args: Any) -> tuple[tuple[Any, ...], ...]:
        return tuple(jacobian(grad(f, i), nums)(*args) for i in nums)

    return wrapped


def hvp(f: Callable[..., Any], x: Any, v: Any) -> Any:
    """Hessian-vector product ``∇²f(x) · v`` without forming the Hessian.

    Two backward passes: ``g = ∇f(x)`` recorded in the graph, then the
    gradient of ``g · v``. ``v`` has the shape of ``x``.
    """
    node = _lift(x, 0)
    nested = _is_node(x)
    out = f(node)
    _check_scalar(out, "hvp")
    (g,) = _grads_of(out, [node], nested=True)
    if isinstance(node, Value):
        if _is_node(v):
            dot = g * v
        else:
            vv = np.asarray(v, dtype=np.float64)
            if vv.shape != ():
                raise ValueError(
                    f"hvp: x is a number, so v must be one too; got an array of shape {vv.shape}"
                )
            dot = g * float(vv)
    else:
        vv = v if _is_node(v) else np.asarray(v, dtype=np.float64)
        v_shape = tuple(np.shape(vv.data if _is_node(vv) else vv))
        if v_shape != node.data.shape:
            raise ValueError(f"hvp: v has shape {v_shape} but x has shape {node.data.shape}")
        dot = (g * vv).sum()
    (hv,) = _grads_of(dot, [node], nested)
    return hv
