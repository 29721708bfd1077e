"""A bridge to PyTorch: :func:`to_torch` and :func:`from_torch` for Tensor models.

Supported on both sides:

===========================  ==========================================
chainrule (``nn``)           PyTorch (``torch.nn``)
===========================  ==========================================
``Linear``                   ``Linear`` (weight transposed, see below)
``Sequential``               ``Sequential`` (nested ones too)
``MLP``                      ``Sequential`` of its layers (one way)
``Identity``                 ``Identity``
``ReLU``                     ``ReLU``
``LeakyReLU(slope)``         ``LeakyReLU(negative_slope=slope)``
``Tanh``, ``Sigmoid``        ``Tanh``, ``Sigmoid``
``Softplus``                 ``Softplus()`` (beta = 1, threshold = 20)
``Mish``                     ``Mish``
``Softmax(axis)``            ``Softmax(dim=axis)``
``LogSoftmax(axis)``         ``LogSoftmax(dim=axis)``
===========================  ==========================================

**Layouts.** ``nn.Linear.weight`` is ``(in_features, out_features)`` and the
layer computes ``y = x·W + b``; ``torch.nn.Linear.weight`` is ``(out, in)``
and computes ``y = x·Wᵀ + b``. The same layer therefore has
``torch_weight = W.T``, and after the same loss the same gradients, again
transposed: ``torch_linear.weight.grad == linear.weight.grad.T``. Biases are
``(out,)`` on both sides.

Arrays are copied (no memory is shared), dtypes kept (float32 stays float32,
float64 stays float64), layer order and activation parameters kept, and a
module used twice (tied weights) stays one module on the other side.
``from_torch(to_torch(model))`` gives identical arrays.

``Softplus``: PyTorch's returns ``x`` itself where ``x > threshold`` (20 by
default); chainrule's computes ``ln(1 + e^x)`` everywhere, stably. They
differ there by ``ln(1 + e^−x) < e^−20 ≈ 2·10⁻⁹``.

torch is imported only when a bridge function runs: ``nn`` needs numpy
alone. Without torch they raise ``ImportError`` naming
``pip install 'chainrule[torch]'`` (the extra pins ``torch==2.13.0``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autograd import Tensor

from . import activations as A  # noqa: N812
from .layers import MLP, Linear, Sequential
from .module import Module

__all__ = ["TORCH_INSTALL", "from_torch", "import_torch", "to_torch"]

TORCH_INSTALL = "pip install 'chainrule[torch]'"
"""The install line for the optional PyTorch dependency (the extra pins ``torch==2.13.0``)."""

SOFTPLUS_MIN_THRESHOLD = 20.0
"""``torch.nn.Softplus`` thresholds at or above this differ from ``ln(1 + e^x)`` by < 2·10⁻⁹."""

# chainrule activation class -> torch.nn class name, for the parameter-free ones
_PLAIN_ACTIVATIONS: dict[type[Module], str] = {
    A.Identity: "Identity",
    A.ReLU: "ReLU",
    A.Tanh: "Tanh",
    A.Sigmoid: "Sigmoid",
    A.Softplus: "Softplus",
    A.Mish: "Mish",
}

SUPPORTED_CHAINRULE = (
    "nn.Linear, nn.Sequential (nested too), nn.MLP and the activations Identity, ReLU, "
    "LeakyReLU, Tanh, Sigmoid, Softplus, Mish, Softmax, LogSoftmax"
)
SUPPORTED_TORCH = (
    "torch.nn.Sequential (nested too), Linear (float32 or float64), Identity, ReLU, "
    "LeakyReLU, Tanh, Sigmoid, Softplus (beta=1, threshold>=20), Mish, Softmax (dim given), "
    "LogSoftmax (dim given)"
)


def import_torch() -> Any:
    """Import and return ``torch``, or raise ``ImportError`` saying how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"the PyTorch bridge needs PyTorch, which is not installed: {TORCH_INSTALL} "
            "(installs exactly torch==2.13.0)"
        ) from error
    return torch


# --------------------------------------------------------------------------
# Walking module trees without recursion
# --------------------------------------------------------------------------


def _map_tree(
    root: Any,
    children: Callable[[Any], list[Any] | None],
    convert_leaf: Callable[[Any], Any],
    build_container: Callable[[Any, list[Any]], Any],
) -> Any:
    """Convert a tree bottom-up, iteratively: leaves first, then each container of them.

    ``children(node)`` is ``None`` for a leaf, else the ordered list of its
    children. A node met twice (a shared module) is converted once and
    reused; a container inside itself is a ``ValueError`` naming its path.
    """
    converted: dict[int, Any] = {}
    kids = children(root)
    if kids is None:
        return convert_leaf(root)
    # frames: (node, its path, iterator over its children, converted children so far)
    frames: list[tuple[Any, str, Iterator[tuple[int, Any]], list[Any]]] = [
        (root, "", iter(enumerate(kids)), [])
    ]
    while True:
        node, path, pending, done = frames[-1]
        step = next(pending, None)
        if step is None:
            frames.pop()
            built = converted.setdefault(id(node), build_container(node, done))
            if not frames:
                return built
            frames[-1][3].append(built)
            continue
        index, child = step
        child_path = f"{path}.{index}" if path else str(index)
        if id(child) in converted:
            done.append(converted[id(child)])
            continue
        if any(child is frame[0] for frame in frames):
            raise ValueError(f"the module at {child_path!r} contains itself; cannot convert it")
        grandchildren = children(child)
        if grandchildren is None:
            done.append(converted.setdefault(id(child), convert_leaf(child)))
        else:
            frames.append((child, child_path, iter(enumerate(grandchildren)), []))


