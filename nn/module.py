"""The :class:`Module` base: parameters, train/eval, name scopes, state dicts and ``.npz`` files.

A module's *parameters* are found by walking its attributes in definition
order: a :class:`~autograd.Value`, a ``Tensor`` with ``requires_grad``, a
submodule, or a list / tuple / dict holding any of these. Each parameter is
listed once, however many attributes refer to it (tied weights).

Calling a module runs :meth:`Module.forward` inside
``autograd.name_scope(<name>)`` where the name is the attribute under which
the parent first stored it (``"first"``, ``"blocks.0"`` for a list item;
``Sequential`` names its items ``"Linear0"``, ``"ReLU1"``), or, for a
top-level module, its class name; ``module.scope_name = "..."`` sets it
explicitly. Nested modules give nested scopes (``MLP/layers/Linear0``),
which is how ``viz`` collapses a large graph into boxes by module.

Model files are ``.npz`` archives of plain arrays plus a JSON record of the
architecture (:mod:`nn.model_file`), never pickle: no code runs when a model
is loaded, and every header is checked before any data is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from autograd import Value, name_scope

from .model_file import ModelArchive, ModelFileError, write_model_file

__all__ = ["Module", "is_parameter"]


def is_parameter(obj: Any) -> bool:
    """Return whether ``obj`` is a trainable leaf: a ``Value``, or a ``Tensor`` needing grad.

    Tensors are recognised by duck typing (``.data`` ndarray and ``.requires_grad``)
    so that this module needs only ``autograd.Value`` at import time.
    """
    if type(obj) is Value:
        return True
    return isinstance(getattr(obj, "data", None), np.ndarray) and bool(
        getattr(obj, "requires_grad", False)
    )


class Module:
    """Base class of every ``nn`` model, layer, activation and loss.

    Subclasses implement :meth:`forward` and store their parameters and
    submodules as ordinary attributes; everything else is derived:

    * :meth:`parameters` / :meth:`named_parameters` — ordered, deduplicated;
    * :meth:`zero_grad` — ``Value.grad = 0.0``, ``Tensor.grad = None``;
    * :meth:`train` / :meth:`eval` — sets ``training`` on the whole tree;
    * ``module(x)`` — ``forward(x)`` inside the module's name scope;
    * :meth:`state_dict` / :meth:`load_state_dict`, :meth:`save` / :meth:`load`.

    Attributes whose name starts with ``_`` are private and never walked.
    """

    training: bool = True
    _scope_name: str | None = None

    # -- naming -------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            _name_children(name, value)
        object.__setattr__(self, name, value)

    @property
    def scope_name(self) -> str:
        """The name this module records on the graph nodes it creates."""
        return self._scope_name or type(self).__name__

    @scope_name.setter
    def scope_name(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"scope_name must be a non-empty string, got {name!r}")
        object.__setattr__(self, "_scope_name", name)

    # -- calling ------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; subclasses override this."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # self.scope_name, without the property's call: this runs once per module per step
        with name_scope(self._scope_name or type(self).__name__):
            return self.forward(*args, **kwargs)

    # -- the attribute walk -------------------------------------------------

    def _attributes(self) -> Iterator[tuple[str, Any]]:
        """The public attributes to walk, in definition order (containers override)."""
        for name, value in vars(self).items():
            if not name.startswith("_"):
                yield name, value

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted name, module)`` for this module and every submodule, each once."""
        seen: set[int] = set()
        for name, obj in _walk(self, prefix):
            if isinstance(obj, Module) and id(obj) not in seen:
                seen.add(id(obj))
                yield name, obj

    def children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct submodules (inside lists too)."""
        for name, value in self._attributes():
            for sub_name, obj in _flatten(name, value):
                if isinstance(obj, Module):
                    yield sub_name, obj

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Any]]:
        """Return ``(dotted name, parameter)`` pairs in definition order, each parameter once.

        Names follow the attribute path: ``"layers.0.weight"``, ``"w.3"``.
        A parameter reachable under two names is listed under the first.
        """
        seen: set[int] = set()
        out: list[tuple[str, Any]] = []
        for name, obj in _walk(self, prefix):
            if is_parameter(obj) and id(obj) not in seen:
                seen.add(id(obj))
                out.append((name, obj))
        return out

    def parameters(self) -> list[Any]:
        """Return the trainable parameters (``Value`` or ``Tensor``) in a fixed order, each once.

        The same order as :meth:`named_parameters`, without building the names
        (this runs every training step, through :meth:`zero_grad`).
        """
        seen: set[int] = set()
        out: list[Any] = []
        for obj in _walk_objects(self):
            if is_parameter(obj) and id(obj) not in seen:
                seen.add(id(obj))
                out.append(obj)
        return out

    def zero_grad(self) -> None:
        """Reset gradients: ``0.0`` for a ``Value``, ``None`` for a ``Tensor`` (as PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0 if type(p) is Value else None

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` on this module and all submodules; return ``self``."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Same as ``train(False)``."""
        return self.train(False)

    # -- other frameworks ---------------------------------------------------

    def to_torch(self) -> Any:
        """Return this model as a ``torch.nn`` module with the same outputs and gradients.

        For ``Linear``, ``Sequential``, ``MLP`` and the activations; ``Linear``'s
        ``(in, out)`` weight becomes PyTorch's ``(out, in)``. Needs
        ``pip install 'chainrule[torch]'``; see :func:`nn.torch_bridge.to_torch`.
        """
        from .torch_bridge import to_torch  # lazy: the bridge imports torch only when it runs

        return to_torch(self)

    def to_onnx(
        self,
        path: str | os.PathLike[str],
        example: Any,
        *,
        dynamic_batch: bool = True,
        input_name: str = "input",
        output_name: str = "output",
    ) -> Any:
        """Write this model to ``path`` as an ONNX model, traced on ``example``; return it.

        ``example`` is a batch of inputs (e.g. ``X[:1]``); an array is converted
        to the parameters' dtype (pass a Tensor to choose another). The
        parameters become initializers named as in :meth:`named_parameters`
        (``layers.0.weight``); the graph's input is ``input_name`` and its
        output ``output_name``. With ``dynamic_batch`` (the default) the
        model takes any number of rows. Works on any Tensor model whose ops
        have an ONNX form (all of the registry's do); a ``Value`` model
        (``nn.scalar``) is refused. Needs ``pip install 'chainrule[onnx]'``;
        see :func:`autograd.onnx.export`. Run it with onnxruntime::

            session = onnxruntime.InferenceSession(path)
            (logits,) = session.run(None, {"input": X})
        """
        from autograd import Tensor, onnx

        named = self.named_parameters()
        if any(type(p) is Value for _, p in named):
            raise TypeError(
                f"to_onnx exports Tensor models; {type(self).__name__} computes with Value "
                "scalars (nn.scalar), which have no ONNX export. Build it from nn.Linear / "
                "nn.MLP instead."
            )
        dtypes = {p.data.dtype for _, p in named}
        if not isinstance(example, Tensor) and len(dtypes) == 1:
            example = np.asarray(example, dtype=dtypes.pop())
        return onnx.export(
            self,
            example,
            path=path,
            input_names=[input_name],
            output_names=[output_name],
            parameter_names=dict(named),
            dynamic_batch=dynamic_batch,
        )

    # -- printing -----------------------------------------------------------

    def extra_repr(self) -> str:
        """Text shown inside the parentheses of this module's repr (override)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.children():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"

    # -- state dicts and files ---------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return ``{name: array copy}`` per parameter; a ``Value`` gives a 0-d float64 array.

        Two different parameters under the same dotted name (possible with dict
        keys that contain dots) raise ``ValueError`` rather than losing one.
        """
        out: dict[str, np.ndarray] = {}
        for name, p in self.named_parameters():
            if name in out:
                raise ValueError(
                    f"two parameters of {type(self).__name__} are both named {name!r} (a dict "
                    "key with a dot?); rename one so that every parameter has its own name"
                )
            if type(p) is Value:
                out[name] = np.array(p.data, dtype=np.float64)
            else:
                out[name] = np.array(p.data, copy=True)
        return out

    def _expected_state(self) -> dict[str, tuple[tuple[int, ...], np.dtype[Any]]]:
        """``{name: (shape, dtype)}`` that :meth:`load_state_dict` accepts."""
        out: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] = {}
        for name, p in self.named_parameters():
            if type(p) is Value:
                out[name] = ((), np.dtype(np.float64))
            else:
                out[name] = (p.data.shape, p.data.dtype)
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy ``state`` into the parameters, all or nothing.

        Every key, shape, dtype and value is checked before anything is
        assigned: a missing or unexpected key raises ``KeyError``; a wrong
        shape or dtype, or a nan/inf value, raises ``ValueError`` naming the
        key and what was expected; the model is left unchanged. A dtype that
        differs only in byte order is converted.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                "load_state_dict expects a mapping {parameter name: array} as returned by "
                f"state_dict(), got {type(state).__name__}"
            )
        expected = self._expected_state()
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        if missing or unexpected:
            raise KeyError(
                f"state dict does not match {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        arrays = {name: _checked_array(name, state[name], *want) for name, want in expected.items()}
        for name, p in self.named_parameters():
            if type(p) is Value:
                p.data = float(arrays[name])
            else:
                p.data = np.array(arrays[name], copy=True)

    def _architecture(self) -> dict[str, Any] | None:
        """What :func:`nn.load` needs to rebuild this model, or ``None`` (weights only).

        ``nn.MLP`` and ``nn.scalar.MLP`` record their layer sizes, activation
        and engine; other modules are loaded with ``model.load(path)``.
        """
        return None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters (and, for the MLPs, the architecture) to ``path``, atomically.

        The file is an ``.npz`` archive: one ``.npy`` member per parameter,
        stored under its own name, and a JSON record of the architecture (see
        :mod:`nn.model_file`); :func:`nn.load` rebuilds an ``nn.MLP`` or
        ``nn.scalar.MLP`` from it alone. It is written to a temporary file in
        the same directory, fsynced and renamed over ``path``, so a crash never
        leaves a half-written model; temporary files of a killed save are
        removed by the next save. The file gets the mode ``0o666`` minus the
        umask. ``path`` is used as given (no suffix is added).
        """
        write_model_file(path, self.state_dict(), self._architecture(), type(self).__name__)

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load parameters saved by :meth:`save` (or ``np.savez``) into this model; return ``self``.

        The keys, shapes and dtypes are checked from the archive's headers
        before any array is decompressed, and the values before any parameter
        changes: a mismatching, damaged or hostile file (a pickled object
        array, a huge declared array, a ``.npy`` or non-archive file) raises
        ``KeyError`` (keys) or :class:`nn.ModelFileError` and leaves the
        model unchanged. A file whose recorded architecture differs from this
        model's (say ``activation="tanh"`` into a ReLU MLP) is refused: use
        :func:`nn.load` to rebuild the saved model.
        """
        with ModelArchive(path) as archive:
            _check_same_architecture(archive, self._architecture())
            archive.check_expected(self._expected_state())
            state = archive.read_arrays()
        self._load_file_state(state, path)
        return self

    def _load_file_state(self, state: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
        """``load_state_dict(state)``, its error raised as ``path``'s :class:`ModelFileError`."""
        try:
            self.load_state_dict(state)
        except ValueError as exc:
            raise ModelFileError(f"model file {str(path)!r}: {exc}") from None


def _checked_array(name: str, value: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
    """``value`` as an array of ``shape`` and ``dtype`` with finite values, else ``ValueError``."""
    arr = np.asarray(value)
    if arr.shape != shape:
        raise ValueError(f"state dict key {name!r}: expected shape {shape}, got {arr.shape}")
    if arr.dtype != dtype:
        if arr.dtype.newbyteorder("=") == dtype.newbyteorder("="):
            arr = arr.astype(dtype)
        else:
            raise ValueError(
                f"state dict key {name!r}: expected dtype {dtype}, got {arr.dtype} "
                f"(convert it with arr.astype(np.{dtype.name}) if that is intended)"
            )
    if not np.isfinite(arr).all():
        raise ValueError(
            f"state dict key {name!r} holds nan or inf values; a trained model's parameters "
            "are finite (was the model saved after its training diverged?)"
        )
    return arr


def _check_same_architecture(archive: ModelArchive, mine: dict[str, Any] | None) -> None:
    saved = archive.architecture
    if saved is None or mine is None or saved == mine:
        return
    differences = [
        f"{key} {saved.get(key)!r} (this model: {mine.get(key)!r})"
        for key in sorted(set(saved) | set(mine))
        if saved.get(key) != mine.get(key)
    ]
    raise archive.error(
        "was saved from a different architecture: " + "; ".join(differences)
        + ". Rebuild the saved model with nn.load(path)"
    )


def _flatten(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, item)`` for a value, expanding lists, tuples and dicts one level."""
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield f"{name}.{i}", item
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{name}.{key}", item
    else:
        yield name, value


def _walk(root: Module, prefix: str) -> Iterator[tuple[str, Any]]:
    """Pre-order walk of a module tree (iterative), yielding ``(dotted name, object)``.

    Modules are expanded once each (a module that refers back to an ancestor
    does not loop); containers are expanded at any depth.
    """
    expanded: set[int] = set()
    stack: list[Iterator[tuple[str, Any]]] = [iter([(prefix, root)])]
    while stack:
        try:
            name, obj = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        yield name, obj
        if isinstance(obj, Module):
            if id(obj) in expanded:
                continue
            expanded.add(id(obj))
            stack.append(_prefixed(name, obj._attributes()))
        elif isinstance(obj, list | tuple):
            stack.append(_prefixed(name, enumerate(obj)))
        elif isinstance(obj, dict):
            stack.append(_prefixed(name, obj.items()))


def _walk_objects(root: Module) -> Iterator[Any]:
    """The objects of :func:`_walk`, in the same order, without their dotted names."""
    expanded: set[int] = set()
    stack: list[Iterator[Any]] = [iter((root,))]
    while stack:
        try:
            obj = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        yield obj
        if isinstance(obj, Module):
            if id(obj) in expanded:
                continue
            expanded.add(id(obj))
            stack.append(value for _, value in obj._attributes())
        elif isinstance(obj, list | tuple):
            stack.append(iter(obj))
        elif isinstance(obj, dict):
            stack.append(iter(obj.values()))


def _prefixed(name: str, items: Any) -> Iterator[tuple[str, Any]]:
    join = f"{name}." if name else ""
    for key, value in items:
        yield f"{join}{key}", value


def _name_children(name: str, value: Any) -> None:
    """Give unnamed submodules stored under ``name`` their scope name (first owner wins)."""
    for sub_name, item in _flatten(name, value):
        if isinstance(item, Module) and item._scope_name is None:
            object.__setattr__(item, "_scope_name", sub_name)
