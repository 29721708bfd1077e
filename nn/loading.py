"""``nn.load(path)``: rebuild a saved ``nn.MLP`` or ``nn.scalar.MLP`` from its model file alone.

``model.save(path)`` records the architecture next to the weights (see
:mod:`nn.model_file`), so ``nn.load(path)`` needs nothing else: no layer
sizes from ``metrics.json``, no remembering the activation or the engine.
"""

from __future__ import annotations

import itertools
import os
import random
from typing import Any

import numpy as np

from . import scalar
from .activations import activation_from_description
from .layers import MLP
from .model_file import ModelArchive
from .module import Module

__all__ = ["DEFAULT_MAX_PARAMETERS", "load"]

DEFAULT_MAX_PARAMETERS = 10_000_000

_SCALAR_KEYS = {"model", "engine", "layer_sizes", "activation"}
_TENSOR_KEYS = _SCALAR_KEYS | {"output_activation", "bias", "dtype"}
_DTYPES = ("float16", "float32", "float64")


def load(
    path: str | os.PathLike[str], max_parameters: int | None = DEFAULT_MAX_PARAMETERS
) -> Module:
    """Rebuild the model saved at ``path`` by ``model.save(path)`` and load its weights.

    Returns an ``nn.MLP`` (Tensor engine) or an ``nn.scalar.MLP`` (Value
    engine) with the saved layer sizes, activation(s), bias and dtype::

        model = nn.load("runs/moons/model.npz")
        nn.predict(model, X)

    Everything is checked before the model is built or any array is read:
    the file's headers, its architecture record, and the parameter count
    against ``max_parameters`` (default 10 million; ``None`` for no limit),
    so a small file declaring a huge model is refused at once. Errors are
    :class:`nn.ModelFileError` (a ``ValueError``) naming the file and the
    problem; a file of weights only (a custom module, or an ``.npz`` written
    by ``np.savez``) gets one that says to build the model and call
    ``model.load(path)``. Python's ``random`` state is left as it was.
    """
    if max_parameters is not None and not (
        isinstance(max_parameters, int) and not isinstance(max_parameters, bool)
        and max_parameters >= 1
    ):
        raise ValueError(f"max_parameters must be an int >= 1 or None, got {max_parameters!r}")
    with ModelArchive(path) as archive:
        architecture = _recorded_architecture(archive)
        model = _build(archive, architecture, max_parameters)
        archive.check_expected(model._expected_state())
        state = archive.read_arrays()
    model._load_file_state(state, path)
    return model


def _recorded_architecture(archive: ModelArchive) -> dict[str, Any]:
    if archive.meta is None:
        raise archive.error(
            "records no architecture (it was written by np.savez or by chainrule before model "
            "files recorded one): build the model, e.g. nn.MLP(sizes, activation=...), call "
            "model.load(path), then model.save(path) to re-save it with its architecture"
        )
    architecture = archive.architecture
    if architecture is None:
        saved_from = archive.meta.get("saved_from", "custom module")
        raise archive.error(
            f"holds the weights of a {saved_from!s:.60} module but no architecture: nn.load "
            "rebuilds nn.MLP and nn.scalar.MLP only; build the model and call model.load(path)"
        )
    return architecture


def _build(archive: ModelArchive, arch: dict[str, Any], max_parameters: int | None) -> Module:
    """Validate the architecture record and build the (randomly initialised) model."""
    kind = arch.get("model")
    keys = {"nn.MLP": _TENSOR_KEYS, "nn.scalar.MLP": _SCALAR_KEYS}.get(str(kind))
    if keys is None:
        raise archive.error(f"records an unknown model type {kind!r:.60}")
    if set(arch) != keys:
        raise archive.error(
            f"has an architecture record for {kind} with keys {sorted(arch)}, expected "
            f"{sorted(keys)}"
        )
    sizes = _layer_sizes(archive, arch["layer_sizes"])
    bias = arch.get("bias", True)
    if not isinstance(bias, bool):
        raise archive.error(f"records bias {bias!r:.40}; expected true or false")
    count = sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in itertools.pairwise(sizes))
    if max_parameters is not None and count > max_parameters:
        raise archive.error(
            f"declares a model of {count:,} parameters (layer sizes {_short(sizes)}), more than "
            f"max_parameters={max_parameters:,}: pass nn.load(path, max_parameters=...) if you "
            "trust this file"
        )
    try:
        model = _build_tensor(arch, sizes) if kind == "nn.MLP" else _build_scalar(arch, sizes)
    except ValueError as exc:
        raise archive.error(f"has an invalid architecture: {exc}") from None
    if model._architecture() != arch:
        raise archive.error(
            f"has an architecture record {_short(arch)} that does not describe the model it "
            f"builds ({_short(model._architecture())})"
        )
    return model


def _build_tensor(arch: dict[str, Any], sizes: list[int]) -> Module:
    if arch["engine"] != "tensor":
        raise ValueError(f"nn.MLP runs on the tensor engine, the record says {arch['engine']!r}")
    if arch["dtype"] not in _DTYPES:
        raise ValueError(f"dtype {arch['dtype']!r:.40} is not one of {', '.join(_DTYPES)}")
    hidden = arch["activation"]
    if hidden is None and len(sizes) > 2:
        raise ValueError("the hidden layers need an activation")
    output = arch["output_activation"]
    return MLP(
        sizes,
        activation=None if hidden is None else activation_from_description(hidden),
        output_activation=None if output is None else activation_from_description(output),
        bias=arch["bias"],
        dtype=np.dtype(arch["dtype"]),
        seed=0,
    )


def _build_scalar(arch: dict[str, Any], sizes: list[int]) -> Module:
    if arch["engine"] != "value":
        raise ValueError(f"nn.scalar.MLP runs on the value engine, the record says "
                         f"{arch['engine']!r:.40}")
    if arch["activation"] != "relu":
        raise ValueError(f"nn.scalar.MLP uses relu, the record says {arch['activation']!r:.40}")
    saved = random.getstate()  # nn.scalar draws its initial weights from Python's random
    try:
        return scalar.MLP(sizes[0], sizes[1:])
    finally:
        random.setstate(saved)


def _layer_sizes(archive: ModelArchive, sizes: Any) -> list[int]:
    ok = isinstance(sizes, list) and len(sizes) >= 2 and all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes
    )
    if not ok:
        raise archive.error(
            f"records layer sizes {_short(sizes)}; expected a list of at least two integers >= 1"
        )
    return sizes


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