def _describe(path: str, module: Any) -> str:
    where = f"layer {path!r}" if path else "the module"
    kind = type(module)
    if kind.__module__.startswith("torch.nn.modules."):
        name = f"torch.nn.{kind.__qualname__}"
    elif kind.__module__ in ("nn.layers", "nn.activations", "nn.losses", "nn.perceptron"):
        name = f"nn.{kind.__qualname__}"  # exported from the nn package itself
    else:
        name = f"{kind.__module__}.{kind.__qualname__}"
    return f"{where} ({name})"


# --------------------------------------------------------------------------
# chainrule -> torch
# --------------------------------------------------------------------------


def _chainrule_children(module: Any) -> list[Any] | None:
    if type(module) is Sequential:
        return list(module)
    if type(module) is MLP:
        return list(module.layers)
    return None


def to_torch(module: Module) -> Any:
    """Return a ``torch.nn`` module that computes the same function as ``module``.

    ``Linear`` → ``torch.nn.Linear`` with ``weight = W.T`` (chainrule's
    ``(in, out)`` becomes PyTorch's ``(out, in)``), same bias and dtype;
    ``Sequential`` and ``MLP`` → ``torch.nn.Sequential``; each activation →
    its ``torch.nn`` namesake with the same parameters (LeakyReLU slope,
    Softmax axis as ``dim``). Arrays are copied; ``training`` is carried over.
    Anything else raises ``TypeError`` listing what is supported.
    """
    if not isinstance(module, Module):
        raise TypeError(
            f"to_torch takes an nn Module, got {type(module).__name__}. "
            f"Supported: {SUPPORTED_CHAINRULE}."
        )
    _refuse_unsupported_chainrule(module)
    torch = import_torch()
    result = _map_tree(
        module,
        _chainrule_children,
        lambda leaf: _leaf_to_torch(torch, leaf),
        lambda _node, layers: torch.nn.Sequential(*layers),
    )
    result.train(module.training)
    return result


def _refuse_unsupported_chainrule(module: Module) -> None:
    problems = [
        f"{_describe(path, leaf)}{_chainrule_hint(leaf)}"
        for path, leaf in _leaves(module, _chainrule_children)
        if type(leaf) not in _PLAIN_ACTIVATIONS
        and type(leaf) not in (Linear, A.LeakyReLU, A.Softmax, A.LogSoftmax)
    ]
    if problems:
        raise TypeError(
            f"to_torch cannot convert {'; '.join(problems)}. Supported: {SUPPORTED_CHAINRULE}."
        )


def _chainrule_hint(module: Any) -> str:
    if type(module) is A.Sign:
        return ": sign has no torch.nn layer, and its gradient is 0 everywhere"
    if type(module).__module__ == "nn.scalar":
        return ": a scalar (Value) model; build it from nn.Linear / nn.MLP instead"
    return ""


def _leaf_to_torch(torch: Any, leaf: Module) -> Any:
    kind = type(leaf)
    module: Any = leaf  # one of the supported leaf types, told apart by kind below
    if kind is Linear:
        weight = module.weight.data
        # skip_init: no random initialisation, so torch's global random state is left alone
        layer = torch.nn.utils.skip_init(
            torch.nn.Linear,
            module.in_features,
            module.out_features,
            bias=module.bias is not None,
            dtype=getattr(torch, weight.dtype.name),
        )
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight.T)))
            if module.bias is not None:
                layer.bias.copy_(torch.from_numpy(module.bias.data))
        return layer
    if kind is A.LeakyReLU:
        return torch.nn.LeakyReLU(negative_slope=module.negative_slope)
    if kind is A.Softmax:
        return torch.nn.Softmax(dim=module.axis)
    if kind is A.LogSoftmax:
        return torch.nn.LogSoftmax(dim=module.axis)
    return getattr(torch.nn, _PLAIN_ACTIVATIONS[kind])()


# --------------------------------------------------------------------------
# torch -> chainrule
# --------------------------------------------------------------------------


def from_torch(module: Any) -> Module:
    """Return a chainrule module that computes the same function as a ``torch.nn`` module.

    Accepts a ``torch.nn.Sequential`` (nested Sequentials become nested
    ``nn.Sequential``) of ``Linear`` layers and the activations ReLU,
    LeakyReLU, Tanh, Sigmoid, Softplus, Mish, Softmax, LogSoftmax and
    Identity, or one such layer alone. ``torch.nn.Linear`` (weight ``(out,
    in)``) becomes ``nn.Linear`` with ``weight = Wᵀ`` of shape ``(in, out)``;
    dtype (float32/float64), layer order, LeakyReLU's slope and Softmax's
    ``dim`` are kept; arrays are copied. Every unsupported layer is listed in
    one ``TypeError`` (``ValueError`` for a supported layer with unsupported
    settings) before anything is built.
    """
    torch = import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"from_torch takes a torch.nn.Module, got {type(module).__name__}. "
            f"Supported: {SUPPORTED_TORCH}."
        )

    def children(node: Any) -> list[Any] | None:
        return list(node) if type(node) is torch.nn.Sequential else None

    _refuse_unsupported_torch(torch, module, children)
    return _map_tree(
        module,
        children,
        lambda leaf: _leaf_from_torch(torch, leaf),
        lambda _node, layers: Sequential(*layers),
    ).train(module.training)


def _leaves(root: Any, children: Callable[[Any], list[Any] | None]) -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted path, leaf)`` for every leaf of a module tree, in order, iteratively."""
    stack: list[tuple[str, Any]] = [("", root)]
    expanded: list[Any] = []  # containers already listed (shared, or containing themselves)
    while stack:
        path, node = stack.pop()
        kids = children(node)
        if kids is None:
            yield path, node
            continue
        if any(node is seen for seen in expanded):
            continue
        expanded.append(node)
        prefix = f"{path}." if path else ""
        stack.extend((f"{prefix}{i}", kid) for i, kid in reversed(list(enumerate(kids))))


def _refuse_unsupported_torch(
    torch: Any, module: Any, children: Callable[[Any], list[Any] | None]
) -> None:
    tnn = torch.nn
    plain = {getattr(tnn, name) for name in _PLAIN_ACTIVATIONS.values()} - {tnn.Softplus}
    unsupported, bad_settings = [], []
    for path, leaf in _leaves(module, children):
        kind = type(leaf)
        if kind is tnn.Linear:
            if leaf.weight.dtype not in (torch.float32, torch.float64):
                bad_settings.append(
                    f"{_describe(path, leaf)} has dtype {leaf.weight.dtype}; chainrule "
                    "computes in float32 or float64: convert it with .float() or .double()"
                )
        elif kind is tnn.Softplus:
            if leaf.beta != 1 or leaf.threshold < SOFTPLUS_MIN_THRESHOLD:
                bad_settings.append(
                    f"{_describe(path, leaf)} has beta={leaf.beta}, threshold={leaf.threshold}; "
                    "chainrule's softplus is ln(1 + e^x): beta=1 and threshold>=20 only"
                )
        elif kind in (tnn.Softmax, tnn.LogSoftmax):
            if leaf.dim is None:
                bad_settings.append(
                    f"{_describe(path, leaf)} has dim=None (PyTorch's implicit, deprecated "
                    f"choice); give it explicitly, e.g. {kind.__name__}(dim=-1) for rows"
                )
        elif kind not in plain and kind is not tnn.LeakyReLU:
            unsupported.append(_describe(path, leaf))
    if unsupported:
        raise TypeError(
            f"from_torch cannot convert {'; '.join(unsupported)}. Supported: {SUPPORTED_TORCH}. "
            "Convert other models by hand: copy each Linear's weight.T and bias into nn.Linear."
        )
    if bad_settings:
        listed = "; ".join(bad_settings)
        raise ValueError(f"from_torch cannot convert these layers as set: {listed}.")


def _leaf_from_torch(torch: Any, module: Any) -> Module:
    tnn = torch.nn
    kind = type(module)
    if kind is tnn.Linear:
        weight = module.weight.detach().cpu().numpy()
        dtype = weight.dtype.type
        layer = Linear(
            module.in_features,
            module.out_features,
            bias=module.bias is not None,
            dtype=dtype,
            seed=0,
        )
        # Tensor(...) copies: the chainrule layer shares no memory with the torch one
        weight_in_out = np.ascontiguousarray(weight.T)  # (in, out), row-major like nn.Linear's
        layer.weight = Tensor(weight_in_out, requires_grad=True, dtype=dtype, label="weight")
        if module.bias is not None:
            bias = module.bias.detach().cpu().numpy()
            layer.bias = Tensor(bias, requires_grad=True, dtype=dtype, label="bias")
        return layer
    if kind is tnn.LeakyReLU:
        return A.LeakyReLU(module.negative_slope)
    if kind is tnn.Softmax:
        return A.Softmax(axis=module.dim)
    if kind is tnn.LogSoftmax:
        return A.LogSoftmax(axis=module.dim)
    by_name = {name: cls for cls, name in _PLAIN_ACTIVATIONS.items()}
    return by_name[kind.__name__]()
